-- A room's topic: a line saying what the room is for, shown in its header and in the
-- directory; set when the room is made or later by its owners (empty: none).
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
