//! The search index's indexer: messages' words go into `message_search` after the
//! messages are stored, in batches, so that storing a message never waits for them. It
//! runs every `EVERY` on every node, and before each search (`Postgres::search`), which
//! waits for its turn so that it finds what was stored before it (up to `search::CATCH_UP`
//! messages: past a bigger burst the search answers at once and the newest are found once
//! the indexer is through). Nodes take turns through an advisory lock, a batch at a time.
//!
//! Each entry goes into the slice of time its message belongs to (`search_slices`, about
//! `SLICE` entries each), and its words, prefixed with the slice, are its keys
//! (`153.deploy`): a search asks the newest slices first (`query`), so a prefix gathers
//! the entries of a few slices, never of the whole index.

use std::time::Duration;

use sqlx::PgPool;

use crate::server::Result;

/// How often each node looks for messages to index.
pub const EVERY: Duration = Duration::from_millis(250);
/// Rows indexed in one transaction at most.
const BATCH: i64 = 2000;
/// Rows one call of the indexer indexes at most; the next call goes on.
pub const MOST: u64 = 50_000;
/// Entries in a slice of time of the index before the next one begins (`search_slices`;
/// the migration that made them cut the history there was in as many).
pub const SLICE: i64 = 65_536;
/// Slices one query of a search asks at most (each adds its words to the query, and
/// the planner's guess of how much it matches).
pub const SLICES_AT_ONCE: usize = 16;
/// The advisory lock the nodes' indexers take turns with ("search" in ASCII).
const LOCK: i64 = 0x7365_6172_6368;

/// Indexes what is stored and not indexed yet, after any other node's indexer; returns
/// how many messages went in.
pub async fn catch_up(pool: &PgPool, most: u64) -> Result<u64> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LOCK)
            .execute(&mut *tx)
            .await?;
        let pending: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT r.id, coalesce(p.indexed_seq, 0), least(r.last_seq, coalesce(p.indexed_seq, 0) + $1)
             FROM rooms r LEFT JOIN search_progress p ON p.room_id = r.id
             WHERE r.last_seq > coalesce(p.indexed_seq, 0) LIMIT 64",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        if pending.is_empty() {
            tx.commit().await?;
            return Ok(total);
        }
        let rooms: Vec<i64> = pending.iter().map(|p| p.0).collect();
        let from: Vec<i64> = pending.iter().map(|p| p.1).collect();
        let upto: Vec<i64> = pending.iter().map(|p| p.2).collect();
        // A message's words; for an edit, its message's current words again (the forget
        // trigger put the old ones out). Each room's new rows are read as a range of its
        // key (`LATERAL`): joined as a whole, a table without statistics was read from end
        // to end and sorted for every batch (0.85 s a batch at 500k messages). A trigger
        // puts each entry into the slice of time its message belongs to and makes its
        // keys; how many went into each slice is counted.
        let placed: Vec<(i64, i64)> = sqlx::query_as(
            "WITH new AS (
                 SELECT DISTINCT ON (t.room_id, t.seq) t.room_id, t.seq,
                        to_tsvector('simple', t.text) AS words, t.ts
                 FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS k(room_id, from_seq, upto)
                 CROSS JOIN LATERAL (
                     SELECT coalesce(m.edits, m.seq) AS seq FROM messages m
                     WHERE m.room_id = k.room_id AND m.seq > k.from_seq AND m.seq <= k.upto
                       AND m.deletes IS NULL AND m.reacts IS NULL
                 ) m
                 JOIN messages t ON t.room_id = k.room_id AND t.seq = m.seq
                 WHERE NOT t.deleted AND t.text <> ''
             ), put AS (
                 INSERT INTO message_search (room_id, seq, words, ts)
                 SELECT room_id, seq, words, ts FROM new
                 ON CONFLICT (room_id, seq) DO UPDATE SET words = excluded.words
                 RETURNING slice
             )
             SELECT slice, count(*) FROM put GROUP BY slice",
        )
        .bind(&rooms)
        .bind(&from)
        .bind(&upto)
        .fetch_all(&mut *tx)
        .await?;
        let done: i64 = placed.iter().map(|p| p.1).sum();
        if done > 0 {
            let (slices, counts): (Vec<i64>, Vec<i64>) = placed.into_iter().unzip();
            count_and_cut(&mut tx, &slices, &counts).await?;
        }
        sqlx::query(
            "INSERT INTO search_progress (room_id, indexed_seq)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[])
             ON CONFLICT (room_id) DO UPDATE
                 SET indexed_seq = greatest(search_progress.indexed_seq, excluded.indexed_seq)",
        )
        .bind(&rooms)
        .bind(&upto)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        total += done as u64;
        if total >= most {
            return Ok(total);
        }
    }
}

/// Counts `counts[i]` new entries into slice `slices[i]`; the newest slice, once full,
/// gives way to a new one.
async fn count_and_cut(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    slices: &[i64],
    counts: &[i64],
) -> Result<()> {
    // The newest slice, once full, gives way to a new one from just after the newest
    // entry (which is in it; one older than that, come late, still goes where its time
    // is).
    sqlx::query(
        "WITH counted AS (
             UPDATE search_slices s SET entries = s.entries + c.n
             FROM UNNEST($1::bigint[], $2::bigint[]) AS c(slice, n)
             WHERE s.slice = c.slice
             RETURNING s.slice, s.entries
         )
         INSERT INTO search_slices (slice, from_ts)
         SELECT s.slice + 1, (SELECT max(ts) FROM message_search) + 1
         FROM (SELECT slice, entries FROM search_slices ORDER BY slice DESC LIMIT 1) s
         LEFT JOIN counted c ON c.slice = s.slice
         WHERE coalesce(c.entries, s.entries) >= $3
         ON CONFLICT DO NOTHING",
    )
    .bind(slices)
    .bind(counts)
    .bind(SLICE)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A tsquery that every word of `words` (as the index has them) starts a word of the
/// entry: of its words, or, with `slice`, of its keys in that slice.
pub fn query(words: &[String], slice: Option<i64>) -> String {
    let lexeme = |w: &str| {
        let w = w.replace('\\', "\\\\").replace('\'', "''");
        match slice {
            Some(slice) => format!("'{slice}.{w}':*"),
            None => format!("'{w}':*"),
        }
    };
    words
        .iter()
        .map(|w| lexeme(w))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// `catch_up`, with a failure logged (search is then behind); how many went in. What went
/// in is then merged into the index proper: every search reads the GIN index's pending
/// list of new entries from end to end, for each slice it asks (16 slices: 2.5 ms with a
/// list of 30 pages, 0.3 ms without).
pub async fn run(pool: &PgPool, most: u64) -> u64 {
    let done = catch_up(pool, most).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "search indexing failed");
        0
    });
    if done > 0 {
        if let Err(error) = sqlx::query("SELECT gin_clean_pending_list('message_search_keys')")
            .execute(pool)
            .await
        {
            tracing::warn!(%error, "could not merge the search index's new entries");
        }
    }
    done
}

/// Rows indexed (by this node) before the tables' statistics are looked at again.
const ANALYZE_AFTER: u64 = 10_000;

/// Keeps the planner's picture of the growing tables true: `ANALYZE messages,
/// message_search` once `since` rows went into the index, and at least a tenth of it.
/// Without statistics (autovacuum off, or not come round yet after a burst) the planner
/// guesses: it took a rare word for a common one and read the whole index newest first
/// (80 ms at 400k messages for a word no message has; 0.1 ms with statistics), and it read
/// all of `messages` to find a few rooms' newest rows. True when it ran.
pub async fn analyze_if_grown(pool: &PgPool, since: u64) -> bool {
    if since < ANALYZE_AFTER {
        return false;
    }
    let rows: Result<f32, _> =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = 'message_search'::regclass")
            .fetch_one(pool)
            .await;
    match rows {
        Ok(rows) if (since as f32) < rows / 10.0 => false,
        Ok(_) => {
            if let Err(error) = sqlx::query("ANALYZE messages, message_search")
                .execute(pool)
                .await
            {
                tracing::warn!(%error, "could not analyze the messages and their index");
            }
            true
        }
        Err(error) => {
            tracing::warn!(%error, "could not read the search index's size");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::query;

    #[test]
    fn a_query_asks_every_word_as_a_prefix_in_its_slice() {
        let words = vec!["deploy".to_owned(), "café".to_owned()];
        assert_eq!(query(&words, None), "'deploy':* & 'café':*");
        assert_eq!(query(&words, Some(153)), "'153.deploy':* & '153.café':*");
    }

    #[test]
    fn a_quote_or_backslash_stays_inside_its_lexeme() {
        let words = vec!["it's".to_owned(), "a\\b".to_owned()];
        assert_eq!(query(&words, Some(0)), r"'0.it''s':* & '0.a\\b':*");
    }
}
