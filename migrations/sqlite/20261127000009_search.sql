-- Search: a full-text index of every message's text (FTS5, contentless: the text stays in
-- `messages` only). An entry's rowid is (room_id << 32) | seq, so a hit finds its message
-- by primary key and a deleted message's entry is removed by rowid. Deletion entries and
-- tombstones (empty text) are not in it.
CREATE VIRTUAL TABLE message_search USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO message_search (rowid, text)
    SELECT (room_id << 32) | seq, text FROM messages WHERE deletes IS NULL AND text <> '';
CREATE TRIGGER message_search_insert AFTER INSERT ON messages
    WHEN new.deletes IS NULL AND new.text <> ''
BEGIN
    INSERT INTO message_search (rowid, text) VALUES ((new.room_id << 32) | new.seq, new.text);
END;
CREATE TRIGGER message_search_update AFTER UPDATE OF text ON messages
    WHEN old.text <> new.text
BEGIN
    DELETE FROM message_search WHERE rowid = (old.room_id << 32) | old.seq;
    INSERT INTO message_search (rowid, text)
        SELECT (new.room_id << 32) | new.seq, new.text WHERE new.text <> '';
END;
