-- Text compares and sorts byte by byte (COLLATE "C"), as in SQLite, whatever
-- the database's locale: lists order alike on both engines.
-- The whole schema as SQLite's migrations 0001-0009 leave it, in TEXT
-- columns (lengths are checked by validation, not by the column). Times
-- are fixed-width UTC text and flags SMALLINT 0/1, as on SQLite, so that
-- one set of queries serves both engines.

CREATE TABLE accounts (
    id         TEXT COLLATE "C" PRIMARY KEY,
    parent_id  TEXT COLLATE "C" REFERENCES accounts (id),
    name       TEXT COLLATE "C" NOT NULL,
    name_fold  TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);
CREATE UNIQUE INDEX accounts_name_unique ON accounts (parent_id, name_fold);
CREATE UNIQUE INDEX accounts_one_root ON accounts ((parent_id IS NULL)) WHERE parent_id IS NULL;

CREATE TABLE api_keys (
    id                        TEXT COLLATE "C"     PRIMARY KEY,
    account_id                TEXT COLLATE "C"     NOT NULL REFERENCES accounts (id),
    name                      TEXT COLLATE "C"     NOT NULL,
    name_fold                 TEXT COLLATE "C"     NOT NULL,
    search_fold               TEXT COLLATE "C"     NOT NULL DEFAULT '',
    type                      TEXT COLLATE "C"     NOT NULL,
    access_type               TEXT COLLATE "C"     NOT NULL,
    active                    SMALLINT NOT NULL,
    allow_unauthenticated     SMALLINT NOT NULL,
    allow_untrusted_endpoints SMALLINT NOT NULL,
    auto_endpoint_trust       SMALLINT NOT NULL,
    expires_at                TEXT COLLATE "C",
    secret_hash               TEXT COLLATE "C"     NOT NULL,
    display_prefix            TEXT COLLATE "C"     NOT NULL,
    created_at                TEXT COLLATE "C"     NOT NULL,
    created_by                TEXT COLLATE "C"     NOT NULL,
    updated_at                TEXT COLLATE "C"     NOT NULL,
    updated_by                TEXT COLLATE "C"     NOT NULL,
    last_used_at              TEXT COLLATE "C",
    last_used_from            TEXT COLLATE "C"     NOT NULL DEFAULT '',
    version                   INTEGER  NOT NULL,
    previous_secret_hash      TEXT COLLATE "C",
    previous_valid_until      TEXT COLLATE "C",
    predefined                SMALLINT NOT NULL DEFAULT 0,
    CONSTRAINT api_keys_name_unique UNIQUE (account_id, name_fold),
    CONSTRAINT api_keys_secret_unique UNIQUE (secret_hash)
);
CREATE INDEX api_keys_account_created ON api_keys (account_id, created_at);
CREATE UNIQUE INDEX api_keys_previous_secret ON api_keys (previous_secret_hash);

CREATE TABLE api_key_roles (
    key_id TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    role   TEXT COLLATE "C" NOT NULL,
    scope  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (key_id, role, scope)
);

CREATE TABLE api_key_permissions (
    key_id     TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    permission TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (key_id, permission)
);

CREATE TABLE api_key_allowed_ips (
    key_id   TEXT COLLATE "C"    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    prefix   TEXT COLLATE "C"    NOT NULL,
    source   TEXT COLLATE "C"    NOT NULL,
    PRIMARY KEY (key_id, position)
);

CREATE TABLE api_key_headers (
    key_id   TEXT COLLATE "C"     NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    position INTEGER  NOT NULL,
    name     TEXT COLLATE "C"     NOT NULL,
    value    TEXT COLLATE "C"     NOT NULL,
    excluded SMALLINT NOT NULL,
    PRIMARY KEY (key_id, position)
);

CREATE TABLE users (
    id              TEXT COLLATE "C"     PRIMARY KEY,
    account_id      TEXT COLLATE "C"     NOT NULL REFERENCES accounts (id),
    username        TEXT COLLATE "C"     NOT NULL,
    password_hash   TEXT COLLATE "C"     NOT NULL,
    role            TEXT COLLATE "C"     NOT NULL,
    active          SMALLINT NOT NULL,
    created_at      TEXT COLLATE "C"     NOT NULL,
    created_by      TEXT COLLATE "C"     NOT NULL,
    updated_at      TEXT COLLATE "C"     NOT NULL,
    last_sign_in_at TEXT COLLATE "C",
    version         INTEGER  NOT NULL,
    CONSTRAINT users_username_unique UNIQUE (username)
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE user_role_accounts (
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, account_id)
);

CREATE TABLE sessions (
    id_hash      TEXT COLLATE "C" PRIMARY KEY,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT COLLATE "C" NOT NULL,
    last_seen_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE audit_events (
    id               TEXT COLLATE "C" PRIMARY KEY,
    at               TEXT COLLATE "C" NOT NULL,
    actor_kind       TEXT COLLATE "C" NOT NULL,
    actor_id         TEXT COLLATE "C" NOT NULL,
    actor_name       TEXT COLLATE "C" NOT NULL,
    actor_name_fold  TEXT COLLATE "C" NOT NULL DEFAULT '',
    client_ip        TEXT COLLATE "C" NOT NULL,
    account_id       TEXT COLLATE "C" NOT NULL,
    target_id        TEXT COLLATE "C" NOT NULL,
    target_name      TEXT COLLATE "C" NOT NULL,
    target_name_fold TEXT COLLATE "C" NOT NULL DEFAULT '',
    action           TEXT COLLATE "C" NOT NULL,
    changes          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_key ON audit_events (target_id, at);

CREATE TABLE api_key_usage (
    key_id TEXT COLLATE "C"    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day    TEXT COLLATE "C"    NOT NULL,
    code   TEXT COLLATE "C"    NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (key_id, day, code)
);

CREATE TABLE signing_keys (
    kid         TEXT COLLATE "C" PRIMARY KEY,
    private_key TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE endpoints (
    key_id        TEXT COLLATE "C"     NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    endpoint_id   TEXT COLLATE "C"     NOT NULL,
    name          TEXT COLLATE "C"     NOT NULL,
    trusted       SMALLINT NOT NULL,
    first_seen_at TEXT COLLATE "C"     NOT NULL,
    last_seen_at  TEXT COLLATE "C"     NOT NULL,
    PRIMARY KEY (key_id, endpoint_id)
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT COLLATE "C" PRIMARY KEY,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_id      TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    endpoint_id TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
