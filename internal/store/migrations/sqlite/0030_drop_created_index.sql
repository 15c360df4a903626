-- (account_id, created_at) is a prefix of api_keys_account_created_id, which
-- serves every query the shorter index did: one index fewer to write on
-- every new key, every edit and every last-use flush.
DROP INDEX api_keys_account_created;
