-- The audit trail as a hash chain: each entry's hash covers its content,
-- its place (seq) and the previous entry's hash, so changing, removing or
-- inserting an entry shows. audit_head is the newest link; writers update
-- it in their transaction, which queues them. Existing entries are chained
-- by the migration's Go step, oldest first.
-- Why, in the actor's words: optional, asked on regenerate, deactivate, delete.
ALTER TABLE audit_events ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN hash VARCHAR(64) NOT NULL DEFAULT '';
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
-- Oldest first, a batch at a time, for the chaining below.
CREATE INDEX audit_events_at_id ON audit_events (at, id);
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT      NOT NULL,
    hash VARCHAR(64) NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
-- The outcome of the last `keyconsole audit verify`, for the audit page.
CREATE TABLE audit_verified (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    at      VARCHAR(32) NOT NULL,
    entries BIGINT      NOT NULL,
    problem TEXT        NOT NULL
);
