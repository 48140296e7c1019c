-- The passages a search returns, with their documents' titles, filtered by the documents' content type and dates.
-- A function of its own so that its plan is generic and kept for the session: sent as a statement, PostgreSQL planned
-- it again on every execution (a custom plan for "= ANY($1)" always looks cheaper than the generic one), which cost
-- about a quarter of PostgreSQL's CPU per search. OFFSET 0 keeps the title lookup one index probe per chunk rather
-- than a hash join over every document.
CREATE FUNCTION search_passages(chunk_ids uuid[], content_types text[], created_from timestamptz, created_to timestamptz, embeddings_of uuid[])
RETURNS TABLE (chunk_id uuid, document_id uuid, title text, heading_path text[], page int, passage text, embedding bytea)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN QUERY
    SELECT ch.id, ch.document_id, d.title, ch.heading_path, ch.page, ch.text,
           CASE WHEN ch.id = ANY(embeddings_of) THEN array_send(ch.embedding) END
    FROM chunks ch
    CROSS JOIN LATERAL (SELECT docs.title, docs.content_type, docs.created_at FROM documents docs WHERE docs.id = ch.document_id OFFSET 0) d
    WHERE ch.id = ANY(chunk_ids)
      AND (content_types IS NULL OR d.content_type = ANY(content_types))
      AND (created_from IS NULL OR d.created_at >= created_from)
      AND (created_to IS NULL OR d.created_at < created_to);
END
$$;
