-- Reactions: an entry in the room's sequence records each one given or taken back
-- (`reacts` = the seq of the message, `text` = the emoji, `undo` = taken back), so a
-- client catching up with `since` applies it; `reactions` holds what each message has
-- now (once per person and emoji), for pages and history.
ALTER TABLE messages ADD COLUMN reacts BIGINT;
ALTER TABLE messages ADD COLUMN undo BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE reactions (
    room_id   BIGINT NOT NULL REFERENCES rooms(id),
    seq       BIGINT NOT NULL,           -- the message reacted to
    emoji     TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    user_name TEXT NOT NULL,
    given     BIGINT NOT NULL,           -- the seq of the entry that gave it (the order shown)
    PRIMARY KEY (room_id, seq, emoji, user_id)
);
