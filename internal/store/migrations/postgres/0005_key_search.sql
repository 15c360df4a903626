-- Substring search of keys by name or display prefix along a trigram index
-- (pg_trgm, shipped with PostgreSQL and trusted: a database owner may
-- create it). The extension is made once per database, in public where
-- allowed (so that dropping one installation's schema never drops another's
-- index), else in this schema; the index names its operator class where
-- the extension is.
DO $$
DECLARE
    ext_schema name;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('keyconsole.pg_trgm'));
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
        EXCEPTION WHEN insufficient_privilege OR invalid_schema_name THEN
            CREATE EXTENSION pg_trgm;
        END;
    END IF;
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX api_keys_search ON api_keys USING gin (search_fold %I.gin_trgm_ops)', ext_schema);
END
$$;
