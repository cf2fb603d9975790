//! The search index's indexer: messages' words go into `message_search` after the
//! messages are stored, in batches, so that storing a message never waits for them. It
//! runs every `EVERY` on every node, and before each search (`Postgres::search`), which
//! waits for its turn so that it finds what was stored before it (up to `search::CATCH_UP`
//! messages: past a bigger burst the search answers at once and the newest are found once
//! the indexer is through). Nodes take turns through an advisory lock, a batch at a time.

use std::time::Duration;

use sqlx::PgPool;

use crate::server::Result;

/// How often each node looks for messages to index.
pub const EVERY: Duration = Duration::from_millis(250);
/// Rows indexed in one transaction at most.
const BATCH: i64 = 2000;
/// Rows one call of the indexer indexes at most; the next call goes on.
pub const MOST: u64 = 50_000;
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
        // to end and sorted for every batch (0.85 s a batch at 500k messages).
        let done = sqlx::query(
            "INSERT INTO message_search (room_id, seq, words, ts)
             SELECT DISTINCT ON (t.room_id, t.seq) t.room_id, t.seq, to_tsvector('simple', t.text),
                    t.ts
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[]) AS k(room_id, from_seq, upto)
             CROSS JOIN LATERAL (
                 SELECT coalesce(m.edits, m.seq) AS seq FROM messages m
                 WHERE m.room_id = k.room_id AND m.seq > k.from_seq AND m.seq <= k.upto
                   AND m.deletes IS NULL AND m.reacts IS NULL
             ) m
             JOIN messages t ON t.room_id = k.room_id AND t.seq = m.seq
             WHERE NOT t.deleted AND t.text <> ''
             ON CONFLICT (room_id, seq) DO UPDATE SET words = excluded.words",
        )
        .bind(&rooms)
        .bind(&from)
        .bind(&upto)
        .execute(&mut *tx)
        .await?
        .rows_affected();
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
        total += done;
        if total >= most {
            return Ok(total);
        }
    }
}

/// `catch_up`, with a failure logged (search is then behind); how many went in.
pub async fn run(pool: &PgPool, most: u64) -> u64 {
    catch_up(pool, most).await.unwrap_or_else(|error| {
        tracing::warn!(%error, "search indexing failed");
        0
    })
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
