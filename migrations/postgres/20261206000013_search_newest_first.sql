-- Search newest first without sorting every match (issue 24): each entry carries its
-- message's time, and an index in that order lets a search read the matches of a common
-- word from the newest and stop at its page (a rare word still comes from the GIN index).
ALTER TABLE message_search ADD COLUMN ts BIGINT NOT NULL DEFAULT 0;
UPDATE message_search s SET ts = m.ts FROM messages m WHERE m.room_id = s.room_id AND m.seq = s.seq;
CREATE INDEX message_search_newest ON message_search (ts DESC, room_id DESC, seq DESC);
