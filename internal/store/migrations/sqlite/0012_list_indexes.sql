-- An index for each order the keys list sorts an account's keys in (by
-- name the unique constraint serves), one for a page of an account's
-- users, and one for an account's part of the audit trail.
CREATE INDEX api_keys_account_created_id ON api_keys (account_id, created_at, id);
CREATE INDEX api_keys_account_expires ON api_keys (account_id, (expires_at IS NULL), expires_at, name_fold, id);
CREATE INDEX api_keys_account_last_used ON api_keys (account_id, (last_used_at IS NULL), last_used_at, name_fold, id);
CREATE INDEX users_account_username ON users (account_id, username);
CREATE INDEX audit_events_account_at ON audit_events (account_id, at, id);
-- Filters by type and status are judged on the index alone (no row read
-- for a key the page skips).
CREATE INDEX api_keys_account_name_status ON api_keys (account_id, name_fold, active, expires_at);
CREATE INDEX api_keys_account_type_name ON api_keys (account_id, type, name_fold, active, expires_at);
-- An account's predefined keys, which its list counts on every page.
CREATE INDEX api_keys_predefined ON api_keys (account_id) WHERE predefined = 1;
