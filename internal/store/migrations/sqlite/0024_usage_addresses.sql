-- Requests per key, day (UTC, YYYY-MM-DD) and client address, written with
-- the daily counts and pruned with them. A key keeps a bounded number of
-- addresses a day; address '' counts the ones beyond that, together.
CREATE TABLE api_key_usage_addresses (
    key_id    VARCHAR(64) NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day       VARCHAR(10) NOT NULL,
    address   VARCHAR(64) NOT NULL,
    requests  INTEGER     NOT NULL,
    refused   INTEGER     NOT NULL,
    last_seen VARCHAR(32) NOT NULL,
    PRIMARY KEY (key_id, day, address)
);
CREATE INDEX api_key_usage_addresses_day ON api_key_usage_addresses (day);
