-- Search: the words of every message's text ('simple': no stemming, as SQLite's FTS5
-- here), kept by Postgres itself, with a GIN index. Tombstones (empty text) have none.
ALTER TABLE messages
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);
