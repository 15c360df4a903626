-- Substring search of keys by name or display prefix along a trigram index
-- (pg_trgm, shipped with PostgreSQL and trusted: a database owner may
-- create it). The extension is made once per database, in public where
-- allowed (so that dropping one installation's schema never drops another's
-- index), else in this schema; the index names its operator class where
-- the extension is.
--
-- Migrations run in SERIALIZABLE transactions, whose snapshot is taken
-- before the lock below: an installation in another schema of the same
-- database may have made the extension meanwhile without this one's reads
-- of pg_extension seeing it. CREATE EXTENSION and the operator class's
-- name are checked against the catalog as it is now, so those are relied
-- on: "already exists" means it is there, and the class is looked for in
-- public first.
DO $$
DECLARE
    ext_schema name;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('keyconsole.pg_trgm'));
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
        EXCEPTION
            WHEN duplicate_object THEN NULL; -- made by another installation since this snapshot
            WHEN insufficient_privilege OR invalid_schema_name THEN
                BEGIN
                    CREATE EXTENSION pg_trgm;
                EXCEPTION WHEN duplicate_object THEN NULL;
                END;
        END;
    END IF;
    BEGIN
        CREATE INDEX api_keys_search ON api_keys USING gin (search_fold public.gin_trgm_ops);
    EXCEPTION WHEN undefined_object OR invalid_schema_name THEN
        SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'pg_trgm';
        EXECUTE format('CREATE INDEX api_keys_search ON api_keys USING gin (search_fold %I.gin_trgm_ops)',
            coalesce(ext_schema, current_schema()));
    END;
END
$$;
