-- The audit trail's filters along indexes. With a million events, a filter
-- by a part of the actor's or the target's name, or by a rare action, read
-- every event (about a second) when few or none matched.
--
-- Parts of names: an FTS5 trigram index of each folded name, a table each
-- (one table of both columns could not keep one column's trigrams from
-- the other's: an actor's filter then tested every event whose target's
-- name held the text). Rows are numbered by the event's place in the
-- chain (seq, set once on insert and never changed, unlike a plain rowid,
-- which VACUUM and so a backup may renumber). Events are append-only:
-- triggers add each as it is written (replacing a row of the same place,
-- which only an entry forged into a renumbered chain would have: `keyconsole
-- audit verify` finds those), and follow the folded names where they are
-- folded again. Nothing is ranked, so no column sizes are kept.
CREATE VIRTUAL TABLE audit_search_actor USING fts5(name, tokenize = 'trigram', detail = 'none', columnsize = 0);
CREATE VIRTUAL TABLE audit_search_target USING fts5(name, tokenize = 'trigram', detail = 'none', columnsize = 0);
INSERT INTO audit_search_actor (rowid, name) SELECT seq, actor_name_fold FROM audit_events WHERE seq IS NOT NULL;
INSERT INTO audit_search_target (rowid, name) SELECT seq, target_name_fold FROM audit_events WHERE seq IS NOT NULL;
CREATE TRIGGER audit_search_insert AFTER INSERT ON audit_events WHEN new.seq IS NOT NULL BEGIN
    INSERT OR REPLACE INTO audit_search_actor (rowid, name) VALUES (new.seq, new.actor_name_fold);
    INSERT OR REPLACE INTO audit_search_target (rowid, name) VALUES (new.seq, new.target_name_fold);
END;
CREATE TRIGGER audit_search_refold AFTER UPDATE OF actor_name_fold, target_name_fold ON audit_events
WHEN new.seq IS NOT NULL BEGIN
    INSERT OR REPLACE INTO audit_search_actor (rowid, name) VALUES (new.seq, new.actor_name_fold);
    INSERT OR REPLACE INTO audit_search_target (rowid, name) VALUES (new.seq, new.target_name_fold);
END;

-- An action's events, newest first; and an account's (SQLite keeps no
-- statistics: with the first index alone, an action in a small account
-- read every event of that action to find the account's few).
CREATE INDEX audit_events_action_at ON audit_events (action, at, id);
CREATE INDEX audit_events_account_action_at ON audit_events (account_id, action, at, id);
