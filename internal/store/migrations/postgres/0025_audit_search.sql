-- The audit trail's filters along indexes. With a million events, a filter
-- by a part of the actor's or the target's name, or by a rare action, read
-- every event (about a second) when few or none matched.
--
-- Parts of names: pg_trgm indexes of both folded names (the extension is
-- made by 0005), naming the operator class where the extension is.
DO $$
DECLARE
    ext_schema name;
BEGIN
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    ext_schema := coalesce(ext_schema, current_schema());
    EXECUTE format('CREATE INDEX audit_events_actor_trgm ON audit_events USING gin (actor_name_fold %I.gin_trgm_ops)', ext_schema);
    EXECUTE format('CREATE INDEX audit_events_target_trgm ON audit_events USING gin (target_name_fold %I.gin_trgm_ops)', ext_schema);
END
$$;

-- An action's events, newest first. (An action in an account is read along
-- the account's index or this one, as the statistics say.)
CREATE INDEX audit_events_action_at ON audit_events (action, at, id);
