-- Search: the words of each message's text ('simple': no stemming, as SQLite's FTS5 here)
-- with a GIN index, in a table of their own. Messages are indexed after they are stored,
-- in batches, by the store's indexer (`store/postgres/search_index.rs`), never in the
-- transaction that stores them. `search_progress` is how far each room is indexed.
CREATE TABLE message_search (
    room_id BIGINT NOT NULL,
    seq     BIGINT NOT NULL,
    words   tsvector NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX message_search_words ON message_search USING gin (words);
CREATE TABLE search_progress (
    room_id     BIGINT PRIMARY KEY REFERENCES rooms(id),
    indexed_seq BIGINT NOT NULL
);
-- A deleted message leaves the index at once.
CREATE FUNCTION message_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM message_search WHERE room_id = OLD.room_id AND seq = OLD.seq;
    RETURN NULL;
END
$$;
CREATE TRIGGER message_search_forget AFTER UPDATE OF text ON messages
    FOR EACH ROW WHEN (OLD.text <> NEW.text) EXECUTE FUNCTION message_search_forget();
