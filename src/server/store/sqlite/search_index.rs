//! The search index's indexer: messages go into FTS5 after they are stored, in batches on
//! a connection of its own, so that storing a message never waits for its words. It runs
//! every `EVERY`, and before each search (`Sqlite::search`), so a search finds what was
//! stored before it.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use rusqlite::{params, Connection, TransactionBehavior};

use crate::server::Result;

/// How often the indexer looks for new messages.
pub const EVERY: Duration = Duration::from_millis(250);
/// Rows indexed in one transaction at most (the writer waits for it meanwhile).
const BATCH: i64 = 1000;
/// Rows one call indexes at most; the next call goes on.
const MOST: usize = 50_000;

/// The index entry (rowid) of the message `seq` of `room`, sent at `ts`: the one it has,
/// or a new one, `ts << 16` plus the first free tie-breaker, so entries are in time order.
fn entry_for(conn: &Connection, room: i64, seq: i64, ts: i64) -> rusqlite::Result<i64> {
    use rusqlite::OptionalExtension;
    if let Some(entry) = conn
        .prepare_cached("SELECT rowid FROM search_rows WHERE room_id = ?1 AND seq = ?2")?
        .query_row(params![room, seq], |r| r.get(0))
        .optional()?
    {
        return Ok(entry);
    }
    let mut entry = (ts.max(0) << 16) | (seq & 0xFFFF);
    let mut insert = conn.prepare_cached(
        "INSERT OR IGNORE INTO search_rows (rowid, room_id, seq) VALUES (?1, ?2, ?3)",
    )?;
    while insert.execute(params![entry, room, seq])? == 0 {
        entry += 1;
    }
    Ok(entry)
}

#[derive(Clone)]
pub struct SearchIndex(Arc<Mutex<Connection>>);

impl SearchIndex {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000;")?;
        Ok(Self(Arc::new(Mutex::new(conn))))
    }

    /// Indexes what is stored and not indexed yet (blocking: call on a blocking thread).
    /// Returns how many messages went in.
    pub fn catch_up(&self) -> rusqlite::Result<usize> {
        let mut conn = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut total = 0;
        loop {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pending: Vec<(i64, i64, i64)> = tx
                .prepare_cached(
                    "SELECT r.id, coalesce(p.indexed_seq, 0), r.last_seq
                     FROM rooms r LEFT JOIN search_progress p ON p.room_id = r.id
                     WHERE r.last_seq > coalesce(p.indexed_seq, 0) LIMIT 64",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            if pending.is_empty() {
                tx.commit()?;
                return Ok(total);
            }
            let mut rows = 0i64;
            for (room, from, last) in pending {
                let upto = last.min(from + (BATCH - rows).max(1));
                // The messages with words, and (an edit put its message's words out: the
                // forget trigger) the current words of the messages edited.
                let found: Vec<(i64, i64, String)> = tx
                    .prepare_cached(
                        "SELECT seq, ts, text FROM messages
                         WHERE room_id = ?1 AND seq > ?2 AND seq <= ?3
                           AND deletes IS NULL AND edits IS NULL AND reacts IS NULL
                           AND text <> ''
                         UNION ALL
                         SELECT t.seq, t.ts, t.text
                         FROM messages e JOIN messages t ON t.room_id = e.room_id AND t.seq = e.edits
                         WHERE e.room_id = ?1 AND e.seq > ?2 AND e.seq <= ?3
                           AND NOT t.deleted AND t.text <> ''",
                    )?
                    .query_map(params![room, from, upto], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                for (seq, ts, text) in found {
                    let entry = entry_for(&tx, room, seq, ts)?;
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO message_search (rowid, text) VALUES (?1, ?2)",
                    )?
                    .execute(params![entry, text])?;
                    rows += 1;
                }
                tx.prepare_cached(
                    "INSERT INTO search_progress (room_id, indexed_seq) VALUES (?1, ?2)
                     ON CONFLICT (room_id) DO UPDATE SET indexed_seq = excluded.indexed_seq",
                )?
                .execute(params![room, upto])?;
                if rows >= BATCH {
                    break;
                }
            }
            tx.commit()?;
            total += rows as usize;
            if total >= MOST {
                return Ok(total);
            }
        }
    }

    /// `catch_up` on a blocking thread; a failure is logged (search is then behind).
    pub async fn run(&self) {
        let index = self.clone();
        match tokio::task::spawn_blocking(move || index.catch_up()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "search indexing failed"),
            Err(error) => tracing::warn!(%error, "search indexing stopped"),
        }
    }
}
