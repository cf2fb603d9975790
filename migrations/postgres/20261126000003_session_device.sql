-- The device a session was made on (its User-Agent, cut to 200 characters), for the list
-- of one's sessions.
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
