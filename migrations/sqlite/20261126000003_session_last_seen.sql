-- Sessions expire after 30 days without use; last_seen is refreshed at most once a day.
ALTER TABLE sessions ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen = created_at;
CREATE INDEX sessions_by_user ON sessions (user_id);
