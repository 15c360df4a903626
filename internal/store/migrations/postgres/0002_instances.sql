-- Every change to a key, in commit order, so that every instance can empty
-- its verification cache of it and say how far it has applied them.
CREATE TABLE key_changes (
    seq    BIGINT PRIMARY KEY,
    key_id TEXT COLLATE "C"   NOT NULL,
    at     TEXT COLLATE "C"   NOT NULL
);
CREATE INDEX key_changes_key ON key_changes (key_id, seq);

-- The running instances: each writes its heartbeat and the newest change
-- it has applied.
CREATE TABLE instances (
    id          TEXT COLLATE "C"   PRIMARY KEY,
    name        TEXT COLLATE "C"   NOT NULL,
    started_at  TEXT COLLATE "C"   NOT NULL,
    seen_at     TEXT COLLATE "C"   NOT NULL,
    applied_seq BIGINT NOT NULL,
    applied_at  TEXT COLLATE "C"   NOT NULL
);
