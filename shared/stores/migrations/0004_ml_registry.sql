-- The classical ML model registry (shared/ml/registry.py): metadata here, artefacts in blob
-- storage (skops files named by their SHA-256, verified on every load).
CREATE TABLE ml_model (
    name text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ml_model_version (
    name text NOT NULL REFERENCES ml_model (name) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version >= 1),
    algorithm text NOT NULL,
    task text NOT NULL,
    params jsonb NOT NULL DEFAULT '{}'::jsonb,
    metrics jsonb NOT NULL DEFAULT '{}'::jsonb,
    features jsonb NOT NULL DEFAULT '[]'::jsonb,
    blob_name text NOT NULL,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL,
    description text NOT NULL DEFAULT '',
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- An alias (e.g. production) points at one version of its model.
CREATE TABLE ml_model_alias (
    name text NOT NULL,
    alias text NOT NULL,
    version integer NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, alias),
    FOREIGN KEY (name, version) REFERENCES ml_model_version (name, version) ON DELETE CASCADE
);
