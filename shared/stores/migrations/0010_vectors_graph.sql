-- Durable, shared defaults for the vector store and the knowledge graph (issue #18): both live in
-- the PostgreSQL every process of the platform already uses, so a restart loses nothing and a job
-- worker sees what the host wrote. Qdrant (QDRANT_URL) and Neo4j (NEO4J_URI) stay the options
-- for larger deployments. Roles and row-level security follow migration 0009.

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['platform_vectors', 'platform_graph'] LOOP
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
GRANT USAGE ON SCHEMA public TO platform_vectors, platform_graph;

-- --- vectors: platform_vectors -------------------------------------------------------------------
-- One table for every collection. A point is (collection, owner, id): ids are per owner, so two
-- callers can never collide, and row-level security hides every other owner's points. The
-- vector column has no fixed size (a model change may change it); the HNSW index is a partial
-- expression index per size, which every search names (`embedding::vector(384)`,
-- `dimension = 384`). A new model size needs one more index in a new migration; without it,
-- searches of that size are exact scans (correct, slower).
CREATE TABLE vector_points (
    collection text NOT NULL,
    owner text NOT NULL,
    id text NOT NULL,
    dimension integer NOT NULL CHECK (dimension > 0),
    embedding vector NOT NULL CHECK (vector_dims(embedding) = dimension),
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (collection, owner, id)
);
-- The same m and ef_construction as the Qdrant collections (HNSW_M, HNSW_EF_CONSTRUCT).
CREATE INDEX vector_points_hnsw_384 ON vector_points
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m = 16, ef_construction = 100)
    WHERE dimension = 384;
-- No index on the payload: filters are applied while the HNSW index is walked (or on the
-- owner's rows), and a GIN index would only slow every write down.

GRANT SELECT, INSERT, DELETE ON vector_points TO platform_vectors;
GRANT UPDATE (dimension, embedding, payload, updated_at) ON vector_points TO platform_vectors;

ALTER TABLE vector_points ENABLE ROW LEVEL SECURITY;
CREATE POLICY vector_points_owner ON vector_points
    USING (owner = app_current_owner()) WITH CHECK (owner = app_current_owner());

-- --- knowledge graph: platform_graph -------------------------------------------------------------
-- (:Concept {name}) nodes, undirected (:Concept)-[:RELATED {weight}]-(:Concept) links stored once
-- (a = the name that sorts first in code-point order), and (:User)-[:LEARNED]->(:Concept) edges.
-- Concepts and links are shared knowledge (no owner); a user's LEARNED edges are theirs alone.
CREATE TABLE graph_concepts (
    name text PRIMARY KEY
);
CREATE TABLE graph_related (
    a text NOT NULL REFERENCES graph_concepts (name),
    b text NOT NULL REFERENCES graph_concepts (name),
    weight bigint NOT NULL CHECK (weight > 0),
    PRIMARY KEY (a, b),
    CHECK (a <> b)
);
CREATE INDEX graph_related_b ON graph_related (b);
CREATE TABLE graph_learned (
    user_id text NOT NULL,
    concept text NOT NULL REFERENCES graph_concepts (name),
    confidence double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    at bigint NOT NULL,
    PRIMARY KEY (user_id, concept)
);

GRANT SELECT, INSERT ON graph_concepts TO platform_graph;
GRANT SELECT, INSERT ON graph_related TO platform_graph;
GRANT UPDATE (weight) ON graph_related TO platform_graph;
GRANT SELECT, INSERT, DELETE ON graph_learned TO platform_graph;
GRANT UPDATE (confidence, at) ON graph_learned TO platform_graph;

ALTER TABLE graph_learned ENABLE ROW LEVEL SECURITY;
CREATE POLICY graph_learned_owner ON graph_learned
    USING (user_id = app_current_owner()) WITH CHECK (user_id = app_current_owner());

-- --- chat documents: what re-indexing rebuilds from ----------------------------------------------
-- A text document's pages ([[page, text], ...]); a file's text is read again from blob storage.
-- indexed_with names the embedding model and vector store its chunks were last written with, so
-- a re-index skips what is already done (resumable) and redoes what a model change made stale.
ALTER TABLE chat_documents ADD COLUMN content jsonb;
ALTER TABLE chat_documents ADD COLUMN indexed_with text;
GRANT UPDATE (indexed_with) ON chat_documents TO platform_chat;
