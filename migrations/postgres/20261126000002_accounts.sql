-- Accounts: a user with a password owns its name. Guests have neither column.
ALTER TABLE users ADD COLUMN password_hash TEXT;        -- argon2id PHC string
ALTER TABLE users ADD COLUMN name_key TEXT;             -- TR39 skeleton of the name
CREATE UNIQUE INDEX users_by_name_key ON users (name_key) WHERE name_key IS NOT NULL;
