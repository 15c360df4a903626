-- Audit events now also record changes to users and accounts: the key
-- columns name the target of any event; the action's prefix says its kind.
ALTER TABLE audit_events RENAME COLUMN key_id TO target_id;
ALTER TABLE audit_events RENAME COLUMN key_name TO target_name;
