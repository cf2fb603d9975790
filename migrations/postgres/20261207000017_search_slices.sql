-- Search at a bounded cost at any size (issue 24). A GIN index returns its matches unordered
-- and gathers every entry of a prefix (`deploy:*`) before it intersects, so two words that
-- are each common and rare together (`deploy release`) cost all their matches: 60 ms at 2M
-- messages, growing with them. Now the entries are cut into slices of time of about
-- `search_index::SLICE` entries each, and the indexed keys are each word prefixed with its
-- entry's slice (`153.deploy`): a search asks the newest slices first
-- (`'153.deploy':* & '153.release':*`) and stops at a full page, so a prefix gathers one
-- slice's entries only. A slice is a range of time (`from_ts` up to the next slice's), so
-- newest first stays exact; the indexer opens a new slice once the newest is full.
CREATE TABLE search_slices (
    slice   BIGINT PRIMARY KEY,
    from_ts BIGINT NOT NULL UNIQUE,
    entries BIGINT NOT NULL DEFAULT 0
);
-- The history there is already: slices of 65,536 messages by time (one sort of the
-- messages' times, once).
INSERT INTO search_slices (slice, from_ts) VALUES (0, -9223372036854775808);
INSERT INTO search_slices (slice, from_ts)
SELECT row_number() OVER (ORDER BY ts), ts FROM (
    SELECT DISTINCT ts FROM (
        SELECT ts, row_number() OVER (ORDER BY ts) AS n FROM messages
        WHERE deletes IS NULL AND reacts IS NULL AND edits IS NULL
    ) m WHERE n % 65536 = 0
) b;
-- The index is made again, in the background, by the indexer (searches find what is
-- indexed so far): its entries need their slices and keys.
TRUNCATE message_search;
DELETE FROM search_progress;
DROP INDEX message_search_words;
ALTER TABLE message_search ADD COLUMN slice BIGINT NOT NULL DEFAULT 0;
ALTER TABLE message_search ADD COLUMN keys tsvector NOT NULL DEFAULT '';
CREATE INDEX message_search_keys ON message_search USING gin (keys)
    WITH (gin_pending_list_limit = 512);
-- An entry goes into the slice its time is in, and its keys are its words prefixed with
-- that slice, whoever writes it (a node of the version before this one too, while the
-- nodes are rolled); an edit's new words keep their slice.
CREATE FUNCTION message_search_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.slice := (SELECT slice FROM search_slices WHERE from_ts <= NEW.ts
                      ORDER BY from_ts DESC LIMIT 1);
    END IF;
    NEW.keys := array_to_tsvector(ARRAY(
        SELECT NEW.slice::text || '.' || w FROM unnest(tsvector_to_array(NEW.words)) AS w));
    RETURN NEW;
END
$$;
CREATE TRIGGER message_search_place BEFORE INSERT OR UPDATE OF words ON message_search
    FOR EACH ROW EXECUTE FUNCTION message_search_place();
