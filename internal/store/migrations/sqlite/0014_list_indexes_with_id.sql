-- The filtered lists' indexes end their order with the id, as the lists
-- do: a page far down a filtered list is then read along the index alone,
-- where each skipped key used to cost a read of its row for the id.
DROP INDEX api_keys_account_name_status;
DROP INDEX api_keys_account_type_name;
CREATE INDEX api_keys_account_name_status ON api_keys (account_id, name_fold, id, active, expires_at);
CREATE INDEX api_keys_account_type_name ON api_keys (account_id, type, name_fold, id, active, expires_at);
