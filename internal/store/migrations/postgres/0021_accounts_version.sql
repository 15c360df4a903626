-- A number that every change to the accounts moves on, in the same
-- transaction: an instance keeps the account tree in memory and reads
-- only this number to know it is still the one stored.
CREATE TABLE accounts_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO accounts_version (id, version) VALUES (1, 1);
CREATE FUNCTION accounts_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts_version SET version = version + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_version_bump();
