-- Bots: accounts an admin makes, that sign in with a token (no password) and whose
-- messages are marked "bot". A bot owns its name (name_key) like any account.
ALTER TABLE users ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
-- Kept on each message, as its author's name is, so reading history needs no join.
ALTER TABLE messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0;
