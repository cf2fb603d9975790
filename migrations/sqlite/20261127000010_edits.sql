-- Editing a message: a new entry in the room's sequence records it (`edits` = the seq it
-- edits, `text` = the new text), so a client catching up with `since` applies it; the
-- message itself takes the new text and `edited` = the seq of its latest edit, for pages,
-- history and search (the search index's forget trigger drops its old words, and the
-- indexer puts the new ones in when it reaches the edit).
ALTER TABLE messages ADD COLUMN edits INTEGER;
ALTER TABLE messages ADD COLUMN edited INTEGER;
