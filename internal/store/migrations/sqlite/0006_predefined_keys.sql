-- Keys made with an account (client and gateway, Chrome, embedded terminal).
ALTER TABLE api_keys ADD COLUMN predefined SMALLINT NOT NULL DEFAULT 0;
