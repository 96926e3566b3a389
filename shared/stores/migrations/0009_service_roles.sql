-- One database role per store module, with the least privileges it needs, and row-level security
-- on every user-owned table (issue #11). See shared/stores/postgres.py for how the app uses them.
--
-- The roles are created NOLOGIN: `python -m shared.stores.postgres_roles` (run after the
-- migrations) gives LOGIN and a password to those whose POSTGRES_<SERVICE>_USERNAME is set. None
-- is a superuser, owns a table or has BYPASSRLS, so none can turn row-level security off, and
-- privileges are granted per command (and per column where a role updates only some columns).
--
-- Row-level security: a service role sees and writes the rows whose owner equals the per
-- transaction setting app.user_id (`SELECT set_config('app.user_id', <owner>, true)`, i.e. SET
-- LOCAL). Unset, no row matches: a query that forgets its owner filter returns nothing instead of
-- every user's rows. The tables' owner (the migrating superuser/admin) is not subject to the
-- policies; the app never connects as it.
--
-- What this does not defend against: SQL injection, which could itself call set_config. Queries
-- stay parameterised and keep their explicit owner filters; the policies are the second line.

-- Roles are cluster-wide: created once, tolerated when another database's migration made them
-- (or is making them right now: the migration lock is per database).
DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY[
        'platform_jobs', 'platform_worker', 'platform_media', 'platform_voice', 'platform_chat',
        'platform_ml', 'platform_auth', 'platform_health'
    ] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format(
                    'CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION'
                    ' NOBYPASSRLS', role_name);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created concurrently by a migration of another database
            END;
        END IF;
    END LOOP;
END
$$;

-- Nobody but the owner creates objects in public (the default since PostgreSQL 15; older servers
-- granted it to every role, which would let a service role plant functions or tables there).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO platform_jobs, platform_worker, platform_media, platform_voice,
    platform_chat, platform_ml, platform_auth, platform_health;

-- The caller's owner id for this transaction; NULL when unset. NULLIF: once a session has set the
-- variable, it reads as '' (not NULL) after the transaction that set it ended.
CREATE FUNCTION app_current_owner() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '') $$;

-- --- jobs: platform_jobs (the API: the caller's jobs), platform_worker (the runner: any job) ---
GRANT SELECT, INSERT, DELETE ON jobs TO platform_jobs;
GRANT UPDATE (status, finished_at, cancel_requested, updated_at) ON jobs TO platform_jobs;
GRANT SELECT ON jobs TO platform_worker;
GRANT UPDATE (status, progress, attempts, result, error, claim_token, lease_until, started_at,
    finished_at, updated_at) ON jobs TO platform_worker;
-- tts_job's policy looks up its job's owner.
GRANT SELECT (id, owner) ON jobs TO platform_media;

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_owner ON jobs
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());
-- A runner claims, renews and completes jobs by id, for every owner; its column grants keep it
-- from changing a job's owner, kind or input.
CREATE POLICY jobs_worker ON jobs TO platform_worker USING (true) WITH CHECK (true);

-- --- media: platform_media ---------------------------------------------------------------------
GRANT SELECT, INSERT, DELETE ON file, media_collection, media_collection_file TO platform_media;
GRANT SELECT, INSERT ON tts_job TO platform_media;
GRANT UPDATE (pages_done, outputs) ON tts_job TO platform_media;

ALTER TABLE file ENABLE ROW LEVEL SECURITY;
CREATE POLICY file_owner ON file
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

ALTER TABLE media_collection ENABLE ROW LEVEL SECURITY;
CREATE POLICY media_collection_owner ON media_collection
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

-- No owner column: visible through its collection; a file joins only its owner's collection.
ALTER TABLE media_collection_file ENABLE ROW LEVEL SECURITY;
CREATE POLICY media_collection_file_owner ON media_collection_file
    USING (EXISTS (SELECT 1 FROM media_collection c
                   WHERE c.id = collection_id AND c.owner = app_current_owner()))
    WITH CHECK (
        EXISTS (SELECT 1 FROM media_collection c
                WHERE c.id = collection_id AND c.owner = app_current_owner())
        AND EXISTS (SELECT 1 FROM file f WHERE f.id = file_id AND f.owner = app_current_owner()));

-- No owner column: visible through its job.
ALTER TABLE tts_job ENABLE ROW LEVEL SECURITY;
CREATE POLICY tts_job_owner ON tts_job
    USING (EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_id AND j.owner = app_current_owner()))
    WITH CHECK (
        EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_id AND j.owner = app_current_owner()));

-- --- voice: platform_voice ---------------------------------------------------------------------
GRANT SELECT, INSERT ON voice_samples TO platform_voice;
GRANT UPDATE (metadata, status, blob_name, job_id, updated_at) ON voice_samples TO platform_voice;

ALTER TABLE voice_samples ENABLE ROW LEVEL SECURITY;
CREATE POLICY voice_samples_owner ON voice_samples
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

-- --- chat: platform_chat -----------------------------------------------------------------------
GRANT SELECT, INSERT, DELETE ON ml_conversations, chat_documents TO platform_chat;
GRANT UPDATE (conversation_data, message_count, conversation_vector, updated_at)
    ON ml_conversations TO platform_chat;
GRANT SELECT, INSERT ON reasoning_chains TO platform_chat;

ALTER TABLE ml_conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY ml_conversations_owner ON ml_conversations
    USING (user_id = app_current_owner()) WITH CHECK (user_id = app_current_owner());

ALTER TABLE chat_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY chat_documents_owner ON chat_documents
    USING (user_id = app_current_owner()) WITH CHECK (user_id = app_current_owner());

-- A chain may refer to one of its user's own sessions only.
ALTER TABLE reasoning_chains ENABLE ROW LEVEL SECURITY;
CREATE POLICY reasoning_chains_owner ON reasoning_chains
    USING (user_id = app_current_owner())
    WITH CHECK (
        user_id = app_current_owner()
        AND (session_id IS NULL OR EXISTS (
            SELECT 1 FROM ml_conversations s
            WHERE s.id = session_id AND s.user_id = app_current_owner())));

-- --- model registry: platform_ml (owner per row since 0008) ------------------------------------
GRANT SELECT, INSERT ON ml_model, ml_model_version, ml_model_alias TO platform_ml;
GRANT UPDATE (updated_at) ON ml_model TO platform_ml;
GRANT UPDATE (version, updated_at) ON ml_model_alias TO platform_ml;

ALTER TABLE ml_model ENABLE ROW LEVEL SECURITY;
CREATE POLICY ml_model_owner ON ml_model
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

ALTER TABLE ml_model_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY ml_model_version_owner ON ml_model_version
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

ALTER TABLE ml_model_alias ENABLE ROW LEVEL SECURITY;
CREATE POLICY ml_model_alias_owner ON ml_model_alias
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

-- --- API keys: platform_auth. No row-level security: a key is looked up before its caller is
-- known (the caller is what the key says).
GRANT SELECT, INSERT, UPDATE ON api_keys TO platform_auth;

-- platform_health: SELECT 1, no table.
