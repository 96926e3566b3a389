-- Issued API keys (shared/auth/api_keys.py). The secret itself is never stored: only the SHA-256
-- of its random part, which is 256 bits of entropy, so a fast hash is enough (nothing to brute
-- force). The id is the public prefix of the key, shown in listings and logs.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    tenant text NOT NULL,
    user_id text NOT NULL,
    name text NOT NULL,
    scopes text[] NOT NULL,
    secret_sha256 bytea NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_keys_tenant_created ON api_keys (tenant, created_at DESC, id);
