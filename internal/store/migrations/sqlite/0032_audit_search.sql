-- The audit trail's filters along indexes. With a million events, a filter
-- by a part of the actor's or the target's name, or by a rare action, read
-- every event (about a second) when few or none matched.
--
-- Parts of names: an FTS5 trigram index of both folded names, its rows
-- numbered by the event's place in the chain (seq, set once on insert and
-- never changed, unlike a plain rowid, which VACUUM and so a backup may
-- renumber). Events are append-only: a trigger adds each as it is written
-- (replacing a row of the same place, which only an entry forged into a
-- renumbered chain would have: `keyconsole audit verify` finds those).
CREATE VIRTUAL TABLE audit_search USING fts5(actor, target, tokenize = 'trigram', detail = 'none');
INSERT INTO audit_search (rowid, actor, target)
    SELECT seq, actor_name_fold, target_name_fold FROM audit_events WHERE seq IS NOT NULL;
CREATE TRIGGER audit_search_insert AFTER INSERT ON audit_events WHEN new.seq IS NOT NULL BEGIN
    INSERT OR REPLACE INTO audit_search (rowid, actor, target) VALUES (new.seq, new.actor_name_fold, new.target_name_fold);
END;

-- An action's events, newest first.
CREATE INDEX audit_events_action_at ON audit_events (action, at, id);
