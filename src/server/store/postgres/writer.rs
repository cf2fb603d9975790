//! The Postgres backend's writer: one task per node with one connection, which takes
//! every write waiting (messages of all rooms, markers, sign-ins) and commits them in one
//! transaction, then answers them.
//!
//! A room's batch costs four statements whatever its size: lock the room's row (`FOR NO
//! KEY UPDATE`, so another node's append to the same room waits for this commit and then
//! reads the new `last_seq`), find the messages already stored under the batch's
//! `client_id`s, insert the new ones in one `INSERT … SELECT FROM UNNEST`, and raise
//! `last_seq`. Jobs run in a fixed order (rooms by id), so two nodes' passes lock shared
//! rooms in the same order and cannot deadlock each other.
//!
//! A job that fails aborts the transaction (Postgres has no per-statement rollback
//! without a savepoint per job, which would cost two more round trips per job); then the
//! pass is run again one job per transaction, so that only the failing job fails.

use std::collections::HashMap;

use super::{accounts, invites, members};

use sqlx::{PgConnection, PgPool};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{
    protocol::{Entry, EntryKind, Receipt, REACTIONS_MAX},
    server::{
        model::{Appended, MarkerChange, NewEntry, RoomRef, User},
        store::{
            jobs::{dispatch, fill_pass, Job, Output, Queued, Work, Writer},
            rows::{kind_columns, MessageRow, MESSAGE_COLUMNS},
        },
        Error,
    },
    timestamp::Timestamp,
};

/// Starts the writer task on `pool` (one connection, reconnected by the pool).
pub fn start(pool: PgPool) -> Writer {
    let (writer, rx) = Writer::new();
    tokio::spawn(run(pool, rx));
    writer
}

async fn run(pool: PgPool, mut rx: mpsc::Receiver<Queued>) {
    let mut jobs = Vec::new();
    while let Some(first) = rx.recv().await {
        let stop = fill_pass(first, &mut rx, &mut jobs);
        if !jobs.is_empty() {
            pass(&pool, &mut jobs).await;
        }
        if let Some(done) = stop {
            rx.close();
            pool.close().await;
            let _ = done.send(());
            return;
        }
    }
}

/// Runs `jobs` in one transaction and answers them after the commit; if anything fails,
/// runs each alone so that only the failing one fails.
async fn pass(pool: &PgPool, jobs: &mut Vec<Job>) {
    jobs.sort_by(|a, b| a.work.lock_order().cmp(&b.work.lock_order()));
    match together(pool, jobs).await {
        Ok(outputs) => {
            for (job, output) in jobs.drain(..).zip(outputs) {
                job.answer(Ok(output));
            }
        }
        Err(error) if jobs.len() == 1 => {
            tracing::error!(%error, "write failed");
            jobs.pop().expect("one job").answer(Err(error.into()));
        }
        Err(error) => {
            tracing::warn!(%error, jobs = jobs.len(), "pass failed; running its jobs one by one");
            for job in jobs.drain(..) {
                let result = together(pool, std::slice::from_ref(&job)).await;
                if let Err(error) = &result {
                    tracing::error!(%error, "write failed");
                }
                job.answer(
                    result
                        .map(|mut o| o.pop().expect("one output"))
                        .map_err(Error::from),
                );
            }
        }
    }
}

/// Every job's statements in one transaction; the outputs once it committed.
async fn together(pool: &PgPool, jobs: &[Job]) -> sqlx::Result<Vec<Output>> {
    let mut tx = pool.begin().await?;
    let mut outputs = Vec::with_capacity(jobs.len());
    for job in jobs {
        outputs.push(execute(&mut tx, &job.work).await?);
    }
    tx.commit().await?;
    Ok(outputs)
}

async fn execute(conn: &mut PgConnection, work: &Work) -> sqlx::Result<Output> {
    Ok(dispatch!(conn, work, await))
}

async fn append(
    conn: &mut PgConnection,
    room: &RoomRef,
    batch: &[NewEntry],
) -> sqlx::Result<Vec<Appended>> {
    let (mut last_seq,): (i64,) =
        sqlx::query_as("SELECT last_seq FROM rooms WHERE id = $1 FOR NO KEY UPDATE")
            .bind(room.id)
            .fetch_one(&mut *conn)
            .await?;
    let authors: Vec<String> = batch.iter().map(|m| m.author.id.to_string()).collect();
    let clients: Vec<String> = batch.iter().map(|m| m.client_id.to_string()).collect();
    // One probe of the unique key per message (`LATERAL`): joined as a whole, a plan made
    // while the table was small (or had no statistics) read every row of the room for
    // each batch, 50 ms at 100k messages.
    let stored: Vec<MessageRow> = sqlx::query_as(&format!(
        "SELECT {MESSAGE_COLUMNS}
         FROM UNNEST($2::text[], $3::text[]) AS k(author, client)
         CROSS JOIN LATERAL (
             SELECT * FROM messages m
             WHERE m.room_id = $1 AND m.author_id = k.author AND m.client_id = k.client
         ) m"
    ))
    .bind(room.id)
    .bind(&authors)
    .bind(&clients)
    .fetch_all(&mut *conn)
    .await?;
    let mut known: HashMap<(Uuid, Uuid), Entry> = stored
        .into_iter()
        .map(|row| {
            let msg = row.into_entry(&room.name);
            ((msg.author_id, msg.client_id), msg)
        })
        .collect();
    // The reactions of the messages this batch reacts to, as they will be after each entry
    // before it: the cap holds here, in the transaction (the room's row is locked), whatever
    // the readers saw.
    let targets: Vec<i64> = batch
        .iter()
        .filter_map(|m| m.kind.reacts())
        .map(|t| t as i64)
        .collect();
    let mut reactions: HashMap<i64, HashMap<String, Vec<String>>> = HashMap::new();
    if !targets.is_empty() {
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT seq, emoji, user_id FROM reactions WHERE room_id = $1 AND seq = ANY($2)",
        )
        .bind(room.id)
        .bind(&targets)
        .fetch_all(&mut *conn)
        .await?;
        for (seq, emoji, user) in rows {
            reactions
                .entry(seq)
                .or_default()
                .entry(emoji)
                .or_default()
                .push(user);
        }
    }
    let mut new = NewRows::default();
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        if let Some(msg) = known.get(&(m.author.id, m.client_id)) {
            out.push(m.already(msg.clone()));
            continue;
        }
        if let EntryKind::Delete(target) = m.kind {
            reactions.remove(&(target as i64));
        }
        if let EntryKind::React { of, undo } = m.kind {
            let given = reactions.entry(of as i64).or_default();
            let user = m.author.id.to_string();
            if undo {
                if let Some(users) = given.get_mut(&m.text) {
                    users.retain(|u| *u != user);
                    if users.is_empty() {
                        given.remove(&m.text);
                    }
                }
            } else if !given.contains_key(&m.text) && given.len() >= REACTIONS_MAX {
                out.push(m.too_many_reactions(&room.name));
                continue;
            } else {
                given.entry(m.text.clone()).or_default().push(user);
            }
        }
        last_seq += 1;
        let msg = m.stored(&room.name, last_seq as u64);
        new.push(&msg);
        known.insert((m.author.id, m.client_id), msg.clone());
        out.push(Appended {
            msg,
            fresh: true,
            reused: false,
            too_many_reactions: false,
        });
    }
    if !new.seq.is_empty() {
        sqlx::query(
            "INSERT INTO messages
                 (room_id, seq, id, client_id, author_id, author_name, text, ts, bot, deletes,
                  edits, reacts, undo, reply_to)
             SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[],
                                      $6::text[], $7::text[], $8::bigint[], $9::bool[],
                                      $10::bigint[], $11::bigint[], $12::bigint[],
                                      $13::bool[], $14::bigint[])",
        )
        .bind(room.id)
        .bind(&new.seq)
        .bind(&new.id)
        .bind(&new.client_id)
        .bind(&new.author_id)
        .bind(&new.author_name)
        .bind(&new.text)
        .bind(&new.ts)
        .bind(&new.bot)
        .bind(&new.deletes)
        .bind(&new.edits)
        .bind(&new.reacts)
        .bind(&new.undo)
        .bind(&new.reply_to)
        .execute(&mut *conn)
        .await?;
        // An edit gives the message its new text (not a deleted one); of several edits of
        // one message in the batch, the last.
        let mut edits: HashMap<i64, (i64, String)> = HashMap::new();
        for (i, target) in new.edits.iter().enumerate() {
            if let Some(target) = target {
                edits.insert(*target, (new.seq[i], new.text[i].clone()));
            }
        }
        if !edits.is_empty() {
            let (targets, (seqs, texts)): (Vec<i64>, (Vec<i64>, Vec<String>)) =
                edits.into_iter().unzip();
            sqlx::query(
                "UPDATE messages m SET text = k.text, edited = k.seq
                 FROM UNNEST($2::bigint[], $3::bigint[], $4::text[]) AS k(target, seq, text)
                 WHERE m.room_id = $1 AND m.seq = k.target AND m.deletes IS NULL
                   AND m.edits IS NULL AND NOT m.deleted",
            )
            .bind(room.id)
            .bind(&targets)
            .bind(&seqs)
            .bind(&texts)
            .execute(&mut *conn)
            .await?;
        }
        // A deletion leaves a tombstone: the message keeps its place, not its text.
        let targets: Vec<i64> = new.deletes.iter().flatten().copied().collect();
        if !targets.is_empty() {
            sqlx::query(
                "UPDATE messages SET text = '', deleted = true, edited = NULL
                 WHERE room_id = $1 AND seq = ANY($2) AND deletes IS NULL",
            )
            .bind(room.id)
            .bind(&targets)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM reactions WHERE room_id = $1 AND seq = ANY($2)")
                .bind(room.id)
                .bind(&targets)
                .execute(&mut *conn)
                .await?;
        }
        // Reactions given or taken back, in order (to messages that are not deleted).
        for (i, target) in new.reacts.iter().enumerate() {
            let Some(target) = *target else { continue };
            let (emoji, user) = (&new.text[i], &new.author_id[i]);
            if new.undo[i] {
                sqlx::query(
                    "DELETE FROM reactions
                     WHERE room_id = $1 AND seq = $2 AND emoji = $3 AND user_id = $4",
                )
                .bind(room.id)
                .bind(target)
                .bind(emoji)
                .bind(user)
                .execute(&mut *conn)
                .await?;
                continue;
            }
            sqlx::query(
                "INSERT INTO reactions (room_id, seq, emoji, user_id, user_name, given)
                 SELECT $1, $2, $3, $4, $5, $6 FROM messages
                 WHERE room_id = $1 AND seq = $2 AND NOT deleted AND deletes IS NULL
                   AND edits IS NULL AND reacts IS NULL
                 ON CONFLICT DO NOTHING",
            )
            .bind(room.id)
            .bind(target)
            .bind(emoji)
            .bind(user)
            .bind(&new.author_name[i])
            .bind(new.seq[i])
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query("UPDATE rooms SET last_seq = $2 WHERE id = $1")
            .bind(room.id)
            .bind(last_seq)
            .execute(&mut *conn)
            .await?;
    }
    Ok(out)
}

/// The new messages of a batch, column by column, for one `UNNEST` insert.
#[derive(Default)]
struct NewRows {
    seq: Vec<i64>,
    id: Vec<String>,
    client_id: Vec<String>,
    author_id: Vec<String>,
    author_name: Vec<String>,
    text: Vec<String>,
    ts: Vec<i64>,
    bot: Vec<bool>,
    deletes: Vec<Option<i64>>,
    edits: Vec<Option<i64>>,
    reacts: Vec<Option<i64>>,
    undo: Vec<bool>,
    reply_to: Vec<Option<i64>>,
}

impl NewRows {
    fn push(&mut self, msg: &Entry) {
        self.seq.push(msg.seq as i64);
        self.id.push(msg.id.to_string());
        self.client_id.push(msg.client_id.to_string());
        self.author_id.push(msg.author_id.to_string());
        self.author_name.push(msg.author.clone());
        self.text.push(msg.text.clone());
        self.ts.push(msg.ts.millis());
        self.bot.push(msg.bot);
        let (deletes, edits, reacts, undo) = kind_columns(msg.kind);
        self.deletes.push(deletes);
        self.edits.push(edits);
        self.reacts.push(reacts);
        self.undo.push(undo);
        self.reply_to
            .push(msg.reply_to.as_ref().map(|q| q.seq as i64));
    }
}

async fn raise_markers(
    conn: &mut PgConnection,
    room: &RoomRef,
    user: &User,
    delivered: u64,
    read: u64,
) -> sqlx::Result<Option<MarkerChange>> {
    let delivered = delivered.max(read);
    // Only a member's markers rise: markers never make a membership.
    let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "WITH before AS (
             SELECT delivered, read FROM read_markers WHERE user_id = $1 AND room_id = $2
         )
         UPDATE read_markers m SET
             delivered = GREATEST(m.delivered, LEAST($4, r.last_seq)),
             read = GREATEST(m.read, LEAST($5, r.last_seq)),
             user_name = $3,
             updated_at = $6
         FROM rooms r
         WHERE r.id = m.room_id AND m.user_id = $1 AND m.room_id = $2
         RETURNING m.delivered, m.read, (SELECT delivered FROM before), (SELECT read FROM before)",
    )
    .bind(user.id.to_string())
    .bind(room.id)
    .bind(user.name.as_str())
    .bind(delivered.min(i64::MAX as u64) as i64)
    .bind(read.min(i64::MAX as u64) as i64)
    .bind(Timestamp::now().millis())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(
        |(delivered, read, before_delivered, before_read)| MarkerChange {
            receipt: Receipt {
                room: room.name.to_string(),
                user: user.id,
                name: user.name.to_string(),
                delivered: delivered as u64,
                read: read as u64,
            },
            rose: (before_delivered, before_read) != (delivered, read),
        },
    ))
}
