-- Accounts form a tree; keys belong to one account.
CREATE TABLE accounts (
    id         VARCHAR(64)  PRIMARY KEY,
    parent_id  VARCHAR(64)  REFERENCES accounts (id),
    name       VARCHAR(200) NOT NULL,
    created_at VARCHAR(32)  NOT NULL
);
CREATE INDEX accounts_parent ON accounts (parent_id);

CREATE TABLE api_keys (
    id                        VARCHAR(64)  PRIMARY KEY,
    account_id                VARCHAR(64)  NOT NULL REFERENCES accounts (id),
    name                      VARCHAR(400) NOT NULL,
    -- name_fold is the lower-cased name: names are unique per account regardless of case.
    name_fold                 VARCHAR(400) NOT NULL,
    type                      VARCHAR(16)  NOT NULL,
    access_type               VARCHAR(16)  NOT NULL,
    active                    SMALLINT     NOT NULL,
    allow_unauthenticated     SMALLINT     NOT NULL,
    allow_untrusted_endpoints SMALLINT     NOT NULL,
    auto_endpoint_trust       SMALLINT     NOT NULL,
    expires_at                VARCHAR(32),
    secret_hash               VARCHAR(64)  NOT NULL,
    display_prefix            VARCHAR(16)  NOT NULL,
    created_at                VARCHAR(32)  NOT NULL,
    created_by                VARCHAR(100) NOT NULL,
    updated_at                VARCHAR(32)  NOT NULL,
    updated_by                VARCHAR(100) NOT NULL,
    last_used_at              VARCHAR(32),
    last_used_from            VARCHAR(64)  NOT NULL DEFAULT '',
    version                   INTEGER      NOT NULL,
    CONSTRAINT api_keys_name_unique UNIQUE (account_id, name_fold),
    CONSTRAINT api_keys_secret_unique UNIQUE (secret_hash)
);
CREATE INDEX api_keys_account_created ON api_keys (account_id, created_at);

-- scope is an account id, or '*' for every account.
CREATE TABLE api_key_roles (
    key_id VARCHAR(64) NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    role   VARCHAR(32) NOT NULL,
    scope  VARCHAR(64) NOT NULL,
    PRIMARY KEY (key_id, role, scope)
);

CREATE TABLE api_key_permissions (
    key_id     VARCHAR(64) NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    permission VARCHAR(32) NOT NULL,
    PRIMARY KEY (key_id, permission)
);

CREATE TABLE api_key_allowed_ips (
    key_id   VARCHAR(64)  NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    position INTEGER      NOT NULL,
    prefix   VARCHAR(64)  NOT NULL,
    source   VARCHAR(100) NOT NULL,
    PRIMARY KEY (key_id, position)
);

CREATE TABLE api_key_headers (
    key_id   VARCHAR(64)   NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    position INTEGER       NOT NULL,
    name     VARCHAR(64)   NOT NULL,
    value    VARCHAR(1024) NOT NULL,
    excluded SMALLINT      NOT NULL,
    PRIMARY KEY (key_id, position)
);
