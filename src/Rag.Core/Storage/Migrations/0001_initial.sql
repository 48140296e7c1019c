-- Rag's system of record. Ids are uuids (chunk ids are computed by the application from
-- document id + version + ordinal, so re-ingesting writes the same rows); times are timestamptz.

-- array_to_string is only STABLE, which a generated column refuses. Joining text with a space
-- cannot depend on any setting, so this wrapper is safely declared IMMUTABLE.
CREATE FUNCTION chunk_search_text(heading_path text[], body text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(array_to_string(heading_path, ' '), '') || ' ' || body;

CREATE TABLE collections (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                 text NOT NULL UNIQUE,
    description          text,
    chunk_size_tokens    int NOT NULL DEFAULT 512 CHECK (chunk_size_tokens > 0),
    chunk_overlap_tokens int NOT NULL DEFAULT 64 CHECK (chunk_overlap_tokens >= 0),
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (chunk_overlap_tokens < chunk_size_tokens)
);

INSERT INTO collections (name, description) VALUES ('default', 'Documents uploaded without a collection');

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_name     text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'editor', 'reader')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

-- "Alice" and "alice" are the same person when signing in.
CREATE UNIQUE INDEX users_user_name_key ON users (lower(user_name));

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    prefix       text NOT NULL,
    key_hash     bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

-- principal_id points at users or api_keys depending on principal_kind, so it has no foreign key.
CREATE TABLE collection_access (
    collection_id  uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    principal_kind text NOT NULL CHECK (principal_kind IN ('user', 'api_key')),
    principal_id   uuid NOT NULL,
    permission     text NOT NULL CHECK (permission IN ('read', 'write')),
    PRIMARY KEY (collection_id, principal_kind, principal_id)
);

CREATE INDEX collection_access_principal_idx ON collection_access (principal_kind, principal_id);

CREATE TABLE documents (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    collection_id  uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    title          text NOT NULL,
    file_name      text NOT NULL,
    content_type   text NOT NULL,
    size_bytes     bigint NOT NULL CHECK (size_bytes >= 0),
    content_sha256 bytea NOT NULL CHECK (length(content_sha256) = 32),
    tags           text[] NOT NULL DEFAULT '{}',
    status         text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
    version        int NOT NULL DEFAULT 1 CHECK (version > 0),
    error          text,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    -- The same bytes uploaded twice to one collection are one document.
    CONSTRAINT documents_collection_content_key UNIQUE (collection_id, content_sha256)
);

CREATE INDEX documents_collection_created_idx ON documents (collection_id, created_at DESC);
CREATE INDEX documents_status_idx ON documents (status);
CREATE INDEX documents_tags_idx ON documents USING gin (tags);

-- Kept apart from documents so that listing documents never reads the blobs.
CREATE TABLE document_contents (
    document_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    content     bytea NOT NULL
);

CREATE TABLE chunks (
    id               uuid PRIMARY KEY,
    document_id      uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    document_version int NOT NULL,
    ordinal          int NOT NULL CHECK (ordinal >= 0),
    text             text NOT NULL,
    heading_path     text[] NOT NULL DEFAULT '{}',
    page             int,
    char_start       int NOT NULL CHECK (char_start >= 0),
    char_end         int NOT NULL,
    token_count      int NOT NULL CHECK (token_count >= 0),
    embedding        real[],
    embedding_model  text,
    tsv              tsvector GENERATED ALWAYS AS (to_tsvector('english', chunk_search_text(heading_path, text))) STORED,
    CHECK (char_end >= char_start),
    -- Also the index for "the chunks of this document version".
    CONSTRAINT chunks_document_version_ordinal_key UNIQUE (document_id, document_version, ordinal)
);

CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

CREATE TABLE jobs (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    document_id  uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('ingest', 'reindex')),
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelled')),
    progress     real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    attempts     int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts int NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    error        text,
    worker_id    text,
    trace_parent text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    completed_at timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Finding stuck or queued jobs, oldest first.
CREATE INDEX jobs_status_updated_idx ON jobs (status, updated_at);
CREATE INDEX jobs_document_id_idx ON jobs (document_id);

CREATE TABLE conversations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         text NOT NULL,
    collection_id uuid REFERENCES collections (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX conversations_owner_updated_idx ON conversations (owner_user_id, updated_at DESC);

CREATE TABLE messages (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('user', 'assistant')),
    content         text NOT NULL,
    sources         jsonb,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at);

-- The secret is kept readable because every delivery is signed with it.
CREATE TABLE webhooks (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url           text NOT NULL,
    secret        text NOT NULL,
    events        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

-- Outbox: a delivery row is written in the same transaction as the change it announces.
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event            text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status_code int,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);

CREATE INDEX webhook_deliveries_status_next_attempt_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook_created_idx ON webhook_deliveries (webhook_id, created_at DESC);

-- Actors and targets are plain text so the trail outlives the rows it mentions.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text,
    detail     jsonb,
    request_id text,
    client_ip  inet
);

CREATE INDEX audit_log_at_idx ON audit_log (at DESC);

-- Which vector index the chunks were last indexed into, and with which model and dimension.
-- The boolean key allows exactly one row.
CREATE TABLE index_state (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    kind            text NOT NULL,
    embedding_model text NOT NULL,
    dimension       int NOT NULL CHECK (dimension > 0),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
