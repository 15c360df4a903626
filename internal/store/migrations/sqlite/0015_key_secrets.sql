-- Every secret that opens a key, its current one and one still in a grace
-- period, by hash: the primary key lets one hash open one key only, so a
-- custom value can never be another key's previous secret, however many
-- keys are saved at once.
CREATE TABLE api_key_secrets (
    hash   VARCHAR(64) NOT NULL,
    key_id VARCHAR(64) NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    CONSTRAINT api_key_secrets_unique PRIMARY KEY (hash)
);
CREATE INDEX api_key_secrets_key ON api_key_secrets (key_id);

-- A previous secret that is already another key's current one opened the
-- wrong key: its grace period ends here.
UPDATE api_keys SET previous_secret_hash = NULL, previous_valid_until = NULL
    WHERE previous_secret_hash IN (SELECT secret_hash FROM api_keys);
INSERT INTO api_key_secrets (hash, key_id) SELECT secret_hash, id FROM api_keys;
INSERT INTO api_key_secrets (hash, key_id)
    SELECT previous_secret_hash, id FROM api_keys WHERE previous_secret_hash IS NOT NULL;

-- A custom value showed its first eight characters; it now shows at most
-- its last four, which a stored hash cannot give back: older ones show none.
UPDATE api_keys SET display_prefix = '…',
    search_fold = substr(search_fold, 1, instr(search_fold, char(10))) || '…'
    WHERE access_type = 'custom';
