-- Ed25519 keys that sign JWT access keys and user access tokens; the public
-- halves are published at /.well-known/jwks.json.
CREATE TABLE signing_keys (
    kid         VARCHAR(32)  PRIMARY KEY,
    private_key VARCHAR(200) NOT NULL,
    created_at  VARCHAR(32)  NOT NULL
);

-- Devices and apps that signed users in with a key; trust gates sign-in.
CREATE TABLE endpoints (
    key_id        VARCHAR(64)  NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    endpoint_id   VARCHAR(128) NOT NULL,
    name          VARCHAR(400) NOT NULL,
    trusted       SMALLINT     NOT NULL,
    first_seen_at VARCHAR(32)  NOT NULL,
    last_seen_at  VARCHAR(32)  NOT NULL,
    PRIMARY KEY (key_id, endpoint_id)
);

-- Refresh tokens, by hash; each is used once and replaced.
CREATE TABLE refresh_tokens (
    token_hash  VARCHAR(64)  PRIMARY KEY,
    user_id     VARCHAR(64)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id      VARCHAR(64)  NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    endpoint_id VARCHAR(128) NOT NULL,
    created_at  VARCHAR(32)  NOT NULL,
    expires_at  VARCHAR(32)  NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
