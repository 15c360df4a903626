-- A search too short or too common for the trigram index is matched while
-- an account's keys are read in name order, and counted beside: with the
-- search text in the name index, both are index-only scans. (A two-letter
-- search of the seeded 200,000-key account read the whole table: 160 ms
-- for its count alone.)
DROP INDEX api_keys_account_name_status;
CREATE INDEX api_keys_account_name_status ON api_keys (account_id, name_fold, id, active, expires_at) INCLUDE (search_fold);
