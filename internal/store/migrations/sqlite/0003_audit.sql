-- The audit trail: one row per change. No secret is ever written here.
CREATE TABLE audit_events (
    id         VARCHAR(64)  PRIMARY KEY,
    at         VARCHAR(32)  NOT NULL,
    actor_kind VARCHAR(8)   NOT NULL,
    actor_id   VARCHAR(64)  NOT NULL,
    actor_name VARCHAR(400) NOT NULL,
    client_ip  VARCHAR(64)  NOT NULL,
    account_id VARCHAR(64)  NOT NULL,
    key_id     VARCHAR(64)  NOT NULL,
    key_name   VARCHAR(400) NOT NULL,
    action     VARCHAR(32)  NOT NULL,
    -- JSON list of {field, from, to} for edits.
    changes    TEXT         NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_key ON audit_events (key_id, at);
