-- After a regenerate with a grace period, the previous secret keeps working
-- until previous_valid_until; only its hash is kept, like the current one.
ALTER TABLE api_keys ADD COLUMN previous_secret_hash VARCHAR(64);
ALTER TABLE api_keys ADD COLUMN previous_valid_until VARCHAR(32);
CREATE UNIQUE INDEX api_keys_previous_secret ON api_keys (previous_secret_hash);

-- Requests per key, day (UTC, YYYY-MM-DD) and outcome code, written in batches.
CREATE TABLE api_key_usage (
    key_id VARCHAR(64) NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day    VARCHAR(10) NOT NULL,
    code   VARCHAR(32) NOT NULL,
    count  INTEGER     NOT NULL,
    PRIMARY KEY (key_id, day, code)
);
