-- Signing keys retire on rotation; a retired key stays published until
-- the tokens it signed have expired.
ALTER TABLE signing_keys ADD COLUMN retired_at VARCHAR(32);

-- Every JWT a JWT access key was given, by jti: what the published
-- revocation list is made of. No foreign key: a deleted key's JWT stays
-- listed as revoked until it expires.
CREATE TABLE key_jwts (
    jti         VARCHAR(32) PRIMARY KEY,
    key_id      VARCHAR(64) NOT NULL,
    secret_hash VARCHAR(64) NOT NULL,
    expires_at  VARCHAR(32) NOT NULL,
    revoked_at  VARCHAR(32)
);
CREATE INDEX key_jwts_key ON key_jwts (key_id);
CREATE INDEX key_jwts_revoked ON key_jwts (expires_at) WHERE revoked_at IS NOT NULL;

-- Refresh tokens form chains (one per sign-in); a used token is kept,
-- marked, so that its reuse is seen and ends the whole chain.
ALTER TABLE refresh_tokens ADD COLUMN chain_id VARCHAR(64) NOT NULL DEFAULT '';
ALTER TABLE refresh_tokens ADD COLUMN used_at VARCHAR(32);
UPDATE refresh_tokens SET chain_id = token_hash;
CREATE INDEX refresh_tokens_chain ON refresh_tokens (chain_id);

-- An endpoint proves it is the device that registered: the hash of the
-- secret it was given then ('' for endpoints registered before).
ALTER TABLE endpoints ADD COLUMN secret_hash VARCHAR(64) NOT NULL DEFAULT '';
