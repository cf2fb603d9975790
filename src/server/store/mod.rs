//! The `Store` boundary: everything the server keeps lives behind these methods.
//!
//! SQLite (bundled). Every write goes to one writer thread (`writer`) that commits all
//! waiting writes of every room in one transaction (group commit); reads use a small sqlx
//! pool and see committed data only (WAL). `synchronous = FULL` makes every commit durable
//! before the server acknowledges it. WAL checkpoints run off the writer, on a thread of
//! their own at the lowest priority (`checkpointer`).

mod checkpointer;
mod sessions;
mod writer;

use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, RwLock},
    time::Duration,
};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    FromRow, SqlitePool,
};
use uuid::Uuid;

use crate::{
    protocol::{ChatMessage, Receipt},
    server::{session::User, Result},
    timestamp::Timestamp,
    validation::RoomName,
};
use checkpointer::Checkpointer;
use writer::{Job, Writer};

/// Members' markers loaded for one room at most (page render, catch-up snapshot).
pub const MAX_RECEIPTS: u32 = 500;

#[derive(Clone)]
pub struct Store {
    read: SqlitePool,
    writer: Writer,
    checkpointer: Checkpointer,
    /// Token hash → user and when the session was last recorded as used. Sign-out and
    /// expiry evict here.
    sessions: Arc<RwLock<HashMap<Vec<u8>, (User, i64)>>>,
}

/// A message to store, before it has a `seq`.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub client_id: Uuid,
    pub author: User,
    pub text: String,
    pub ts: Timestamp,
}

/// The stored message for a `NewMessage`; `fresh` is false when an earlier send with the
/// same `client_id` had already stored it, and `reused` is true when that earlier send had
/// another text (the stored one stays).
#[derive(Debug, Clone)]
pub struct Appended {
    pub msg: ChatMessage,
    pub fresh: bool,
    pub reused: bool,
}

/// A member's markers after a raise, and whether they changed.
#[derive(Debug, Clone)]
pub struct MarkerChange {
    pub receipt: Receipt,
    pub rose: bool,
}

/// A room's identity in the store.
#[derive(Debug, Clone)]
pub struct RoomRef {
    pub id: i64,
    pub name: RoomName,
}

#[derive(FromRow)]
struct MessageRow {
    seq: i64,
    id: String,
    client_id: String,
    author_id: String,
    author_name: String,
    text: String,
    ts: i64,
}

impl MessageRow {
    fn into_message(self, room: &RoomName) -> ChatMessage {
        ChatMessage {
            room: room.to_string(),
            seq: self.seq as u64,
            id: parse_uuid(&self.id),
            client_id: parse_uuid(&self.client_id),
            author: self.author_name,
            author_id: parse_uuid(&self.author_id),
            text: self.text,
            ts: Timestamp::from_millis(self.ts),
        }
    }
}

fn parse_uuid(s: &str) -> Uuid {
    // Only this module writes these columns, always from a `Uuid`.
    Uuid::parse_str(s).unwrap_or_default()
}

const MESSAGE_COLUMNS: &str = "seq, id, client_id, author_id, author_name, text, ts";

impl Store {
    /// Opens (creating if missing, with its folder) and migrates the database at `url`,
    /// and starts the writer.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let path = options.get_filename().to_owned();
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                tokio::fs::create_dir_all(dir).await?;
            }
        }
        let migrate = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&migrate).await?;
        migrate.close().await;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let writer = Writer::start(&path)?;
        let checkpointer = Checkpointer::start(&path)?;
        Ok(Self {
            read,
            writer,
            checkpointer,
            sessions: Default::default(),
        })
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Stores every queued write and stops the writer, folds the log into the database,
    /// and closes the readers.
    pub async fn close(&self) {
        self.writer.stop().await;
        self.checkpointer.stop().await;
        self.read.close().await;
    }

    /// The room called `name`, created if it does not exist yet (callers look with
    /// [`Store::find_room`] first; the upsert also answers a room made a moment ago).
    pub async fn ensure_room(&self, name: &RoomName) -> Result<RoomRef> {
        let id = self
            .writer
            .call(|reply| Job::EnsureRoom {
                name: name.clone(),
                reply,
            })
            .await?;
        Ok(RoomRef {
            id,
            name: name.clone(),
        })
    }

    /// The room called `name` and its last `seq`, if it exists. Never creates anything.
    pub async fn find_room(&self, name: &RoomName) -> Result<Option<(RoomRef, u64)>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT id, last_seq FROM rooms WHERE name = ?")
                .bind(name.as_str())
                .fetch_optional(&self.read)
                .await?;
        Ok(row.map(|(id, last_seq)| {
            (
                RoomRef {
                    id,
                    name: name.clone(),
                },
                last_seq as u64,
            )
        }))
    }

    /// How many rooms exist (tests: reads must not create any).
    pub async fn room_count(&self) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms")
            .fetch_one(&self.read)
            .await?;
        Ok(n as u64)
    }

    /// Stores `batch` (with the batches of other rooms waiting, in one transaction),
    /// giving each new message the room's next `seq`. A message whose
    /// `(author, client_id)` is already stored is returned as it was stored.
    pub async fn append(&self, room: &RoomRef, batch: Vec<NewMessage>) -> Result<Vec<Appended>> {
        self.writer
            .call(|reply| Job::Append {
                room: room.clone(),
                batch,
                reply,
            })
            .await
    }

    /// Up to `limit` messages of `room` with `seq > after`, oldest first.
    pub async fn messages_after(
        &self,
        room: &RoomRef,
        after: u64,
        limit: u32,
    ) -> Result<Vec<ChatMessage>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq > ?
             ORDER BY seq LIMIT ?"
        ))
        .bind(room.id)
        .bind(after as i64)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| r.into_message(&room.name))
            .collect())
    }

    /// The last `limit` messages of the room called `name` (none if it does not exist),
    /// oldest first.
    pub async fn recent(&self, name: &RoomName, limit: u32) -> Result<Vec<ChatMessage>> {
        let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE room_id = (SELECT id FROM rooms WHERE name = ?)
             ORDER BY seq DESC LIMIT ?"
        ))
        .bind(name.as_str())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.reverse();
        Ok(rows.into_iter().map(|r| r.into_message(name)).collect())
    }

    /// Up to `limit` messages of the room called `name` with `seq < before` (none if it
    /// does not exist), oldest first.
    pub async fn messages_before(
        &self,
        name: &RoomName,
        before: u64,
        limit: u32,
    ) -> Result<Vec<ChatMessage>> {
        let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE room_id = (SELECT id FROM rooms WHERE name = ?) AND seq < ?
             ORDER BY seq DESC LIMIT ?"
        ))
        .bind(name.as_str())
        .bind(before.min(i64::MAX as u64) as i64)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.reverse();
        Ok(rows.into_iter().map(|r| r.into_message(name)).collect())
    }

    /// Raises `user`'s markers in `room` to at least `delivered` and `read` (each capped at
    /// the room's last `seq`; read implies delivered). Returns the markers as stored and
    /// whether they rose.
    pub async fn raise_markers(
        &self,
        room: &RoomRef,
        user: &User,
        delivered: u64,
        read: u64,
    ) -> Result<MarkerChange> {
        self.writer
            .call(|reply| Job::RaiseMarkers {
                room: room.clone(),
                user: user.clone(),
                delivered,
                read,
                reply,
            })
            .await
    }

    /// `user`'s markers in `room`, if they are a member.
    pub async fn markers_of(&self, room: &RoomRef, user: &User) -> Result<Option<(u64, u64)>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT delivered, read FROM read_markers WHERE user_id = ? AND room_id = ?",
        )
        .bind(user.id.to_string())
        .bind(room.id)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.map(|(d, r)| (d as u64, r as u64)))
    }

    /// Everyone's markers in the room called `name`, most recently read first.
    pub async fn receipts(&self, name: &RoomName, limit: u32) -> Result<Vec<Receipt>> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT m.user_id, m.user_name, m.delivered, m.read FROM read_markers m
             JOIN rooms r ON r.id = m.room_id WHERE r.name = ?
             ORDER BY m.read DESC LIMIT ?",
        )
        .bind(name.as_str())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user, user_name, delivered, read)| Receipt {
                room: name.to_string(),
                user: parse_uuid(&user),
                name: user_name,
                delivered: delivered as u64,
                read: read as u64,
            })
            .collect())
    }

    /// The rooms `user` has markers in, with how many messages they have not read.
    pub async fn rooms_of(&self, user: &User, limit: u32) -> Result<Vec<(RoomName, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT r.name, max(r.last_seq - m.read, 0) FROM read_markers m
             JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?
             ORDER BY r.name LIMIT ?",
        )
        .bind(user.id.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, unread)| Some((RoomName::parse(&name).ok()?, unread as u64)))
            .collect())
    }
}
