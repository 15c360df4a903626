-- When each key was last refused for its client address (IP_NOT_ALLOWED),
-- written by the usage flush as last_used_at is: day counts cannot tell
-- "in the last 24 hours".
ALTER TABLE api_keys ADD COLUMN last_ip_refused_at TEXT COLLATE "C";

-- The keys page's "Needs attention" rules, each counted and listed along
-- its own index rather than among all of an account's keys.
CREATE INDEX api_keys_account_ip_refused ON api_keys (account_id, last_ip_refused_at) WHERE last_ip_refused_at IS NOT NULL;
CREATE INDEX api_keys_account_active_expires ON api_keys (account_id, expires_at) WHERE active = 1;
CREATE INDEX api_keys_account_active_unused ON api_keys (account_id, active, COALESCE(last_used_at, ''));
CREATE INDEX api_keys_account_jwt ON api_keys (account_id) WHERE access_type = 'jwt';
-- Keys with an admin role are few: found by role, then checked for account.
CREATE INDEX api_key_roles_role ON api_key_roles (role, key_id);
