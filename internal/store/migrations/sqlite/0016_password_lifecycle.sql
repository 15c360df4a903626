-- A user who must choose a new password before anything else (after a
-- reset, or the printed first password), and how many times the password
-- changed: user access tokens carry that number, so a change ends them.
ALTER TABLE users ADD COLUMN must_change_password SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_version INTEGER NOT NULL DEFAULT 0;

-- A username that signed in from an address lately: the throttle's
-- ceilings per username and per address do not hold such a pair back.
-- subject is the SHA-256 of the username and the address.
CREATE TABLE signin_known (
    subject TEXT PRIMARY KEY,
    at      TEXT NOT NULL
);
CREATE INDEX signin_known_at ON signin_known (at);
