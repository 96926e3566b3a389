-- Long-running jobs (the source of truth for their state) and media files.
--
-- A job row is claimed by one worker at a time: claim_token names the attempt that holds it and
-- lease_until says until when. A worker that dies stops renewing the lease; the next delivery of
-- the job's queue message claims it again once the lease has run out. Every write a worker makes
-- is conditional on its claim_token, so a worker that lost its lease can never complete the job.
CREATE TABLE jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind text NOT NULL,
    owner text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    progress smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    attempts integer NOT NULL DEFAULT 0,
    input jsonb NOT NULL DEFAULT '{}'::jsonb,
    result jsonb,
    error text,
    idempotency_key text,
    cancel_requested boolean NOT NULL DEFAULT false,
    claim_token uuid,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);

-- A retried submission with the same Idempotency-Key finds the job it already created, even when
-- the Redis idempotency record has expired.
CREATE UNIQUE INDEX jobs_owner_idempotency_key ON jobs (owner, kind, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
-- GET /api/jobs: the caller's jobs, newest first, keyset-paginated on (created_at, id).
CREATE INDEX jobs_owner_created ON jobs (owner, created_at DESC, id DESC);

-- Uploaded files. The same bytes uploaded twice by one owner are stored once.
CREATE TABLE file (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner text NOT NULL,
    name text NOT NULL,
    content_type text NOT NULL,
    size bigint NOT NULL CHECK (size >= 0),
    sha256 text NOT NULL,
    blob_name text NOT NULL,
    page_count integer,          -- PDFs: pages, read once at upload
    unreadable_reason text,      -- PDFs: why the text cannot be read (encrypted, broken)
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, sha256)
);
CREATE INDEX file_owner_created ON file (owner, created_at DESC, id DESC);

CREATE TABLE media_collection (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, name)
);

CREATE TABLE media_collection_file (
    collection_id uuid NOT NULL REFERENCES media_collection (id) ON DELETE CASCADE,
    file_id uuid NOT NULL REFERENCES file (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection_id, file_id)
);
CREATE INDEX media_collection_file_file ON media_collection_file (file_id);

-- Reading a document aloud: the speech-specific part of a 'speech' job.
CREATE TABLE tts_job (
    job_id uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    file_id uuid REFERENCES file (id) ON DELETE SET NULL,
    first_page integer NOT NULL CHECK (first_page >= 1),
    last_page integer NOT NULL CHECK (last_page >= first_page),
    voice text NOT NULL,
    joined boolean NOT NULL DEFAULT false,
    pages_done integer NOT NULL DEFAULT 0,
    -- per-page mode: {"<page>": "<result name>"} of pages already spoken (a retry skips them)
    outputs jsonb NOT NULL DEFAULT '{}'::jsonb
);
