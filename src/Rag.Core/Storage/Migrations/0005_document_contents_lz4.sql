-- Uploaded bytes are compressed with LZ4 rather than the default pglz: pglz took about half of PostgreSQL's CPU per
-- upload (2 ms for a 100 KB text file), LZ4 a small fraction of that, at a somewhat lower ratio. Rows already stored
-- keep their compression. A server built without LZ4 (the Debian and Docker builds have it) keeps pglz.
DO $$
BEGIN
    ALTER TABLE document_contents ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'This PostgreSQL has no LZ4: document contents stay compressed with pglz';
END
$$;
