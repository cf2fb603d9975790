-- Replies: a message that answers another keeps that one's seq (`reply_to`); its quote
-- (author, first line) is read from that message as it is now, so an edit shows and a
-- deletion leaves no words behind.
ALTER TABLE messages ADD COLUMN reply_to INTEGER;
