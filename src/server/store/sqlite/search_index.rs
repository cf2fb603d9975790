//! The search index's indexer: messages go into FTS5 after they are stored, in batches on
//! a connection of its own, so that storing a message never waits for its words. It runs
//! every `EVERY`, and before each search (`Sqlite::search`), so a search finds what was
//! stored before it — up to `search::CATCH_UP` messages: past a burst bigger than that the
//! search answers at once and the newest messages are found once the indexer is through.

use std::{
    path::Path,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use rusqlite::{params, Connection, TransactionBehavior};

use super::turn::WriteTurn;
use crate::server::Result;

/// How often the indexer looks for new messages.
pub const EVERY: Duration = Duration::from_millis(250);
/// Rows indexed in one transaction at most; a pass of the writer that wants to write ends
/// it sooner, after the step in progress. (Batches of 1,000 that went on while the writer
/// waited halved durable sends, bench (e); batches of 64 always indexed at a third of the
/// speed: each commit costs about a millisecond.)
const BATCH: i64 = 1000;
/// Messages of one room looked at in one step (the writer waits for one at most).
const STEP: i64 = 64;
/// Rows one call of the indexer indexes at most; the next call goes on.
pub const MOST: usize = 50_000;
/// Pages of log (4 KiB each: 32 MiB) past which the index's commit copies the log into
/// the database. Every checkpoint writes the pages changed since the last one and syncs
/// the database, and the writer's syncs wait behind it; a page changed often (a room's
/// row, the index's segments) is written once per checkpoint, so fewer, larger ones cost
/// the disk less. 1,000 pages gave bench (c) a p99 of 6.6-7.7 ms and (e) 37-38k acks/s;
/// 8,000 gave 4.8-5.1 ms and 40-42k (interleaved, three runs each). 16,000 let the log
/// reach `WalGuard`'s 64 MiB, whose TRUNCATE waits for the readers: p99 14-30 ms. It stays
/// half that bound, for bursts.
const CHECKPOINT_PAGES: u32 = 8_000;
const _: () = assert!(CHECKPOINT_PAGES as u64 * 4096 * 2 <= super::wal_guard::WAL_LIMIT);

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

/// Rooms with messages not indexed yet (64 at most): each one's id, the last seq indexed
/// and its last seq.
fn pending(conn: &Connection) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    conn.prepare_cached(
        "SELECT r.id, coalesce(p.indexed_seq, 0), r.last_seq
         FROM rooms r LEFT JOIN search_progress p ON p.room_id = r.id
         WHERE r.last_seq > coalesce(p.indexed_seq, 0) LIMIT 64",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect()
}

#[derive(Clone)]
pub struct SearchIndex(Arc<Shared>);

/// The indexer's thread; it ends when told to or when every clone of this is dropped.
#[derive(Clone)]
pub struct Indexer {
    stop: std::sync::mpsc::Sender<()>,
}

impl Indexer {
    pub fn stop(&self) {
        let _ = self.stop.send(());
    }
}

struct Shared {
    conn: Mutex<Connection>,
    turn: Arc<WriteTurn>,
    /// Searches waiting for the connection: the timer's indexer lets them in between its
    /// batches.
    waiting: AtomicUsize,
}

impl SearchIndex {
    pub fn open(path: &Path, turn: Arc<WriteTurn>) -> Result<Self> {
        let conn = Connection::open(path)?;
        // This connection commits every `EVERY`, so it is the one that, past
        // `CHECKPOINT_PAGES` of log, copies the log into the database (a passive checkpoint
        // after its commit): at everyday rates that keeps the log below the size where the
        // checkpointer or the writer itself (`WalGuard`) would step in. Indexing in the
        // writer instead left that to them, and the soak's delivery p99 rose by a quarter.
        // (A checkpoint once the turn to write was given back, the writer going on
        // meanwhile, was worse: bench (c)'s p99 14-25 ms against 8-10. Its sync and the
        // writer's were then at the same time.)
        //
        // Its commits do not wait for the disk (`synchronous = NORMAL`): the index is made
        // from the messages, and the log is written in order, so a crash loses at most its
        // last batches, progress and entries together, and they are indexed again; the
        // writer's next durable commit syncs them anyway. A search indexes what came before
        // it: with this and the look without the lock (`catch_up`), a search's catch-up in
        // the soak went from p50 5.1 / p99 37 ms to 4.5 / 30 ms.
        conn.execute_batch(&format!(
            "PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES};
             PRAGMA synchronous = NORMAL;"
        ))?;
        Ok(Self(Arc::new(Shared {
            conn: Mutex::new(conn),
            turn,
            waiting: AtomicUsize::new(0),
        })))
    }

    /// Indexes what is stored and not indexed yet, `most` messages at most, a batch per
    /// transaction (blocking: call on a blocking thread). Returns how many went in.
    pub fn catch_up(&self, most: usize, searching: bool) -> rusqlite::Result<usize> {
        let mut total = 0;
        loop {
            if !searching {
                // A search waiting goes first: it waits for one batch at most.
                while self.0.waiting.load(Ordering::Acquire) > 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            if searching {
                self.0.waiting.fetch_add(1, Ordering::AcqRel);
            }
            let mut conn = self.0.conn.lock().unwrap_or_else(|e| e.into_inner());
            if searching {
                self.0.waiting.fetch_sub(1, Ordering::AcqRel);
            }
            // Whether anything waits is read first, without the write lock: with nothing
            // new, a search does not queue behind the writer's batch for it.
            if pending(&conn)?.is_empty() {
                return Ok(total);
            }
            let turn = self.0.turn.indexer();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pending = pending(&tx)?;
            if pending.is_empty() {
                tx.commit()?;
                return Ok(total);
            }
            let mut rows = 0i64;
            'batch: for (room, mut from, last) in pending {
                while from < last {
                    let upto = last.min(from + STEP);
                    // The messages with words, and (an edit put its message's words out:
                    // the forget trigger) the current words of the messages edited.
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
                    from = upto;
                    // A pass of the writer waiting ends the batch here.
                    if rows >= BATCH || self.0.turn.wanted() {
                        break 'batch;
                    }
                }
            }
            tx.commit()?;
            drop(turn);
            total += rows as usize;
            if total >= most {
                return Ok(total);
            }
            drop(conn);
        }
    }

    /// Starts the indexer: a thread of its own at the lowest priority, so that on a busy
    /// core its words take the time the runtime's threads leave (a search still indexes
    /// what it needs first, at its own priority). It catches up every `EVERY`, until
    /// stopped or the store is dropped.
    pub fn start_indexer(&self) -> Result<Indexer> {
        let index = self.clone();
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                super::checkpointer::lowest_priority();
                loop {
                    if let Err(error) = index.catch_up(MOST, false) {
                        tracing::warn!(%error, "search indexing failed");
                    }
                    match stopped.recv_timeout(EVERY) {
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                        _ => return,
                    }
                }
            })?;
        Ok(Indexer { stop })
    }

    /// A search's `catch_up` (ahead of the indexer's thread), on a blocking thread; a
    /// failure is logged (search is then behind).
    pub async fn catch_up_for_search(&self, most: usize) {
        let index = self.clone();
        match tokio::task::spawn_blocking(move || index.catch_up(most, true)).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "search indexing failed"),
            Err(error) => tracing::warn!(%error, "search indexing stopped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with the real schema and `n` messages waiting to be indexed.
    fn waiting(n: i64) -> (tempfile::TempDir, SearchIndex) {
        let (dir, path, conn) = crate::server::store::sqlite::test_database();
        conn.execute(
            "INSERT INTO users (id, name, created_at) VALUES ('u', 'ann', 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO rooms (id, name, last_seq, created_at) VALUES (1, 'ops', ?1, 0)",
            [n],
        )
        .unwrap();
        let mut insert = conn
            .prepare(
                "INSERT INTO messages (room_id, seq, id, client_id, author_id, author_name, text, ts)
                 VALUES (1, ?1, 'm' || ?1, 'c' || ?1, 'u', 'ann', 'deploy number ' || ?1, ?1)",
            )
            .unwrap();
        for seq in 1..=n {
            insert.execute([seq]).unwrap();
        }
        (dir, SearchIndex::open(&path, Default::default()).unwrap())
    }

    fn indexed(index: &SearchIndex) -> i64 {
        let conn = index.0.conn.lock().unwrap();
        conn.query_row(
            "SELECT count(*) FROM message_search WHERE message_search MATCH 'deploy'",
            [],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn a_search_indexes_its_share_and_the_indexer_the_rest() {
        let (_dir, index) = waiting(7_500);
        // A search after a burst indexes about CATCH_UP (whole batches), not all.
        use crate::server::search::CATCH_UP;
        let by_search = index.catch_up(CATCH_UP, true).unwrap();
        assert!(
            (CATCH_UP..CATCH_UP + BATCH as usize).contains(&by_search),
            "{by_search}"
        );
        assert_eq!(indexed(&index), by_search as i64);
        // The timer's indexer goes on from there, and then there is nothing left.
        let by_timer = index.catch_up(MOST, false).unwrap();
        assert_eq!(by_search + by_timer, 7_500);
        assert_eq!(indexed(&index), 7_500);
        assert_eq!(index.catch_up(MOST, false).unwrap(), 0);
    }
}
