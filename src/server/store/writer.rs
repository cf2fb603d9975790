//! The store's one writer: a thread with its own SQLite connection that takes every write
//! waiting (messages of all rooms, markers, sign-ins) and commits them in one transaction,
//! so durability costs one fsync per pass, however many rooms and people wrote.
//!
//! Each job runs inside a savepoint: a job that fails is rolled back alone and answered
//! with its error; the others commit. Statements are prepared once and cached, and no
//! statement crosses a thread boundary: a pass costs one wake-up, not one per statement.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{parse_uuid, Appended, MarkerChange, NewMessage, RoomRef};
use crate::{
    protocol::{ChatMessage, Receipt},
    server::{session::User, Error, Result},
    timestamp::Timestamp,
    validation::{DisplayName, RoomName},
};

/// Jobs waiting before callers wait too.
const QUEUE: usize = 4096;
/// Most jobs in one transaction.
const MAX_PASS: usize = 1024;

type Reply<T> = oneshot::Sender<Result<T>>;

pub enum Job {
    Append {
        room: RoomRef,
        batch: Vec<NewMessage>,
        reply: Reply<Vec<Appended>>,
    },
    RaiseMarkers {
        room: RoomRef,
        user: User,
        delivered: u64,
        read: u64,
        reply: Reply<MarkerChange>,
    },
    CreateUserSession {
        name: DisplayName,
        token_hash: Vec<u8>,
        reply: Reply<User>,
    },
    EnsureRoom {
        name: RoomName,
        reply: Reply<i64>,
    },
    /// Signs a session out (`token_hash` gone: its cookie no longer works).
    DeleteSession {
        token_hash: Vec<u8>,
        reply: Reply<()>,
    },
    /// Records that a session was used at `at` (ms), which keeps it from expiring.
    TouchSession {
        token_hash: Vec<u8>,
        at: i64,
        reply: Reply<()>,
    },
    /// Finish what was queued before, close the connection and end the thread.
    Stop {
        done: oneshot::Sender<()>,
    },
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Opens the database at `path` for writing and starts the writer thread.
    pub fn start(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             -- Checkpoints run off this thread (see `Store::checkpoint`).
             PRAGMA wal_autocheckpoint = 0;",
        )?;
        conn.set_prepared_statement_cache_capacity(32);
        let (jobs, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, rx))?;
        Ok(Self { jobs })
    }

    /// Stores everything queued so far, then stops; later writes fail.
    pub async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.jobs.send(Job::Stop { done }).await.is_ok() {
            let _ = stopped.await;
        }
    }

    /// Queues `job` (waiting while the queue is full) and awaits its answer.
    pub async fn call<T>(&self, job: impl FnOnce(Reply<T>) -> Job) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(job(reply))
            .await
            .map_err(|_| Error::StoreClosed)?;
        answer.await.map_err(|_| Error::StoreClosed)?
    }
}

fn run(mut conn: Connection, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_PASS);
    let mut stop = None;
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Stop { done } => {
                    stop = Some(done);
                    break;
                }
                job => jobs.push(job),
            }
            if jobs.len() < MAX_PASS {
                next = rx.try_recv().ok();
            }
        }
        if !jobs.is_empty() {
            pass(&mut conn, &mut jobs);
        }
        if let Some(done) = stop.take() {
            rx.close();
            drop(conn);
            let _ = done.send(());
            return;
        }
    }
}

/// An answered job, waiting for the commit.
enum Done {
    Append(Reply<Vec<Appended>>, Result<Vec<Appended>>),
    Markers(Reply<MarkerChange>, Result<MarkerChange>),
    Unit(Reply<()>, Result<()>),
    User(Reply<User>, Result<User>),
    Room(Reply<i64>, Result<i64>),
}

impl Done {
    /// Sends the answer, or `error` instead of a success when the commit failed.
    fn answer(self, failed: Option<&str>) {
        fn pick<T>(r: Result<T>, failed: Option<&str>) -> Result<T> {
            match (r, failed) {
                (Ok(_), Some(e)) => Err(Error::Commit(e.to_owned())),
                (r, _) => r,
            }
        }
        let _ = match self {
            Done::Append(tx, r) => tx.send(pick(r, failed)).map_err(drop),
            Done::Markers(tx, r) => tx.send(pick(r, failed)).map_err(drop),
            Done::User(tx, r) => tx.send(pick(r, failed)).map_err(drop),
            Done::Room(tx, r) => tx.send(pick(r, failed)).map_err(drop),
            Done::Unit(tx, r) => tx.send(pick(r, failed)).map_err(drop),
        };
    }
}

/// Runs `jobs` in one transaction, each in its own savepoint, and answers them after the
/// commit.
fn pass(conn: &mut Connection, jobs: &mut Vec<Job>) {
    let mut done = Vec::with_capacity(jobs.len());
    // Jobs the pass does not reach (the transaction could not begin, or a savepoint
    // failed) stay here and are answered below.
    let mut pending = jobs.drain(..);
    let committed = (|| -> rusqlite::Result<()> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in pending.by_ref() {
            let mut sp = tx.savepoint()?;
            let (d, ok) = match job {
                Job::Append { room, batch, reply } => {
                    finish(append(&sp, &room, &batch), |r| Done::Append(reply, r))
                }
                Job::RaiseMarkers {
                    room,
                    user,
                    delivered,
                    read,
                    reply,
                } => finish(raise_markers(&sp, &room, &user, delivered, read), |r| {
                    Done::Markers(reply, r)
                }),
                Job::CreateUserSession {
                    name,
                    token_hash,
                    reply,
                } => finish(create_user_session(&sp, &name, &token_hash), |r| {
                    Done::User(reply, r)
                }),
                Job::EnsureRoom { name, reply } => {
                    finish(ensure_room(&sp, &name), |r| Done::Room(reply, r))
                }
                Job::DeleteSession { token_hash, reply } => {
                    finish(delete_session(&sp, &token_hash), |r| Done::Unit(reply, r))
                }
                Job::TouchSession {
                    token_hash,
                    at,
                    reply,
                } => finish(touch_session(&sp, &token_hash, at), |r| {
                    Done::Unit(reply, r)
                }),
                Job::Stop { .. } => unreachable!("a stop ends the pass before it"),
            };
            if ok {
                sp.commit()?;
            } else {
                sp.rollback()?;
            }
            done.push(d);
        }
        tx.commit()
    })();
    let failed = committed.err().map(|e| {
        tracing::error!(error = %e, "commit failed");
        e.to_string()
    });
    for d in done {
        d.answer(failed.as_deref());
    }
    let why = failed.unwrap_or_default();
    for job in pending {
        job.fail(&why);
    }
}

impl Job {
    /// Answers the job with a failed commit.
    fn fail(self, why: &str) {
        let e = || Error::Commit(why.to_owned());
        let _ = match self {
            Job::Append { reply, .. } => reply.send(Err(e())).map_err(drop),
            Job::RaiseMarkers { reply, .. } => reply.send(Err(e())).map_err(drop),
            Job::CreateUserSession { reply, .. } => reply.send(Err(e())).map_err(drop),
            Job::EnsureRoom { reply, .. } => reply.send(Err(e())).map_err(drop),
            Job::DeleteSession { reply, .. } | Job::TouchSession { reply, .. } => {
                reply.send(Err(e())).map_err(drop)
            }
            Job::Stop { .. } => Ok(()),
        };
    }
}

/// A job's answer, held for the commit, and whether its savepoint should be kept.
fn finish<T>(r: rusqlite::Result<T>, done: impl FnOnce(Result<T>) -> Done) -> (Done, bool) {
    let ok = r.is_ok();
    (done(r.map_err(Error::from)), ok)
}

fn append(
    conn: &Connection,
    room: &RoomRef,
    batch: &[NewMessage],
) -> rusqlite::Result<Vec<Appended>> {
    let mut last_seq: i64 = conn
        .prepare_cached("SELECT last_seq FROM rooms WHERE id = ?")?
        .query_row([room.id], |r| r.get(0))?;
    let mut find = conn.prepare_cached(
        "SELECT seq, id, author_name, text, ts FROM messages
         WHERE room_id = ? AND author_id = ? AND client_id = ?",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO messages (room_id, seq, id, client_id, author_id, author_name, text, ts)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        let author_id = m.author.id.to_string();
        let client_id = m.client_id.to_string();
        let existing = find
            .query_row(params![room.id, author_id, client_id], |r| {
                Ok(ChatMessage {
                    room: room.name.to_string(),
                    seq: r.get::<_, i64>(0)? as u64,
                    id: parse_uuid(&r.get::<_, String>(1)?),
                    client_id: m.client_id,
                    author: r.get(2)?,
                    author_id: m.author.id,
                    text: r.get(3)?,
                    ts: Timestamp::from_millis(r.get(4)?),
                })
            })
            .optional()?;
        if let Some(msg) = existing {
            let reused = msg.text != m.text;
            out.push(Appended {
                msg,
                fresh: false,
                reused,
            });
            continue;
        }
        last_seq += 1;
        let msg = ChatMessage {
            room: room.name.to_string(),
            seq: last_seq as u64,
            id: Uuid::now_v7(),
            client_id: m.client_id,
            author: m.author.name.to_string(),
            author_id: m.author.id,
            text: m.text.clone(),
            ts: m.ts,
        };
        insert.execute(params![
            room.id,
            last_seq,
            msg.id.to_string(),
            client_id,
            author_id,
            msg.author,
            msg.text,
            msg.ts.millis()
        ])?;
        out.push(Appended {
            msg,
            fresh: true,
            reused: false,
        });
    }
    conn.prepare_cached("UPDATE rooms SET last_seq = ? WHERE id = ?")?
        .execute(params![last_seq, room.id])?;
    Ok(out)
}

fn raise_markers(
    conn: &Connection,
    room: &RoomRef,
    user: &User,
    delivered: u64,
    read: u64,
) -> rusqlite::Result<MarkerChange> {
    let delivered = delivered.max(read);
    let before: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT delivered, read FROM read_markers WHERE user_id = ? AND room_id = ?",
        )?
        .query_row(params![user.id.to_string(), room.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (delivered, read): (i64, i64) = conn
        .prepare_cached(
            "INSERT INTO read_markers (user_id, room_id, user_name, delivered, read, updated_at)
             SELECT ?1, ?2, ?3, min(?4, last_seq), min(?5, last_seq), ?6 FROM rooms WHERE id = ?2
             ON CONFLICT (user_id, room_id) DO UPDATE SET
                 delivered = max(delivered, excluded.delivered),
                 read = max(read, excluded.read),
                 user_name = excluded.user_name,
                 updated_at = excluded.updated_at
             RETURNING delivered, read",
        )?
        .query_row(
            params![
                user.id.to_string(),
                room.id,
                user.name.as_str(),
                delivered.min(i64::MAX as u64) as i64,
                read.min(i64::MAX as u64) as i64,
                Timestamp::now().millis()
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
    Ok(MarkerChange {
        receipt: Receipt {
            room: room.name.to_string(),
            user: user.id,
            name: user.name.to_string(),
            delivered: delivered as u64,
            read: read as u64,
        },
        rose: before != Some((delivered, read)),
    })
}

fn create_user_session(
    conn: &Connection,
    name: &DisplayName,
    token_hash: &[u8],
) -> rusqlite::Result<User> {
    let user = User {
        id: Uuid::new_v4(),
        name: name.clone(),
    };
    let now = Timestamp::now().millis();
    conn.prepare_cached("INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)")?
        .execute(params![user.id.to_string(), user.name.as_str(), now])?;
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen) VALUES (?, ?, ?, ?)",
    )?
    .execute(params![token_hash, user.id.to_string(), now, now])?;
    Ok(user)
}

fn ensure_room(conn: &Connection, name: &RoomName) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO rooms (name, created_at) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
    )?
    .query_row(params![name.as_str(), Timestamp::now().millis()], |r| {
        r.get(0)
    })
}

fn delete_session(conn: &Connection, token_hash: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?")?
        .execute([token_hash])?;
    Ok(())
}

fn touch_session(conn: &Connection, token_hash: &[u8], at: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE sessions SET last_seen = max(last_seen, ?) WHERE token_hash = ?")?
        .execute(params![at, token_hash])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A migrated database with one user and one room.
    fn fixture(room: &str) -> (tempfile::TempDir, Connection, User, RoomRef) {
        let (dir, conn) = store_with_schema();
        let user = create_user_session(&conn, &DisplayName::parse("ann").unwrap(), b"h").unwrap();
        let name = RoomName::parse(room).unwrap();
        let room = RoomRef {
            id: ensure_room(&conn, &name).unwrap(),
            name,
        };
        (dir, conn, user, room)
    }

    fn store_with_schema() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("t.db")).unwrap();
        for sql in [
            include_str!("../../../migrations/20261124000001_init.sql"),
            include_str!("../../../migrations/20261124000002_read_markers.sql"),
            include_str!("../../../migrations/20261126000003_session_last_seen.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        (dir, conn)
    }

    fn message(author: &User, text: &str) -> NewMessage {
        NewMessage {
            client_id: Uuid::now_v7(),
            author: author.clone(),
            text: text.into(),
            ts: Timestamp::from_millis(1),
        }
    }

    #[test]
    fn a_failing_job_fails_alone_and_the_rest_of_the_pass_commits() {
        let (_dir, mut conn, user, lobby) = fixture("lobby");
        let ghost = RoomRef {
            id: 999,
            name: RoomName::parse("ghost").unwrap(),
        };
        let (a, mut a_rx) = oneshot::channel();
        let (b, mut b_rx) = oneshot::channel();
        let (c, mut c_rx) = oneshot::channel();
        let mut jobs = vec![
            Job::Append {
                room: lobby.clone(),
                batch: vec![message(&user, "one"), message(&user, "two")],
                reply: a,
            },
            Job::Append {
                room: ghost,
                batch: vec![message(&user, "lost")],
                reply: b,
            },
            Job::Append {
                room: lobby.clone(),
                batch: vec![message(&user, "three")],
                reply: c,
            },
        ];
        pass(&mut conn, &mut jobs);
        let seqs = |r: Vec<Appended>| r.iter().map(|a| a.msg.seq).collect::<Vec<_>>();
        assert_eq!(seqs(a_rx.try_recv().unwrap().unwrap()), [1, 2]);
        assert!(b_rx.try_recv().unwrap().is_err(), "no such room");
        assert_eq!(seqs(c_rx.try_recv().unwrap().unwrap()), [3]);
        let stored: i64 = conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 3);
    }

    #[test]
    fn a_resent_message_is_answered_with_what_was_stored() {
        let (_dir, mut conn, user, room) = fixture("r");
        let m = message(&user, "once");
        let (a, mut a_rx) = oneshot::channel();
        let (b, mut b_rx) = oneshot::channel();
        // The same client_id twice in one pass, and in one batch.
        let mut jobs = vec![
            Job::Append {
                room: room.clone(),
                batch: vec![m.clone(), m.clone()],
                reply: a,
            },
            Job::Append {
                room,
                batch: vec![m],
                reply: b,
            },
        ];
        pass(&mut conn, &mut jobs);
        let first = a_rx.try_recv().unwrap().unwrap();
        let again = b_rx.try_recv().unwrap().unwrap();
        assert!(first[0].fresh && !first[1].fresh && !again[0].fresh);
        assert!([&first[1], &again[0]]
            .iter()
            .all(|a| a.msg.seq == 1 && a.msg.id == first[0].msg.id));
    }
}
