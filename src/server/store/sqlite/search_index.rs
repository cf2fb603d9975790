//! The search index's indexer: messages go into FTS5 after they are stored, in batches on
//! a connection of its own, so that storing a message never waits for its words. It runs
//! every `EVERY`, and before each search (`Sqlite::search`), so a search finds what was
//! stored before it — up to `search::CATCH_UP` messages: past a burst bigger than that the
//! search answers at once and the newest messages are found once the indexer is through.
//!
//! The index is a database file of its own beside the messages' (`file_for`), which this
//! connection opens as `main` and the read pool attaches as `search`; it reads the
//! messages' file through `ATTACH`. So its writes have their own log and their own lock:
//! they are never synced by a durable send's commit, and the writer never waits for them.
//! It is made from the messages alone: a lost or stale file is made again (`open`).

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use rusqlite::{params, Connection, TransactionBehavior};

use crate::server::Result;

/// How often the indexer looks for new messages.
pub const EVERY: Duration = Duration::from_millis(250);
/// Rows indexed in one transaction at most.
const BATCH: i64 = 1000;
/// Messages of one room looked at in one step.
const STEP: i64 = 64;
/// Rows one call of the indexer indexes at most; the next call goes on.
pub const MOST: usize = 50_000;

/// The index's tables. Entries are numbered in time order (`entry_for`); `search_rows`
/// maps an entry to its message; `search_progress` is how far each room is indexed.
const SCHEMA: &str = "
    CREATE VIRTUAL TABLE IF NOT EXISTS message_search USING fts5(
        text,
        content = '',
        contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2',
        prefix = '1 2 3'
    );
    CREATE TABLE IF NOT EXISTS search_rows (
        rowid   INTEGER PRIMARY KEY,
        room_id INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        UNIQUE (room_id, seq)
    );
    CREATE TABLE IF NOT EXISTS search_progress (
        room_id     INTEGER PRIMARY KEY,
        indexed_seq INTEGER NOT NULL
    );";

/// The index's file for the messages' database at `db`: `chat.db` → `chat.search.db`.
pub fn file_for(db: &Path) -> PathBuf {
    db.with_extension("search.db")
}

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

/// Messages of one room to index: its words to put in (new messages and the messages
/// edited, with their words of now), the messages deleted, and the seq it is indexed to.
struct Step {
    room: i64,
    upto: i64,
    found: Vec<(i64, i64, String)>,
    deleted: Vec<i64>,
}

/// The next batch to index (`BATCH` words at most, whole steps), read from one snapshot of
/// the messages, which ends before this returns.
fn read_batch(conn: &Connection) -> rusqlite::Result<Vec<Step>> {
    let tx = conn.unchecked_transaction()?;
    let mut steps = Vec::new();
    let mut rows = 0;
    'batch: for (room, mut from, last) in pending(&tx)? {
        while from < last {
            let upto = last.min(from + STEP);
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
            // (Until its entry goes, a search skips a deleted message: it reads the
            // message, deleted.)
            let deleted: Vec<i64> = tx
                .prepare_cached(
                    "SELECT deletes FROM messages
                     WHERE room_id = ?1 AND seq > ?2 AND seq <= ?3 AND deletes IS NOT NULL",
                )?
                .query_map(params![room, from, upto], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            rows += found.len();
            steps.push(Step {
                room,
                upto,
                found,
                deleted,
            });
            from = upto;
            if rows >= BATCH as usize {
                break 'batch;
            }
        }
    }
    tx.commit()?;
    Ok(steps)
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
    /// Searches waiting for the connection: the timer's indexer lets them in between its
    /// batches.
    waiting: AtomicUsize,
}

impl SearchIndex {
    /// Opens (making it if missing) the index of the messages' database at `db`.
    pub fn open(db: &Path) -> Result<Self> {
        let conn = Connection::open(file_for(db))?;
        // Its commits do not wait for the disk (`synchronous = NORMAL`): the index is made
        // from the messages, and the log is written in order, so a crash loses at most its
        // last batches, progress and entries together, and they are indexed again. Its log
        // is copied into its file past 8,000 pages (32 MiB; fewer, larger checkpoints
        // write a page changed often once), and cut back to that size after.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;
             PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 8000;
             PRAGMA journal_size_limit = 33554432; PRAGMA temp_store = MEMORY;",
        )?;
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "ATTACH DATABASE ?1 AS chat",
            [db.to_string_lossy().as_ref()],
        )?;
        // An index ahead of its rooms is another database's, or this one's before a
        // restore from a backup: its entries would name other messages. It is made again.
        let stale: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM search_progress p LEFT JOIN chat.rooms r ON r.id = p.room_id
                            WHERE r.id IS NULL OR p.indexed_seq > r.last_seq)",
            [],
            |r| r.get(0),
        )?;
        if stale {
            tracing::warn!("the search index was not this database's: indexing again");
            conn.execute_batch(
                "BEGIN; INSERT INTO message_search (message_search) VALUES ('delete-all');
                 DELETE FROM search_rows; DELETE FROM search_progress; COMMIT;",
            )?;
        }
        Ok(Self(Arc::new(Shared {
            conn: Mutex::new(conn),
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
            // What to index is read first, and the messages' snapshot let go, before a
            // word is written: a reader that stays (this thread runs at the lowest
            // priority) keeps the writer's log from starting over, and it grew to its
            // bound every second in bench (e), the writer emptying it (`WalGuard`) and
            // waiting for this thread, up to 2.5 s.
            let steps = read_batch(&conn)?;
            if steps.is_empty() {
                return Ok(total);
            }
            // Only the index's own file is written (an immediate transaction would lock
            // the messages' file too).
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let mut rows = 0i64;
            for step in steps {
                for (seq, ts, text) in step.found {
                    let entry = entry_for(&tx, step.room, seq, ts)?;
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO message_search (rowid, text) VALUES (?1, ?2)",
                    )?
                    .execute(params![entry, text])?;
                    rows += 1;
                }
                for seq in step.deleted {
                    tx.prepare_cached(
                        "DELETE FROM message_search WHERE rowid =
                            (SELECT rowid FROM search_rows WHERE room_id = ?1 AND seq = ?2)",
                    )?
                    .execute(params![step.room, seq])?;
                    tx.prepare_cached("DELETE FROM search_rows WHERE room_id = ?1 AND seq = ?2")?
                        .execute(params![step.room, seq])?;
                }
                tx.prepare_cached(
                    "INSERT INTO search_progress (room_id, indexed_seq) VALUES (?1, ?2)
                     ON CONFLICT (room_id) DO UPDATE SET indexed_seq = excluded.indexed_seq",
                )?
                .execute(params![step.room, step.upto])?;
            }
            tx.commit()?;
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

    /// Folds the index's log into its file and empties it (the store is stopping).
    pub async fn close(&self) {
        let index = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let conn = index.0.conn.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(error) =
                conn.query_row("PRAGMA main.wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            {
                tracing::warn!(%error, "the search index's last checkpoint failed");
            }
        })
        .await;
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
        (dir, SearchIndex::open(&path).unwrap())
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
        use crate::server::domain::search::CATCH_UP;
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

    fn matches(index: &SearchIndex, word: &str) -> i64 {
        let conn = index.0.conn.lock().unwrap();
        conn.query_row(
            "SELECT count(*) FROM message_search WHERE message_search MATCH ?1",
            [word],
            |r| r.get(0),
        )
        .unwrap()
    }

    #[test]
    fn edits_and_deletions_reach_the_index_as_messages() {
        let (dir, index) = waiting(3);
        index.catch_up(MOST, false).unwrap();
        assert_eq!(matches(&index, "deploy"), 3);
        // Message 1 edited (seq 4) and message 2 deleted (seq 5), as the writer stores them.
        let conn = Connection::open(dir.path().join("chat.db")).unwrap();
        conn.execute_batch(
            "UPDATE messages SET text = 'rollback plan', edited = 4 WHERE room_id = 1 AND seq = 1;
             INSERT INTO messages (room_id, seq, id, client_id, author_id, author_name, text, ts, edits)
             VALUES (1, 4, 'm4', 'c4', 'u', 'ann', 'rollback plan', 4, 1);
             UPDATE messages SET text = '', deleted = 1 WHERE room_id = 1 AND seq = 2;
             INSERT INTO messages (room_id, seq, id, client_id, author_id, author_name, text, ts, deletes)
             VALUES (1, 5, 'm5', 'c5', 'u', 'ann', '', 5, 2);
             UPDATE rooms SET last_seq = 5 WHERE id = 1;",
        )
        .unwrap();
        index.catch_up(MOST, false).unwrap();
        assert_eq!(matches(&index, "deploy"), 1, "only message 3 says it now");
        assert_eq!(matches(&index, "rollback"), 1, "message 1's new words");
        let entries: Vec<i64> = index
            .0
            .conn
            .lock()
            .unwrap()
            .prepare("SELECT seq FROM search_rows ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(entries, [1, 3], "the deleted message's entry is gone");
    }

    #[test]
    fn an_index_ahead_of_its_database_is_made_again() {
        let (dir, index) = waiting(3);
        index.catch_up(MOST, false).unwrap();
        drop(index);
        // The database restored from a backup taken when the room had one message, and a
        // new second message since: the old index's entry 2 would name the wrong one.
        let path = dir.path().join("chat.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DELETE FROM messages WHERE seq > 1;
             INSERT INTO messages (room_id, seq, id, client_id, author_id, author_name, text, ts)
             VALUES (1, 2, 'n2', 'd2', 'u', 'ann', 'hotfix shipped', 2);
             UPDATE rooms SET last_seq = 2 WHERE id = 1;",
        )
        .unwrap();
        let index = SearchIndex::open(&path).unwrap();
        index.catch_up(MOST, false).unwrap();
        assert_eq!(matches(&index, "deploy"), 1);
        assert_eq!(matches(&index, "hotfix"), 1);
    }
}
