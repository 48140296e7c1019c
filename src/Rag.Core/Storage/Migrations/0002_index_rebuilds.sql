-- A rebuild of the vector index from the chunks table. The cursor is the last document done (documents are
-- rebuilt in id order), so a rebuild stopped by a crash or a deploy resumes where it was.
CREATE TABLE index_rebuilds (
    id                 uuid PRIMARY KEY,
    status             text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    embedding_model    text NOT NULL,
    dimension          int NOT NULL CHECK (dimension > 0),
    cursor_document_id uuid,
    documents_done     int NOT NULL DEFAULT 0,
    documents_total    int NOT NULL,
    chunks_embedded    int NOT NULL DEFAULT 0,
    error              text,
    started_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz
);

-- At most one rebuild runs at a time.
CREATE UNIQUE INDEX index_rebuilds_one_running_idx ON index_rebuilds ((true)) WHERE status = 'running';

-- Jobs are tried three times by default (the application sets each job's limit from its configuration).
ALTER TABLE jobs ALTER COLUMN max_attempts SET DEFAULT 3;
