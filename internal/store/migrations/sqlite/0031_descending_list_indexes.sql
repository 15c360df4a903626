-- Newest expiry or last use first still puts keys that never expire or were
-- never used last: (col IS NULL) ascending, the rest descending, an order
-- the ascending indexes cannot give read backwards. Without these, such a
-- page of a large account sorted all its keys.
CREATE INDEX api_keys_account_expires_desc ON api_keys (account_id, (expires_at IS NULL), expires_at DESC, name_fold DESC, id DESC);
CREATE INDEX api_keys_account_last_used_desc ON api_keys (account_id, (last_used_at IS NULL), last_used_at DESC, name_fold DESC, id DESC);
