//! The SQLite backend's one writer: a thread with its own connection that takes every
//! write waiting (messages of all rooms, markers, sign-ins) and commits them in one
//! transaction, so durability costs one fsync per pass, however many rooms and people wrote.
//!
//! Each job runs inside a savepoint: a job that fails is rolled back alone and answered
//! with its error; the others commit. Statements are prepared once and cached, and no
//! statement crosses a thread boundary: a pass costs one wake-up, not one per statement.

use std::path::Path;

use super::{
    accounts, invites, members,
    wal_guard::{WalGuard, WAL_LIMIT, WAL_LOOK_EVERY},
};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tokio::sync::mpsc;

use crate::{
    protocol::{Entry, EntryKind, Receipt, REACTIONS_MAX},
    server::{
        model::{Appended, MarkerChange, NewEntry, RoomRef, User},
        store::{
            jobs::{dispatch, fill_pass, Job, Output, Queued, Work, Writer},
            rows::{kind_columns, MessageRow, MESSAGE_COLUMNS},
        },
        Error, Result,
    },
    timestamp::Timestamp,
};

/// Pages of log (4 KiB each: 32 MiB) past which the writer's commit copies the log into
/// the database (SQLite's passive autocheckpoint, inside the commit: that pass's answers
/// and the next pass wait for it). Every checkpoint writes the pages changed since the last
/// one and syncs the database; run beside the writer, the writer's syncs waited behind it
/// (bench (c) p99 14-25 ms against 8-10). A page changed often (a room's row) is written
/// once per checkpoint, so fewer, larger ones cost the disk less: when the search index's
/// commit did this in a shared log, 1,000 pages gave (c) a p99 of 6.6-7.7 ms and (e)
/// 37-38k acks/s, 8,000 gave 4.8-5.1 ms and 40-42k, and 16,000 let the log reach
/// `WalGuard`'s 64 MiB, whose TRUNCATE waits for the readers (p99 14-30 ms). It stays half
/// that bound, for bursts. Answering first and checkpointing after the pass made no
/// difference in (c) (docs/performance-history.md).
const CHECKPOINT_PAGES: u32 = 8_000;
const _: () = assert!(CHECKPOINT_PAGES as u64 * 4096 * 2 <= WAL_LIMIT);

/// Opens the database at `path` for writing and starts the writer thread.
pub fn start(path: &Path) -> Result<Writer> {
    let conn = Connection::open(path)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES};
         PRAGMA journal_size_limit = 67108864;
         -- Each job's savepoint keeps the pages it changes, to roll it back alone: in a
         -- file (/var/tmp) past 64 KiB, or here in memory. In a file, a pass wrote as many
         -- pages there as to the log (strace); in memory, bench (e) rose from 37.9-45.2k
         -- acks/s to 43.4-51.0k (interleaved), and 1.9 CPU-s per 100k acks, not 2.2.
         PRAGMA temp_store = MEMORY;"
    ))?;
    conn.set_prepared_statement_cache_capacity(32);
    let (writer, rx) = Writer::new();
    let guard = WalGuard::new(path, WAL_LIMIT, WAL_LOOK_EVERY);
    std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || run(conn, rx, guard))?;
    Ok(writer)
}

fn run(mut conn: Connection, mut rx: mpsc::Receiver<Queued>, mut guard: WalGuard) {
    let mut jobs = Vec::new();
    while let Some(first) = rx.blocking_recv() {
        let stop = fill_pass(first, &mut rx, &mut jobs);
        if !jobs.is_empty() {
            pass(&mut conn, &mut jobs);
            guard.after_batch(&conn);
        }
        if let Some(done) = stop {
            rx.close();
            drop(conn);
            let _ = done.send(());
            return;
        }
    }
}

/// A pass that takes this long is logged (with how long its commit took).
const SLOW_PASS_MS: u64 = 100;

/// Runs `jobs` in one transaction, each in its own savepoint (a job that fails is rolled
/// back alone and answered with its error), and answers them after the commit.
fn pass(conn: &mut Connection, jobs: &mut Vec<Job>) {
    let mut done: Vec<(Job, Result<Output>)> = Vec::with_capacity(jobs.len());
    let size = jobs.len();
    let started = std::time::Instant::now();
    let mut commit_ms = 0;
    // Jobs the pass does not reach (the transaction could not begin, or a savepoint
    // failed) stay here and are answered below.
    let mut pending = jobs.drain(..);
    let committed = (|| -> rusqlite::Result<()> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in pending.by_ref() {
            let mut sp = tx.savepoint()?;
            let result = execute(&sp, &job.work);
            if result.is_ok() {
                sp.commit()?;
            } else {
                sp.rollback()?;
            }
            done.push((job, result.map_err(Error::from)));
        }
        let commit = std::time::Instant::now();
        let committed = tx.commit();
        commit_ms = commit.elapsed().as_millis() as u64;
        committed
    })();
    let ms = started.elapsed().as_millis() as u64;
    if ms >= SLOW_PASS_MS {
        // Every write of the pass waited this long: a slow disk, a long job, or a
        // checkpoint (`CHECKPOINT_PAGES`).
        tracing::warn!(jobs = size, ms, commit_ms, "a slow pass of the writer");
    }
    let failed = committed.err().map(|e| {
        tracing::error!(error = %e, "commit failed");
        e.to_string()
    });
    for (job, result) in done {
        match (&failed, result) {
            (Some(why), Ok(_)) => job.fail(why),
            (_, result) => job.answer(result),
        }
    }
    let why = failed.unwrap_or_default();
    for job in pending {
        job.fail(&why);
    }
}

/// One job's statements.
fn execute(conn: &Connection, work: &Work) -> rusqlite::Result<Output> {
    Ok(dispatch!(conn, work))
}

fn append(
    conn: &Connection,
    room: &RoomRef,
    batch: &[NewEntry],
) -> rusqlite::Result<Vec<Appended>> {
    let mut last_seq: i64 = conn
        .prepare_cached("SELECT last_seq FROM rooms WHERE id = ?")?
        .query_row([room.id], |r| r.get(0))?;
    let mut find = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages
         WHERE room_id = ? AND author_id = ? AND client_id = ?"
    ))?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO messages
             (room_id, seq, id, client_id, author_id, author_name, text, ts, bot, deletes, edits,
              reacts, undo, reply_to)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        let author_id = m.author.id.to_string();
        let client_id = m.client_id.to_string();
        let existing = find
            .query_row(
                params![room.id, author_id, client_id],
                MessageRow::from_sqlite,
            )
            .optional()?
            .map(|row| row.into_entry(&room.name));
        if let Some(msg) = existing {
            out.push(m.already(msg));
            continue;
        }
        if let EntryKind::React {
            of: target,
            undo: false,
        } = m.kind
        {
            // The cap holds here, in the transaction, whatever the reader saw.
            let (emoji, has): (i64, bool) = conn
                .prepare_cached(
                    "SELECT count(DISTINCT emoji), coalesce(max(emoji = ?3), 0)
                     FROM reactions WHERE room_id = ?1 AND seq = ?2",
                )?
                .query_row(params![room.id, target as i64, m.text], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            if !has && emoji as usize >= REACTIONS_MAX {
                out.push(m.too_many_reactions(&room.name));
                continue;
            }
        }
        last_seq += 1;
        let msg = m.stored(&room.name, last_seq as u64);
        let (deletes, edits, reacts, undo) = kind_columns(msg.kind);
        insert.execute(params![
            room.id,
            last_seq,
            msg.id.to_string(),
            client_id,
            author_id,
            msg.author,
            msg.text,
            msg.ts.millis(),
            msg.bot,
            deletes,
            edits,
            reacts,
            undo,
            msg.reply_to.as_ref().map(|q| q.seq as i64)
        ])?;
        match msg.kind {
            EntryKind::Message => {}
            EntryKind::Delete(target) => {
                // A deletion leaves a tombstone: the message keeps its place, not its text.
                conn.prepare_cached(
                    "UPDATE messages SET text = '', deleted = 1, edited = NULL
                     WHERE room_id = ? AND seq = ? AND deletes IS NULL",
                )?
                .execute(params![room.id, target as i64])?;
                conn.prepare_cached("DELETE FROM reactions WHERE room_id = ? AND seq = ?")?
                    .execute(params![room.id, target as i64])?;
            }
            EntryKind::React { of, undo } => react(conn, room.id, of, undo, &msg, last_seq)?,
            EntryKind::Edit(target) => {
                // An edit gives the message its new text (not a deleted one).
                conn.prepare_cached(
                    "UPDATE messages SET text = ?, edited = ?
                     WHERE room_id = ? AND seq = ? AND deletes IS NULL AND edits IS NULL
                       AND NOT deleted",
                )?
                .execute(params![msg.text, last_seq, room.id, target as i64])?;
            }
        }
        out.push(Appended {
            msg,
            fresh: true,
            reused: false,
            too_many_reactions: false,
        });
    }
    conn.prepare_cached("UPDATE rooms SET last_seq = ? WHERE id = ?")?
        .execute(params![last_seq, room.id])?;
    Ok(out)
}

/// Gives (or with `undo` takes back) `entry`'s reaction to the message stored as `target`
/// (a message that is not deleted): once per person and emoji.
fn react(
    conn: &Connection,
    room_id: i64,
    target: u64,
    undo: bool,
    entry: &Entry,
    given: i64,
) -> rusqlite::Result<()> {
    let author = entry.author_id.to_string();
    if undo {
        conn.prepare_cached(
            "DELETE FROM reactions WHERE room_id = ? AND seq = ? AND emoji = ? AND user_id = ?",
        )?
        .execute(params![room_id, target as i64, entry.text, author])?;
    } else {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO reactions (room_id, seq, emoji, user_id, user_name, given)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 FROM messages
             WHERE room_id = ?1 AND seq = ?2 AND NOT deleted AND deletes IS NULL
               AND edits IS NULL AND reacts IS NULL",
        )?
        .execute(params![
            room_id,
            target as i64,
            entry.text,
            author,
            entry.author,
            given
        ])?;
    }
    Ok(())
}

fn raise_markers(
    conn: &Connection,
    room: &RoomRef,
    user: &User,
    delivered: u64,
    read: u64,
) -> rusqlite::Result<Option<MarkerChange>> {
    let delivered = delivered.max(read);
    let Some(before): Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT delivered, read FROM read_markers WHERE user_id = ? AND room_id = ?",
        )?
        .query_row(params![user.id.to_string(), room.id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
    else {
        // Not a member (never joined, or removed): markers never make a membership.
        return Ok(None);
    };
    let (delivered, read): (i64, i64) = conn
        .prepare_cached(
            "UPDATE read_markers SET
                 delivered = max(delivered, min(?4, r.last_seq)),
                 read = max(read, min(?5, r.last_seq)),
                 user_name = ?3,
                 updated_at = ?6
             FROM (SELECT last_seq FROM rooms WHERE id = ?2) AS r
             WHERE user_id = ?1 AND room_id = ?2
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
    Ok(Some(MarkerChange {
        receipt: Receipt {
            room: room.name.to_string(),
            user: user.id,
            name: user.name.to_string(),
            delivered: delivered as u64,
            read: read as u64,
        },
        rose: before != (delivered, read),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{server::model::NewSession, validation::DisplayName};

    /// A migrated database with one user and one room.
    fn fixture(room: &str) -> (tempfile::TempDir, Connection, User, RoomRef) {
        let (dir, conn) = store_with_schema();
        let user = accounts::create_user_session(
            &conn,
            &DisplayName::parse("ann").unwrap(),
            &NewSession::new(b"h".to_vec(), "test"),
        )
        .unwrap();
        let name = crate::validation::RoomName::parse(room).unwrap();
        let room = members::ensure_room(&conn, &name, false, &user).unwrap().0;
        (dir, conn, user, room)
    }

    fn store_with_schema() -> (tempfile::TempDir, Connection) {
        let (dir, _, conn) = crate::server::store::sqlite::test_database();
        (dir, conn)
    }

    fn message(author: &User, text: &str) -> NewEntry {
        NewEntry {
            client_id: uuid::Uuid::now_v7(),
            author: author.clone(),
            text: text.into(),
            ts: Timestamp::from_millis(1),
            kind: EntryKind::Message,
            reply_to: None,
            html: None,
        }
    }

    fn append_job(room: &RoomRef, batch: Vec<NewEntry>) -> (Job, Answer) {
        Job::new(Work::Append {
            room: room.clone(),
            batch,
        })
    }

    type Answer = tokio::sync::oneshot::Receiver<Result<Output>>;

    fn seqs(answer: &mut Answer) -> Vec<u64> {
        match answer.try_recv().unwrap().unwrap() {
            Output::Appended(r) => r.iter().map(|a| a.msg.seq).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn appended(answer: &mut Answer) -> Vec<Appended> {
        match answer.try_recv().unwrap().unwrap() {
            Output::Appended(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_failing_job_fails_alone_and_the_rest_of_the_pass_commits() {
        let (_dir, mut conn, user, lobby) = fixture("lobby");
        let ghost = RoomRef {
            id: 999,
            name: crate::validation::RoomName::parse("ghost").unwrap(),
            private: false,
        };
        let (a, mut a_rx) = append_job(&lobby, vec![message(&user, "one"), message(&user, "two")]);
        let (b, mut b_rx) = append_job(&ghost, vec![message(&user, "lost")]);
        let (c, mut c_rx) = append_job(&lobby, vec![message(&user, "three")]);
        pass(&mut conn, &mut vec![a, b, c]);
        assert_eq!(seqs(&mut a_rx), [1, 2]);
        assert!(b_rx.try_recv().unwrap().is_err(), "no such room");
        assert_eq!(seqs(&mut c_rx), [3]);
        let stored: i64 = conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 3);
    }

    #[test]
    fn a_resent_message_is_answered_with_what_was_stored() {
        let (_dir, mut conn, user, room) = fixture("r");
        let m = message(&user, "once");
        // The same client_id twice in one pass, and in one batch.
        let (a, mut a_rx) = append_job(&room, vec![m.clone(), m.clone()]);
        let (b, mut b_rx) = append_job(&room, vec![m]);
        pass(&mut conn, &mut vec![a, b]);
        let first = appended(&mut a_rx);
        let again = appended(&mut b_rx);
        assert!(first[0].fresh && !first[1].fresh && !again[0].fresh);
        assert!([&first[1], &again[0]]
            .iter()
            .all(|a| a.msg.seq == 1 && a.msg.id == first[0].msg.id));
    }
}
