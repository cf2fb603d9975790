//! The bound on the SQLite write-ahead log, kept by the writer between its batches.

use std::path::Path;

use rusqlite::Connection;

/// The write-ahead log's bound. The checkpointer's passive checkpoints copy the log into
/// the database in idle time; under a writer that never pauses, with readers that always
/// hold a snapshot, they never complete, the log is never started over, and it grew to
/// 19 GB in four minutes (issue 24). Past this size the writer itself, between two
/// batches, runs a `TRUNCATE` checkpoint: it waits for the readers of the moment (short
/// reads, at most the busy timeout), copies what the passive ones left, and empties the log.
pub const WAL_LIMIT: u64 = 64 * 1024 * 1024;
/// How often the writer looks at the log's size, at most.
pub const WAL_LOOK_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

pub struct WalGuard {
    wal: std::path::PathBuf,
    limit: u64,
    every: std::time::Duration,
    looked: std::time::Instant,
}

impl WalGuard {
    pub fn new(path: &Path, limit: u64, every: std::time::Duration) -> Self {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        Self {
            wal: wal.into(),
            limit,
            every,
            looked: std::time::Instant::now(),
        }
    }

    /// After a batch: empties the log if it has passed the limit.
    pub fn after_batch(&mut self, conn: &Connection) {
        if self.looked.elapsed() < self.every {
            return;
        }
        self.looked = std::time::Instant::now();
        let size = std::fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0);
        if size < self.limit {
            return;
        }
        let started = std::time::Instant::now();
        let done = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            r.get::<_, i64>(0)
        });
        let after = std::fs::metadata(&self.wal).map(|m| m.len()).unwrap_or(0);
        match done {
            Ok(busy) => tracing::info!(
                wal_bytes = size,
                after_bytes = after,
                busy = busy != 0,
                ms = started.elapsed().as_millis() as u64,
                "write-ahead log over its limit: emptied between batches"
            ),
            Err(error) => {
                tracing::warn!(%error, "write-ahead log over its limit: checkpoint failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that never pauses and readers that always hold a snapshot: passive
    /// checkpoints alone let the log grow without end; the guard keeps it near its limit.
    #[test]
    fn the_log_stays_near_its_limit_under_writes_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             PRAGMA journal_size_limit = 1048576; PRAGMA busy_timeout = 5000;
             CREATE TABLE t (x BLOB);",
        )
        .unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (path, stop) = (path.clone(), stop.clone());
                std::thread::spawn(move || {
                    let reader = Connection::open(&path).unwrap();
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let _: i64 = reader
                            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                            .unwrap();
                    }
                })
            })
            .collect();
        let limit = 4 * 1024 * 1024;
        let mut guard = WalGuard::new(&path, limit, std::time::Duration::ZERO);
        let wal = path.with_extension("db-wal");
        let mut largest = 0;
        let blob = vec![7u8; 64 * 1024];
        for _ in 0..400 {
            // 25 MiB in all, in batches of 64 KiB.
            conn.execute("INSERT INTO t VALUES (?)", [&blob]).unwrap();
            guard.after_batch(&conn);
            largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
        assert!(
            largest < limit + 512 * 1024,
            "the log reached {largest} bytes with a limit of {limit}"
        );
        assert!(std::fs::metadata(&wal).unwrap().len() < limit);
    }
}
