-- Every change to a key, in commit order, so that every instance can empty
-- its verification cache of it and say how far it has applied them.
CREATE TABLE key_changes (
    seq    BIGINT PRIMARY KEY,
    key_id TEXT   NOT NULL,
    at     TEXT   NOT NULL
);
CREATE INDEX key_changes_key ON key_changes (key_id, seq);

-- The running instances: each writes its heartbeat and the newest change
-- it has applied.
CREATE TABLE instances (
    id          TEXT   PRIMARY KEY,
    name        TEXT   NOT NULL,
    started_at  TEXT   NOT NULL,
    seen_at     TEXT   NOT NULL,
    applied_seq BIGINT NOT NULL,
    applied_at  TEXT   NOT NULL
);
