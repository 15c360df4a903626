-- The whole schema as SQLite's migrations 0001-0009 leave it, in TEXT
-- columns (lengths are checked by validation, not by the column). Times
-- are fixed-width UTC text and flags SMALLINT 0/1, as on SQLite, so that
-- one set of queries serves both engines.

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    parent_id  TEXT REFERENCES accounts (id),
    name       TEXT NOT NULL,
    name_fold  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);
CREATE UNIQUE INDEX accounts_name_unique ON accounts (parent_id, name_fold);
CREATE UNIQUE INDEX accounts_one_root ON accounts ((parent_id IS NULL)) WHERE parent_id IS NULL;

CREATE TABLE api_keys (
    id                        TEXT     PRIMARY KEY,
    account_id                TEXT     NOT NULL REFERENCES accounts (id),
    name                      TEXT     NOT NULL,
    name_fold                 TEXT     NOT NULL,
    search_fold               TEXT     NOT NULL DEFAULT '',
    type                      TEXT     NOT NULL,
    access_type               TEXT     NOT NULL,
    active                    SMALLINT NOT NULL,
    allow_unauthenticated     SMALLINT NOT NULL,
    allow_untrusted_endpoints SMALLINT NOT NULL,
    auto_endpoint_trust       SMALLINT NOT NULL,
    expires_at                TEXT,
    secret_hash               TEXT     NOT NULL,
    display_prefix            TEXT     NOT NULL,
    created_at                TEXT     NOT NULL,
    created_by                TEXT     NOT NULL,
    updated_at                TEXT     NOT NULL,
    updated_by                TEXT     NOT NULL,
    last_used_at              TEXT,
    last_used_from            TEXT     NOT NULL DEFAULT '',
    version                   INTEGER  NOT NULL,
    previous_secret_hash      TEXT,
    previous_valid_until      TEXT,
    predefined                SMALLINT NOT NULL DEFAULT 0,
    CONSTRAINT api_keys_name_unique UNIQUE (account_id, name_fold),
    CONSTRAINT api_keys_secret_unique UNIQUE (secret_hash)
);
CREATE INDEX api_keys_account_created ON api_keys (account_id, created_at);
CREATE UNIQUE INDEX api_keys_previous_secret ON api_keys (previous_secret_hash);

CREATE TABLE api_key_roles (
    key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    role   TEXT NOT NULL,
    scope  TEXT NOT NULL,
    PRIMARY KEY (key_id, role, scope)
);

CREATE TABLE api_key_permissions (
    key_id     TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (key_id, permission)
);

CREATE TABLE api_key_allowed_ips (
    key_id   TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    prefix   TEXT    NOT NULL,
    source   TEXT    NOT NULL,
    PRIMARY KEY (key_id, position)
);

CREATE TABLE api_key_headers (
    key_id   TEXT     NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    position INTEGER  NOT NULL,
    name     TEXT     NOT NULL,
    value    TEXT     NOT NULL,
    excluded SMALLINT NOT NULL,
    PRIMARY KEY (key_id, position)
);

CREATE TABLE users (
    id              TEXT     PRIMARY KEY,
    account_id      TEXT     NOT NULL REFERENCES accounts (id),
    username        TEXT     NOT NULL,
    password_hash   TEXT     NOT NULL,
    role            TEXT     NOT NULL,
    active          SMALLINT NOT NULL,
    created_at      TEXT     NOT NULL,
    created_by      TEXT     NOT NULL,
    updated_at      TEXT     NOT NULL,
    last_sign_in_at TEXT,
    version         INTEGER  NOT NULL,
    CONSTRAINT users_username_unique UNIQUE (username)
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE user_role_accounts (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    id               TEXT PRIMARY KEY,
    at               TEXT NOT NULL,
    actor_kind       TEXT NOT NULL,
    actor_id         TEXT NOT NULL,
    actor_name       TEXT NOT NULL,
    actor_name_fold  TEXT NOT NULL DEFAULT '',
    client_ip        TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    target_id        TEXT NOT NULL,
    target_name      TEXT NOT NULL,
    target_name_fold TEXT NOT NULL DEFAULT '',
    action           TEXT NOT NULL,
    changes          TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_key ON audit_events (target_id, at);

CREATE TABLE api_key_usage (
    key_id TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day    TEXT    NOT NULL,
    code   TEXT    NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (key_id, day, code)
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE endpoints (
    key_id        TEXT     NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    endpoint_id   TEXT     NOT NULL,
    name          TEXT     NOT NULL,
    trusted       SMALLINT NOT NULL,
    first_seen_at TEXT     NOT NULL,
    last_seen_at  TEXT     NOT NULL,
    PRIMARY KEY (key_id, endpoint_id)
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id      TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
