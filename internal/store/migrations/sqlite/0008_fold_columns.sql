-- Case is folded in Go (Unicode, the same for both engines), never by
-- LOWER(); the Go step after this file fills the new columns.
ALTER TABLE accounts ADD COLUMN name_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN search_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN actor_name_fold TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN target_name_fold TEXT NOT NULL DEFAULT '';
