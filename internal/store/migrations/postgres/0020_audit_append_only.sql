-- Audit entries are append-only, and the database says so too: no entry is
-- deleted, none of its recorded columns changes, and its place in the hash
-- chain is set once (by the writer, or by the migration that linked older
-- entries). Only the search columns derived from names may be rewritten.
-- Whoever drops these triggers to tamper is caught by `audit verify`.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit entries are append-only';
    END IF;
    IF (OLD.seq IS NOT NULL AND (NEW.seq, NEW.hash) IS DISTINCT FROM (OLD.seq, OLD.hash))
        OR (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.actor_name, NEW.client_ip, NEW.account_id,
            NEW.target_id, NEW.target_name, NEW.action, NEW.changes, NEW.reason)
           IS DISTINCT FROM (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.actor_name, OLD.client_ip, OLD.account_id,
            OLD.target_id, OLD.target_name, OLD.action, OLD.changes, OLD.reason) THEN
        RAISE EXCEPTION 'audit entries are append-only';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
