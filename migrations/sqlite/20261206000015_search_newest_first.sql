-- Search newest first without sorting every match (issue 24). An entry's rowid is now its
-- message's time, (ts << 16) plus a tie-breaker, so FTS5 reads the hits of a query from
-- the newest and the search stops at its page; `search_rows` maps an entry to its message.
-- Prefix indexes of one to three letters make a short prefix one list instead of a merge
-- of thousands. Everything is indexed again, in the background, by the indexer.
DROP TRIGGER message_search_forget;
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
CREATE TABLE search_rows (
    rowid   INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    UNIQUE (room_id, seq)
);
DELETE FROM search_progress;
-- A deleted (or edited) message leaves the index at once; the indexer puts an edited one's
-- new words back.
CREATE TRIGGER message_search_forget AFTER UPDATE OF text ON messages
    WHEN old.text <> new.text
BEGIN
    DELETE FROM message_search WHERE rowid =
        (SELECT rowid FROM search_rows WHERE room_id = old.room_id AND seq = old.seq);
    DELETE FROM search_rows WHERE room_id = old.room_id AND seq = old.seq;
END;
