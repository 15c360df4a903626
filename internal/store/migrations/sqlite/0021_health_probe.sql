-- One row that readiness writes: a write that fails (a full disk, a file
-- made read-only) shows before any user's does.
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
