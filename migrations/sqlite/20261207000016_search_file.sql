-- The search index moves to a database file of its own, beside this one (`chat.db` →
-- `chat.search.db`, made by `store/sqlite/search_index.rs`), with its own write-ahead log
-- and its own lock: its writes no longer go through the log that every durable send syncs,
-- nor wait for (or hold up) the writer. Edits and deletions reach it through the indexer,
-- which reads them as messages like any other, so the trigger that did goes. Everything
-- is indexed again there, in the background.
DROP TRIGGER message_search_forget;
DROP TABLE message_search;
DROP TABLE search_rows;
DROP TABLE search_progress;
