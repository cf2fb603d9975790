//! Small indexed reads on the calling thread. A read through the sqlx pool hops to the
//! connection's own thread and back; on a busy core those two thread switches cost more
//! than the query. The reads a page makes for every request (the reader's rooms) run here
//! instead, on connections kept for it (opened on first use), in microseconds.
//!
//! Such a read never waits long: a connection that finds the database busy gives up after
//! a moment and the caller reads through the pool instead.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use rusqlite::{Connection, OpenFlags};

/// Connections kept; more at once are opened and closed again.
const KEPT: usize = 4;

pub struct QuickReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl QuickReads {
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` on a connection of its own (committed data only, as every reader).
    pub fn with<R>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<R>,
    ) -> rusqlite::Result<R> {
        let conn = self.idle.lock().expect("quick reads lock").pop();
        let conn = match conn {
            Some(conn) => conn,
            None => self.open()?,
        };
        let out = read(&conn);
        let mut idle = self.idle.lock().expect("quick reads lock");
        if idle.len() < KEPT {
            idle.push(conn);
        }
        out
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Never a writer; and a moment's wait at most, on the caller's thread.
        conn.execute_batch("PRAGMA query_only = 1; PRAGMA busy_timeout = 20;")?;
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_on_kept_connections_and_fails_rather_than_waits_or_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (7);",
            )
            .unwrap();
        let quick = QuickReads::new(&path);
        let read =
            |q: &QuickReads| q.with(|c| c.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0)));
        assert_eq!(read(&quick).unwrap(), 7);
        assert_eq!(read(&quick).unwrap(), 7);
        assert_eq!(quick.idle.lock().unwrap().len(), 1, "one connection, kept");
        // Never a writer.
        assert!(quick
            .with(|c| c.execute("INSERT INTO t VALUES (8)", []))
            .is_err());
        // A database it cannot open is an error for the caller to go around.
        let nowhere = QuickReads::new(&dir.path().join("missing/dir/q.db"));
        assert!(read(&nowhere).is_err());
    }
}
