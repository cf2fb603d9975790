-- A room's topic: a line of plain text its members set, shown in the directory and on the
-- room's members page ('' for none).
ALTER TABLE rooms ADD COLUMN topic TEXT NOT NULL DEFAULT '';
