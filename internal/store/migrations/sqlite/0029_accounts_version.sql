-- A number that every change to the accounts moves on, in the same
-- transaction: an instance keeps the account tree in memory and reads
-- only this number to know it is still the one stored.
CREATE TABLE accounts_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO accounts_version (id, version) VALUES (1, 1);
CREATE TRIGGER accounts_version_insert AFTER INSERT ON accounts
BEGIN UPDATE accounts_version SET version = version + 1; END;
CREATE TRIGGER accounts_version_update AFTER UPDATE ON accounts
BEGIN UPDATE accounts_version SET version = version + 1; END;
CREATE TRIGGER accounts_version_delete AFTER DELETE ON accounts
BEGIN UPDATE accounts_version SET version = version + 1; END;
