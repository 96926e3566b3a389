-- Model registry names per caller (issue #7): each owner has its own namespace of model names,
-- so two callers may both have a model "churn" and neither can read, alias or overwrite the other's.
--
-- owner is copied onto the versions and aliases (part of their keys) so that every registry row
-- carries its owner: the composite foreign keys keep them consistent, and row-level security
-- (0009) compares one column per table instead of joining back to ml_model.
--
-- Existing (global) models go to whoever registered their first version. A model row without any
-- version cannot be served and has no plausible owner: it is dropped.
ALTER TABLE ml_model_alias DROP CONSTRAINT ml_model_alias_name_version_fkey;
ALTER TABLE ml_model_version DROP CONSTRAINT ml_model_version_name_fkey;

ALTER TABLE ml_model ADD COLUMN owner text;
UPDATE ml_model m SET owner = (
    SELECT v.created_by FROM ml_model_version v WHERE v.name = m.name ORDER BY v.version LIMIT 1
);
DELETE FROM ml_model WHERE owner IS NULL;
ALTER TABLE ml_model ALTER COLUMN owner SET NOT NULL;

ALTER TABLE ml_model_version ADD COLUMN owner text;
UPDATE ml_model_version v SET owner = m.owner FROM ml_model m WHERE m.name = v.name;
DELETE FROM ml_model_version WHERE owner IS NULL;  -- orphans (the old FK made them impossible)
ALTER TABLE ml_model_version ALTER COLUMN owner SET NOT NULL;

ALTER TABLE ml_model_alias ADD COLUMN owner text;
UPDATE ml_model_alias a SET owner = m.owner FROM ml_model m WHERE m.name = a.name;
DELETE FROM ml_model_alias WHERE owner IS NULL;
ALTER TABLE ml_model_alias ALTER COLUMN owner SET NOT NULL;

ALTER TABLE ml_model DROP CONSTRAINT ml_model_pkey;
ALTER TABLE ml_model ADD PRIMARY KEY (owner, name);
ALTER TABLE ml_model_version DROP CONSTRAINT ml_model_version_pkey;
ALTER TABLE ml_model_version ADD PRIMARY KEY (owner, name, version);
ALTER TABLE ml_model_alias DROP CONSTRAINT ml_model_alias_pkey;
ALTER TABLE ml_model_alias ADD PRIMARY KEY (owner, name, alias);

ALTER TABLE ml_model_version ADD FOREIGN KEY (owner, name)
    REFERENCES ml_model (owner, name) ON DELETE CASCADE;
ALTER TABLE ml_model_alias ADD FOREIGN KEY (owner, name, version)
    REFERENCES ml_model_version (owner, name, version) ON DELETE CASCADE;
