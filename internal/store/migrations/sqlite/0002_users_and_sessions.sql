-- Console users. Usernames are stored lower-cased by validation, so UNIQUE is case-blind.
CREATE TABLE users (
    id              VARCHAR(64)  PRIMARY KEY,
    account_id      VARCHAR(64)  NOT NULL REFERENCES accounts (id),
    username        VARCHAR(64)  NOT NULL,
    password_hash   VARCHAR(200) NOT NULL,
    role            VARCHAR(32)  NOT NULL,
    active          SMALLINT     NOT NULL,
    created_at      VARCHAR(32)  NOT NULL,
    created_by      VARCHAR(100) NOT NULL,
    updated_at      VARCHAR(32)  NOT NULL,
    last_sign_in_at VARCHAR(32),
    version         INTEGER      NOT NULL,
    CONSTRAINT users_username_unique UNIQUE (username)
);
CREATE INDEX users_account ON users (account_id);

-- The accounts an account-viewer user may see; '*' for all.
CREATE TABLE user_role_accounts (
    user_id    VARCHAR(64) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

-- Console sessions live here so that sign-out, deactivation and timeouts end
-- them for good; the cookie carries only the id, and only its hash is stored.
CREATE TABLE sessions (
    id_hash      VARCHAR(64) PRIMARY KEY,
    user_id      VARCHAR(64) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   VARCHAR(32) NOT NULL,
    last_seen_at VARCHAR(32) NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
