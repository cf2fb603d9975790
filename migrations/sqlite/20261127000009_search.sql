-- Search: a full-text index of messages' text (FTS5, contentless: the text stays in
-- `messages` only). An entry's rowid is (room_id << 32) | seq, so a hit finds its message
-- by primary key and a deleted message's entry is removed by rowid. Deletion entries and
-- tombstones (empty text) are not in it.
--
-- Messages are indexed after they are stored, in batches, by the store's indexer
-- (`store/sqlite/search_index.rs`), never in the transaction that stores them: an insert
-- trigger cost durable writes two thirds of their rate. `search_progress` is how far each
-- room is indexed.
CREATE VIRTUAL TABLE message_search USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE search_progress (
    room_id     INTEGER PRIMARY KEY REFERENCES rooms(id),
    indexed_seq INTEGER NOT NULL
);
-- A deleted message leaves the index at once.
CREATE TRIGGER message_search_forget AFTER UPDATE OF text ON messages
    WHEN old.text <> new.text
BEGIN
    DELETE FROM message_search WHERE rowid = (old.room_id << 32) | old.seq;
END;
