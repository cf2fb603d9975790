-- Every search reads the words index's pending list (new entries not yet merged into the
-- index proper) from start to end; at the default 4 MB that cost a search ~8 ms at 400k
-- messages. A smaller list is merged more often, by the indexer, off the searches' path.
ALTER INDEX message_search_words SET (gin_pending_list_limit = 512);
