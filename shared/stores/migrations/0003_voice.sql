-- Audio sent for transcription. The same bytes from one user are one row (sha256 UNIQUE per user);
-- a long clip's audio is kept in blob storage (blob_name) for the transcribe job that works it.
CREATE TABLE voice_samples (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner text NOT NULL,
    sha256 text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'processing', 'done', 'failed')),
    blob_name text,
    job_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, sha256)
);
