-- An action's events in an account, newest first, as SQLite has had them
-- since its 0032: along the account's index alone, a page of a common
-- action below a big account read every event before it, and its count
-- read up to 10,000 rows (46 ms for the first page, 80 for page 200).
CREATE INDEX audit_events_account_action_at ON audit_events (account_id, action, at, id);
