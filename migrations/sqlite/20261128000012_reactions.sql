-- Reactions: an entry in the room's sequence records each one given or taken back
-- (`reacts` = the seq of the message, `text` = the emoji, `undo` = taken back), so a
-- client catching up with `since` applies it; `reactions` holds what each message has
-- now (once per person and emoji), for pages and history.
ALTER TABLE messages ADD COLUMN reacts INTEGER;
ALTER TABLE messages ADD COLUMN undo INTEGER NOT NULL DEFAULT 0;
CREATE TABLE reactions (
    room_id   INTEGER NOT NULL REFERENCES rooms(id),
    seq       INTEGER NOT NULL,          -- the message reacted to
    emoji     TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    user_name TEXT NOT NULL,
    given     INTEGER NOT NULL,          -- the seq of the entry that gave it (the order shown)
    PRIMARY KEY (room_id, seq, emoji, user_id)
);
