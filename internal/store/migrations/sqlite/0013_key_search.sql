-- Substring search of keys by name or display prefix along a trigram
-- index, instead of a LIKE scan of an account's keys. The index's rows are
-- numbered by api_key_search_rows, whose INTEGER PRIMARY KEY, unlike a plain
-- rowid, survives VACUUM (and so a backup). Triggers keep both in step with
-- api_keys, whoever writes it.
CREATE TABLE api_key_search_rows (
    n      INTEGER PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE api_key_search USING fts5(text, tokenize = 'trigram', detail = 'none');

INSERT INTO api_key_search_rows (key_id) SELECT id FROM api_keys;
INSERT INTO api_key_search (rowid, text)
    SELECT r.n, k.search_fold FROM api_key_search_rows r JOIN api_keys k ON k.id = r.key_id;

CREATE TRIGGER api_key_search_insert AFTER INSERT ON api_keys BEGIN
    INSERT INTO api_key_search_rows (key_id) VALUES (new.id);
    INSERT INTO api_key_search (rowid, text)
        SELECT n, new.search_fold FROM api_key_search_rows WHERE key_id = new.id;
END;
CREATE TRIGGER api_key_search_update AFTER UPDATE OF search_fold ON api_keys
WHEN new.search_fold IS NOT old.search_fold BEGIN
    UPDATE api_key_search SET text = new.search_fold
        WHERE rowid = (SELECT n FROM api_key_search_rows WHERE key_id = new.id);
END;
CREATE TRIGGER api_key_search_delete AFTER DELETE ON api_keys BEGIN
    DELETE FROM api_key_search WHERE rowid = (SELECT n FROM api_key_search_rows WHERE key_id = old.id);
    DELETE FROM api_key_search_rows WHERE key_id = old.id;
END;
