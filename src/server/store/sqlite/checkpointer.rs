//! Keeps the write-ahead log small when the writer's own checkpoints
//! (`writer::CHECKPOINT_PAGES`) fell short: a thread with its own connection copies the
//! log into the database once it has grown (and the writer empties it past `WAL_LIMIT`
//! when these passive copies fall behind: `WalGuard`), and folds it in and empties it when
//! the store stops. It runs at the lowest priority, so on a busy core it takes idle time
//! instead of delaying messages, and never blocks the writer (a passive checkpoint needs
//! no lock the writer holds).

use std::{
    path::{Path, PathBuf},
    sync::mpsc,
    time::Duration,
};

use rusqlite::Connection;

use crate::server::Result;

/// The log is copied into the database once it is this big.
const CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;
/// How often its size is looked at.
const EVERY: Duration = Duration::from_millis(200);

#[derive(Clone)]
pub struct Checkpointer {
    stop: mpsc::Sender<mpsc::Sender<()>>,
}

impl Checkpointer {
    pub fn start(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA journal_size_limit = 67108864;")?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let (stop, stopped) = mpsc::channel::<mpsc::Sender<()>>();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                lowest_priority();
                loop {
                    match stopped.recv_timeout(EVERY) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
                            if size >= CHECKPOINT_BYTES {
                                checkpoint(&conn, "PASSIVE");
                            }
                        }
                        Ok(done) => {
                            // Everything is written: fold the log in and empty it.
                            checkpoint(&conn, "TRUNCATE");
                            drop(conn);
                            let _ = done.send(());
                            return;
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
            })?;
        Ok(Self { stop })
    }

    /// A last, full checkpoint; then the thread ends. Call after the writer stopped.
    pub async fn stop(&self) {
        let (done, finished) = mpsc::channel();
        if self.stop.send(done).is_ok() {
            let _ = tokio::task::spawn_blocking(move || finished.recv()).await;
        }
    }
}

fn checkpoint(conn: &Connection, mode: &str) {
    let started = std::time::Instant::now();
    let r = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()));
    if let Err(error) = r {
        tracing::warn!(%error, mode, "checkpoint failed");
    }
    let ms = started.elapsed().as_millis() as u64;
    if ms >= 1000 {
        // The database's flush can hold the log's syncs (the writer's commits) behind it.
        tracing::warn!(mode, ms, "a slow checkpoint");
    }
}

/// This thread runs only when the core has nothing else to do: `SCHED_IDLE` (and nice 19,
/// should that be refused). Nice 19 alone still let a woken indexer keep the core for its
/// slice while messages waited: bench (c) p99 3.1-3.8 ms, 2.0-3.8 with `SCHED_IDLE` (eight
/// runs each, interleaved). Linux applies both per thread.
pub(super) fn lowest_priority() {
    // SAFETY: plain syscalls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 19);
        let param = libc::sched_param { sched_priority: 0 };
        libc::sched_setscheduler(0, libc::SCHED_IDLE, &param);
    }
}
