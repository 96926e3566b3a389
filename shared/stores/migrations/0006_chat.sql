-- Chat (shared/chat): conversations, the documents of each user's knowledge base, reasoning chains.

-- One conversation per row: the messages live in conversation_data ({"messages": [...]}); the
-- vector (the served sentence model, 384 dimensions) embeds its recent text so a user can find
-- similar conversations. Rows are only ever read with their user_id.
CREATE TABLE ml_conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    title text NOT NULL DEFAULT '',
    conversation_data jsonb NOT NULL DEFAULT '{"messages": []}'::jsonb,
    conversation_vector vector(384),
    message_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ml_conversations_user_recent ON ml_conversations (user_id, updated_at DESC);
CREATE INDEX ml_conversations_vector ON ml_conversations
    USING hnsw (conversation_vector vector_cosine_ops) WITH (m = 16, ef_construction = 64);

-- A document added to a user's knowledge base; its chunks are points of the Qdrant collection
-- conversation_context (payload: user, document id, source, page, chunk). The same text added
-- twice by one user is one document (sha256 UNIQUE per user).
CREATE TABLE chat_documents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    source text NOT NULL,
    file_id uuid,
    sha256 text NOT NULL,
    pages integer NOT NULL,
    chunks integer NOT NULL,
    characters integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, sha256)
);
CREATE INDEX chat_documents_user_recent ON chat_documents (user_id, created_at DESC);

-- An answer given as explicit steps (retrieve, relate, conclude).
CREATE TABLE reasoning_chains (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id text NOT NULL,
    session_id uuid REFERENCES ml_conversations (id) ON DELETE SET NULL,
    question text NOT NULL,
    chain_data jsonb NOT NULL,
    reasoning_steps text[] NOT NULL,
    confidence_score real NOT NULL CHECK (confidence_score BETWEEN 0 AND 1),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reasoning_chains_user_recent ON reasoning_chains (user_id, created_at DESC);
