-- Per user and room: the highest seq delivered to and read by that user's clients.
CREATE TABLE read_markers (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    room_id     INTEGER NOT NULL REFERENCES rooms(id),
    user_name   TEXT NOT NULL,
    delivered   INTEGER NOT NULL DEFAULT 0,
    read        INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id)
) WITHOUT ROWID;

CREATE INDEX read_markers_by_room ON read_markers (room_id, read);
