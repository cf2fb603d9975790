-- Deleting a message: a new entry in the room's sequence records it (`deletes` = the seq
-- it deletes, so a client catching up with `since` applies it), and the message itself
-- becomes a tombstone (`deleted`, its text emptied) for pages and history.
ALTER TABLE messages ADD COLUMN deletes INTEGER;
ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
