-- Recent sign-in failures (a try counts as one until it succeeds), kept in
-- the database so that every instance on it throttles alike. subject is
-- "u:" and the SHA-256 of the username, or "i:" and the client address.
CREATE TABLE signin_failures (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject TEXT COLLATE "C" NOT NULL,
    at      TEXT COLLATE "C" NOT NULL
);
CREATE INDEX signin_failures_subject_at ON signin_failures (subject, at);
-- For the sweep of rows older than the window.
CREATE INDEX signin_failures_at ON signin_failures (at);
