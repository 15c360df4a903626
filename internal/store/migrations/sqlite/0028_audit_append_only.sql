-- Audit entries are append-only, and the database says so too: no entry is
-- deleted, none of its recorded columns changes, and its place in the hash
-- chain is set once (by the writer, or by the migration that linked older
-- entries). Only the search columns derived from names may be rewritten.
-- Whoever drops these triggers to tamper is caught by `audit verify`.
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OF id, at, actor_kind, actor_id, actor_name, client_ip,
    account_id, target_id, target_name, action, changes, reason ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
CREATE TRIGGER audit_events_linked_once BEFORE UPDATE OF seq, hash ON audit_events WHEN OLD.seq IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit entries are append-only');
END;
