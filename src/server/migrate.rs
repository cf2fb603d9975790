//! `cloud_msg migrate --from sqlite://… --to postgres://…`: moves a single-node
//! deployment into Postgres.
//!
//! Everything is copied in one Postgres transaction: people, sessions (so everyone stays
//! signed in), rooms (with their ids, privacy and topics), messages, memberships and bans.
//! Postgres cannot hold a NUL in text (SQLite could, before messages refused control
//! characters): each one found is replaced by U+FFFD and reported by room and seq, and
//! the rest is copied. Before the commit every
//! room is checked: the same number of messages and the same SHA-256 over every stored
//! field, in seq order, on both sides. Anything that does not match rolls it all back. A
//! destination that already holds data is refused, so the command cannot run twice over
//! the same data.

use std::str::FromStr;

use sha2::{Digest, Sha256};
use sqlx::{
    postgres::PgConnectOptions, sqlite::SqliteConnectOptions, Connection, PgConnection,
    SqliteConnection,
};

use crate::server::{
    store::{
        rows::{MessageRow, MESSAGE_COLUMNS},
        Database, Store,
    },
    Error, Result,
};

/// Messages copied per statement.
const CHUNK: usize = 5000;

/// What was copied.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Copied {
    pub users: u64,
    pub sessions: u64,
    pub rooms: u64,
    pub messages: u64,
    pub markers: u64,
    pub bans: u64,
    pub reactions: u64,
    /// Texts that held a NUL, each "room #seq" (or "topic of room"), stored with U+FFFD.
    pub repaired: Vec<String>,
}

/// Replaces each NUL of `text` by U+FFFD; whether there was one.
pub fn repair(text: &mut String) -> bool {
    if text.contains('\0') {
        *text = text.replace('\0', "\u{FFFD}");
        true
    } else {
        false
    }
}

/// `rows` as they are copied: NULs replaced, each repaired row's place pushed on `repaired`.
fn repaired_rows(
    room: &str,
    mut rows: Vec<MessageRow>,
    repaired: &mut Vec<String>,
) -> Vec<MessageRow> {
    for r in &mut rows {
        if repair(&mut r.text) | repair(&mut r.author_name) {
            repaired.push(format!("#{room} message {}", r.seq));
        }
    }
    rows
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} people, {} sessions, {} rooms, {} messages, {} memberships, {} bans, {} reactions",
            self.users,
            self.sessions,
            self.rooms,
            self.messages,
            self.markers,
            self.bans,
            self.reactions
        )?;
        if !self.repaired.is_empty() {
            write!(
                f,
                "; {} texts held a NUL, stored with U+FFFD instead: {}",
                self.repaired.len(),
                self.repaired.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Parses `--from URL --to URL` (in either order).
pub fn parse_args(args: &[String]) -> Result<(String, String)> {
    let usage = || {
        Error::Config(
            "usage: cloud_msg migrate --from sqlite://data/cloud_msg.db --to postgres://…".into(),
        )
    };
    let (mut from, mut to) = (None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--from" => from = it.next().cloned(),
            "--to" => to = it.next().cloned(),
            _ => return Err(usage()),
        }
    }
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(usage()),
    }
}

/// Copies the SQLite database at `from` into the (empty) Postgres database at `to`.
pub async fn run(from: &str, to: &str) -> Result<Copied> {
    if Database::of(from)? != Database::Sqlite || Database::of(to)? != Database::Postgres {
        return Err(Error::Config(
            "migrate copies from sqlite://… (--from) to postgres://… (--to)".into(),
        ));
    }
    let source = SqliteConnectOptions::from_str(from)?.read_only(true);
    if !source.get_filename().exists() {
        return Err(Error::Config(format!(
            "there is no SQLite database at {}",
            source.get_filename().display()
        )));
    }
    // Opening each store brings its schema up to date; then they are closed again.
    Store::open(from).await?.close().await;
    Store::open(to).await?.close().await;
    let mut src = SqliteConnection::connect_with(&source).await?;
    let mut dst = PgConnection::connect_with(&PgConnectOptions::from_str(to)?).await?;

    let mut tx = dst.begin().await?;
    let (held,): (i64,) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM rooms)
              + (SELECT count(*) FROM messages)",
    )
    .fetch_one(&mut *tx)
    .await?;
    if held > 0 {
        return Err(Error::Config(
            "the destination already holds data; migrate copies into an empty database \
             only (has it run before?)"
                .into(),
        ));
    }
    let mut copied = Copied::default();

    type UserRow = (
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        bool,
        bool,
        bool,
    );
    let users: Vec<UserRow> = sqlx::query_as(
        "SELECT id, name, created_at, password_hash, name_key, admin, disabled, bot FROM users",
    )
    .fetch_all(&mut src)
    .await?;
    copied.users = users.len() as u64;
    for chunk in users.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO users (id, name, created_at, password_hash, name_key, admin, disabled, bot)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                                  $6::boolean[], $7::boolean[], $8::boolean[])",
        )
        .bind(chunk.iter().map(|u| u.0.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.1.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.2).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.3.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.4.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.5).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.6).collect::<Vec<_>>())
        .bind(chunk.iter().map(|u| u.7).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let sessions: Vec<(Vec<u8>, String, i64, i64, String)> =
        sqlx::query_as("SELECT token_hash, user_id, created_at, last_seen, device FROM sessions")
            .fetch_all(&mut src)
            .await?;
    copied.sessions = sessions.len() as u64;
    for chunk in sessions.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, device)
             SELECT * FROM UNNEST($1::bytea[], $2::text[], $3::bigint[], $4::bigint[],
                                  $5::text[])",
        )
        .bind(chunk.iter().map(|s| s.0.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|s| s.1.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|s| s.2).collect::<Vec<_>>())
        .bind(chunk.iter().map(|s| s.3).collect::<Vec<_>>())
        .bind(chunk.iter().map(|s| s.4.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let rooms: Vec<(i64, String, i64, i64, bool, String)> = sqlx::query_as(
        "SELECT id, name, last_seq, created_at, private, topic FROM rooms ORDER BY id",
    )
    .fetch_all(&mut src)
    .await?;
    copied.rooms = rooms.len() as u64;
    for (id, name, last_seq, created_at, private, topic) in &rooms {
        let mut topic = topic.clone();
        if repair(&mut topic) {
            copied.repaired.push(format!("the topic of #{name}"));
        }
        sqlx::query(
            "INSERT INTO rooms (id, name, last_seq, created_at, private, topic)
             OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(name)
        .bind(last_seq)
        .bind(created_at)
        .bind(private)
        .bind(topic)
        .execute(&mut *tx)
        .await?;
    }
    // New rooms continue after the copied ids.
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('rooms', 'id'),
                       (SELECT COALESCE(max(id), 0) + 1 FROM rooms), false)",
    )
    .execute(&mut *tx)
    .await?;

    for (room_id, room_name, ..) in &rooms {
        let mut after = 0i64;
        loop {
            let rows: Vec<MessageRow> = sqlx::query_as(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq > ?
                 ORDER BY seq LIMIT ?"
            ))
            .bind(room_id)
            .bind(after)
            .bind(CHUNK as i64)
            .fetch_all(&mut src)
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.seq;
            let rows = repaired_rows(room_name, rows, &mut copied.repaired);
            copied.messages += rows.len() as u64;
            sqlx::query(
                "INSERT INTO messages (room_id, seq, id, client_id, author_id, author_name,
                                       text, ts, bot, deletes, deleted, edits, edited,
                                       reacts, undo, reply_to)
                 SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[],
                                          $6::text[], $7::text[], $8::bigint[], $9::bool[],
                                          $10::bigint[], $11::bool[], $12::bigint[],
                                          $13::bigint[], $14::bigint[], $15::bool[],
                                          $16::bigint[])",
            )
            .bind(room_id)
            .bind(rows.iter().map(|r| r.seq).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.client_id.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.author_id.clone()).collect::<Vec<_>>())
            .bind(
                rows.iter()
                    .map(|r| r.author_name.clone())
                    .collect::<Vec<_>>(),
            )
            .bind(rows.iter().map(|r| r.text.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.ts).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.bot).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.deletes).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.deleted).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.edits).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.edited).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.reacts).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.undo).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.reply_to).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
            if rows.len() < CHUNK {
                break;
            }
        }
    }

    let markers: Vec<(String, i64, String, i64, i64, i64, String)> = sqlx::query_as(
        "SELECT user_id, room_id, user_name, delivered, read, updated_at, role FROM read_markers",
    )
    .fetch_all(&mut src)
    .await?;
    copied.markers = markers.len() as u64;
    for chunk in markers.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO read_markers (user_id, room_id, user_name, delivered, read, updated_at,
                                       role)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[],
                                  $5::bigint[], $6::bigint[], $7::text[])",
        )
        .bind(chunk.iter().map(|m| m.0.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.1).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.2.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.3).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.4).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.5).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.6.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    let bans: Vec<(i64, String, String, i64)> =
        sqlx::query_as("SELECT room_id, user_id, banned_by, created_at FROM bans")
            .fetch_all(&mut src)
            .await?;
    copied.bans = bans.len() as u64;
    for chunk in bans.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO bans (room_id, user_id, banned_by, created_at)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[])",
        )
        .bind(chunk.iter().map(|b| b.0).collect::<Vec<_>>())
        .bind(chunk.iter().map(|b| b.1.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|b| b.2.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|b| b.3).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    type ReactionCopy = (i64, i64, String, String, String, i64);
    let reactions: Vec<ReactionCopy> = sqlx::query_as(
        "SELECT room_id, seq, emoji, user_id, user_name, given FROM reactions ORDER BY given",
    )
    .fetch_all(&mut src)
    .await?;
    copied.reactions = reactions.len() as u64;
    for chunk in reactions.chunks(CHUNK) {
        sqlx::query(
            "INSERT INTO reactions (room_id, seq, emoji, user_id, user_name, given)
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[],
                                  $5::text[], $6::bigint[])",
        )
        .bind(chunk.iter().map(|r| r.0).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.1).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.2.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.3.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.4.clone()).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.5).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    }

    // Every room: the same count and checksum on both sides, or nothing is kept.
    for (room_id, name, ..) in &rooms {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = ");
        let theirs: Vec<MessageRow> = sqlx::query_as(&format!("{sql}? ORDER BY seq"))
            .bind(room_id)
            .fetch_all(&mut src)
            .await?;
        let theirs = repaired_rows(name, theirs, &mut Vec::new());
        let ours: Vec<MessageRow> = sqlx::query_as(&format!("{sql}$1 ORDER BY seq"))
            .bind(room_id)
            .fetch_all(&mut *tx)
            .await?;
        if theirs.len() != ours.len() || checksum(&theirs) != checksum(&ours) {
            return Err(Error::Config(format!(
                "room {name}: {} messages in SQLite but {} in Postgres, or their contents \
                 differ; nothing was kept",
                theirs.len(),
                ours.len()
            )));
        }
    }
    for (table, expected) in [
        ("users", copied.users),
        ("sessions", copied.sessions),
        ("read_markers", copied.markers),
        ("bans", copied.bans),
        ("reactions", copied.reactions),
    ] {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if n as u64 != expected {
            return Err(Error::Config(format!(
                "{table}: {expected} in SQLite but {n} in Postgres; nothing was kept"
            )));
        }
    }
    tx.commit().await?;
    Ok(copied)
}

/// SHA-256 over every field of `rows`, in order, each field length-prefixed.
pub fn checksum(rows: &[MessageRow]) -> [u8; 32] {
    let mut h = Sha256::new();
    for r in rows {
        h.update(r.seq.to_le_bytes());
        for field in [&r.id, &r.client_id, &r.author_id, &r.author_name, &r.text] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        h.update(r.ts.to_le_bytes());
        h.update([r.bot as u8, r.deleted as u8]);
        h.update(r.deletes.unwrap_or(-1).to_le_bytes());
        h.update(r.edits.unwrap_or(-1).to_le_bytes());
        h.update(r.edited.unwrap_or(-1).to_le_bytes());
        h.update(r.reacts.unwrap_or(-1).to_le_bytes());
        h.update([r.undo as u8]);
        h.update(r.reply_to.unwrap_or(-1).to_le_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_in_either_order_or_a_usage_line() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            parse_args(&args("--to postgres://x --from sqlite://y")).unwrap(),
            ("sqlite://y".into(), "postgres://x".into())
        );
        let err = parse_args(&args("--from sqlite://y")).unwrap_err();
        assert!(err.to_string().contains("usage: cloud_msg migrate"));
        assert!(parse_args(&args("--from a --to b --force")).is_err());
    }

    #[test]
    fn the_checksum_sees_every_field() {
        let row = |text: &str| MessageRow {
            seq: 1,
            id: "i".into(),
            client_id: "c".into(),
            author_id: "a".into(),
            author_name: "ann".into(),
            text: text.into(),
            ts: 5,
            ..Default::default()
        };
        assert_eq!(checksum(&[row("x")]), checksum(&[row("x")]));
        assert_ne!(checksum(&[row("x")]), checksum(&[row("y")]));
        // Length prefixes: moving a character between fields changes the sum.
        let mut moved = row("x");
        moved.author_name = "an".into();
        moved.text = "nx".into();
        assert_ne!(checksum(&[row("x")]), checksum(&[moved]));
    }
}
