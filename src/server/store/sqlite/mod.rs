//! The SQLite backend (bundled; the embedded default). Every write goes to one writer
//! thread (`writer`, rusqlite) that commits all waiting writes of every room in one
//! transaction; reads use a small sqlx pool and see committed data only (WAL).
//! `synchronous = FULL` makes every commit durable before the server acknowledges it.
//! The writer's commit copies the log into the database past 32 MiB of it (a passive
//! checkpoint: `writer::CHECKPOINT_PAGES`); a thread at the lowest priority copies what is
//! left when it is quiet (`checkpointer`); `WalGuard` bounds it. The search index is a
//! file of its own beside the database, with its own log (`search_index`).

mod accounts;
mod checkpointer;
mod invites;
mod members;
mod quick;
mod search;
mod search_index;
mod wal_guard;
mod writer;

use std::{str::FromStr, sync::Arc, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use super::{
    jobs::Writer,
    rows::{
        FactsRow, InviteRow, MemberListRow, MessageRow, QuoteRow, ReactionRow, ReceiptRow,
        RoomOfRow, RoomRow, SessionInfo, MESSAGE_COLUMNS,
    },
};
use crate::{
    protocol::Receipt,
    server::{
        model::{DirectoryRow, RoomRef, User},
        Result,
    },
    validation::RoomName,
};
use checkpointer::Checkpointer;

/// A person's rooms: name, unread, private, the other person of a direct conversation,
/// role. Unread counts messages, not their changes (deletions, edits, reactions), counted
/// up to 500; past that the count is by seq.
/// All SQLite's memory in this process, across every connection (the pool's readers with
/// the index attached, the quick readers, the writer, the indexer): past it, each
/// connection's page cache reuses its own least recently used pages instead of growing.
/// Each of the ~16 caches would otherwise fill to SQLite's default 2 MB as the database
/// grows, and the server's memory with them (bench (l): +8 MB in 25 minutes). Pages
/// read again come from the system's file cache.
pub const SQLITE_HEAP: i64 = 8 * 1024 * 1024;

const ROOMS_OF: &str = "SELECT r.name,
        CASE WHEN r.last_seq - m.read > 500 THEN r.last_seq - m.read
        ELSE (SELECT count(*) FROM messages x WHERE x.room_id = r.id AND x.seq > m.read
              AND x.deletes IS NULL AND x.edits IS NULL AND x.reacts IS NULL) END AS unread,
        r.private,
        CASE WHEN r.private AND r.name LIKE 'dm-%' THEN COALESCE(
            (SELECT o.user_name FROM read_markers o
             WHERE o.room_id = r.id AND o.user_id <> m.user_id LIMIT 1),
            m.user_name) END AS with_name,
        m.role
 FROM read_markers m
 JOIN rooms r ON r.id = m.room_id WHERE m.user_id = ?1
 ORDER BY r.name LIMIT ?2";

/// The texts with an `@` of the last 200 unread messages of each room of `?1` but `?2`.
const UNREAD_WITH_AT: &str = "SELECT r.name, msg.text FROM read_markers m
 JOIN rooms r ON r.id = m.room_id
 JOIN messages msg ON msg.room_id = m.room_id AND msg.seq > max(m.read, r.last_seq - 200)
 WHERE m.user_id = ?1 AND r.name <> ?2 AND msg.author_id <> ?1
   AND msg.deletes IS NULL AND msg.edits IS NULL AND msg.text LIKE '%@%'";

/// A room and one person's standing in it: `FactsRow`.
const ROOM_FACTS: &str = "SELECT r.id AS room_id, r.last_seq, r.private, m.role, m.delivered,
        m.read, EXISTS (SELECT 1 FROM bans b WHERE b.room_id = r.id AND b.user_id = ?2) AS banned,
        EXISTS (SELECT 1 FROM users u WHERE u.id = ?2 AND u.admin = 1) AS admin
 FROM rooms r LEFT JOIN read_markers m ON m.room_id = r.id AND m.user_id = ?2
 WHERE r.name = ?1";

#[derive(Clone)]
pub struct Sqlite {
    read: SqlitePool,
    quick: Arc<quick::QuickReads>,
    pub(super) writer: Writer,
    checkpointer: Checkpointer,
    index: search_index::SearchIndex,
    indexer: search_index::Indexer,
}

impl Sqlite {
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
        // For the whole process (every connection, sqlx's and rusqlite's: one library).
        sqlx::query(&format!("PRAGMA soft_heap_limit = {SQLITE_HEAP}"))
            .execute(&migrate)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&migrate).await?;
        super::name_keys::refresh_sqlite(&migrate).await?;
        migrate.close().await;
        let index = search_index::SearchIndex::open(&path)?;
        // Reads see the search index's file as `search` (its tables' names are their own).
        let index_file = search_index::file_for(&path).to_string_lossy().into_owned();
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .after_connect(move |conn, _| {
                let index_file = index_file.clone();
                Box::pin(async move {
                    sqlx::query("ATTACH DATABASE ? AS search")
                        .bind(index_file)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let writer = writer::start(&path)?;
        let checkpointer = Checkpointer::start(&path)?;
        let indexer = index.start_indexer()?;
        Ok(Self {
            read,
            quick: Arc::new(quick::QuickReads::new(&path)),
            writer,
            checkpointer,
            index,
            indexer,
        })
    }

    /// A quick read's answer, or else the same read through the pool (`quick`: the
    /// database was busy, say).
    async fn or_pool<T, F>(&self, quick: rusqlite::Result<T>, pool: impl FnOnce() -> F) -> Result<T>
    where
        F: std::future::Future<Output = sqlx::Result<T>>,
    {
        match quick {
            Ok(answer) => Ok(answer),
            Err(error) => {
                tracing::debug!(%error, "quick read failed; reading through the pool");
                Ok(pool().await?)
            }
        }
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.indexer.stop();
        self.writer.stop().await;
        self.checkpointer.stop().await;
        self.read.close().await;
        self.index.close().await;
    }

    pub async fn find_room(&self, name: &RoomName) -> Result<Option<RoomRow>> {
        Ok(
            sqlx::query_as("SELECT id, last_seq, private FROM rooms WHERE name = ?")
                .bind(name.as_str())
                .fetch_optional(&self.read)
                .await?,
        )
    }

    pub async fn directory(&self, filter: &str, limit: u32) -> Result<Vec<DirectoryRow>> {
        Ok(sqlx::query_as(
            "SELECT r.name, r.topic,
                    (SELECT count(*) FROM read_markers m WHERE m.room_id = r.id) AS members,
                    (SELECT ts FROM messages g WHERE g.room_id = r.id ORDER BY seq DESC LIMIT 1)
                        AS last
             FROM rooms r WHERE NOT r.private AND (instr(r.name, ?1) > 0 OR instr(lower(r.topic), ?1) > 0)
             ORDER BY last IS NULL, last DESC, r.name LIMIT ?2",
        )
        .bind(filter)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?)
    }

    /// The room and one person's standing in it, in one query (on this thread, as every
    /// path into a room asks: `quick`).
    pub async fn room_facts(&self, name: &RoomName, user_id: &str) -> Result<Option<FactsRow>> {
        let quick = self.quick.with(|conn| {
            use rusqlite::OptionalExtension;
            let mut stmt = conn.prepare_cached(ROOM_FACTS)?;
            stmt.query_row(
                rusqlite::params![name.as_str(), user_id],
                FactsRow::from_sqlite,
            )
            .optional()
        });
        self.or_pool(quick, || {
            sqlx::query_as(ROOM_FACTS)
                .bind(name.as_str())
                .bind(user_id)
                .fetch_optional(&self.read)
        })
        .await
    }

    /// An invite: its room's name (if any), uses left, expiry.
    pub async fn invite(&self, token_hash: &[u8]) -> Result<Option<InviteRow>> {
        Ok(sqlx::query_as(
            "SELECT r.name AS room_name, i.uses_left, i.expires_at FROM invites i
             LEFT JOIN rooms r ON r.id = i.room_id WHERE i.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?)
    }

    /// A person's (admin, disabled) flags.
    pub async fn user_flags(&self, user_id: &str) -> Result<Option<(bool, bool)>> {
        Ok(
            sqlx::query_as("SELECT admin, disabled FROM users WHERE id = ?")
                .bind(user_id)
                .fetch_optional(&self.read)
                .await?,
        )
    }

    /// A room's members (user id, name, role, has an account), owners first, at most
    /// `limit`.
    pub async fn members(&self, room: &RoomRef, limit: u32) -> Result<Vec<MemberListRow>> {
        Ok(sqlx::query_as(
            "SELECT m.user_id, m.user_name, m.role, u.name_key IS NOT NULL AS account
             FROM read_markers m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1
             ORDER BY m.role DESC, m.user_name, m.user_id LIMIT ?2",
        )
        .bind(room.id)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?)
    }

    /// A room's topic, by the room's id.
    pub async fn topic(&self, room: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT topic FROM rooms WHERE id = ?")
            .bind(room)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|(topic,)| topic))
    }

    /// The texts with an `@` of the last 200 messages of each room `user` is in but
    /// `except` that they have not read (not their own; not deletions or edits), with the
    /// room's name.
    pub async fn unread_with_at(&self, user: &User, except: &str) -> Result<Vec<(String, String)>> {
        let id = user.id.to_string();
        // Asked by signed-in pages with something unread: on this thread (`quick`), as
        // `rooms_of`, or else through the pool.
        let quick = self.quick.with(|conn| {
            let mut stmt = conn.prepare_cached(UNREAD_WITH_AT)?;
            let rows = stmt.query_map(rusqlite::params![id, except], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        });
        self.or_pool(quick, || {
            sqlx::query_as(UNREAD_WITH_AT)
                .bind(&id)
                .bind(except)
                .fetch_all(&self.read)
        })
        .await
    }

    pub async fn room_count(&self) -> Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms")
            .fetch_one(&self.read)
            .await?;
        Ok(n as u64)
    }

    pub async fn messages_after(
        &self,
        room: &RoomRef,
        after: u64,
        limit: u32,
    ) -> Result<Vec<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq > ?
             ORDER BY seq LIMIT ?"
        ))
        .bind(room.id)
        .bind(after.min(i64::MAX as u64) as i64)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// Newest first.
    pub async fn messages_before(
        &self,
        name: &RoomName,
        before: u64,
        limit: u32,
    ) -> Result<Vec<MessageRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages
             WHERE room_id = (SELECT id FROM rooms WHERE name = ?) AND seq < ?
             ORDER BY seq DESC LIMIT ?"
        ))
        .bind(name.as_str())
        .bind(before.min(i64::MAX as u64) as i64)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// The reactions to the messages of the room called `name` with `first <= seq <=
    /// last`, in the order they were given.
    pub async fn reactions(
        &self,
        name: &RoomName,
        first: u64,
        last: u64,
    ) -> Result<Vec<ReactionRow>> {
        Ok(sqlx::query_as(
            "SELECT seq, emoji, user_id, user_name FROM reactions
             WHERE room_id = (SELECT id FROM rooms WHERE name = ?) AND seq BETWEEN ? AND ?
             ORDER BY given",
        )
        .bind(name.as_str())
        .bind(first.min(i64::MAX as u64) as i64)
        .bind(last.min(i64::MAX as u64) as i64)
        .fetch_all(&self.read)
        .await?)
    }

    /// The messages of the room called `name` stored as `seqs` that replies quote.
    pub async fn quotes(&self, name: &RoomName, seqs: &[i64]) -> Result<Vec<QuoteRow>> {
        Ok(sqlx::query_as(
            "SELECT seq, author_name, text FROM messages
             WHERE room_id = (SELECT id FROM rooms WHERE name = ?)
               AND seq IN (SELECT value FROM json_each(?))",
        )
        .bind(name.as_str())
        .bind(serde_json::to_string(seqs).unwrap_or_default())
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn receipts(&self, name: &RoomName, limit: u32) -> Result<Vec<Receipt>> {
        let rows: Vec<ReceiptRow> = sqlx::query_as(
            "SELECT m.user_id, m.user_name, m.delivered, m.read FROM read_markers m
             JOIN rooms r ON r.id = m.room_id WHERE r.name = ?
             ORDER BY m.read DESC, m.user_id LIMIT ?",
        )
        .bind(name.as_str())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.into_receipt(name)).collect())
    }

    /// The rooms of `user`: name, unread count, private, for a direct conversation the
    /// other person's name (their own, talking to themself), and their role.
    pub async fn rooms_of(&self, user: &User, limit: u32) -> Result<Vec<RoomOfRow>> {
        let id = user.id.to_string();
        // Every signed-in page asks: on this thread (`quick`), or else through the pool.
        let quick = self.quick.with(|conn| {
            let mut stmt = conn.prepare_cached(ROOMS_OF)?;
            let rows = stmt.query_map(rusqlite::params![id, limit], RoomOfRow::from_sqlite)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        });
        self.or_pool(quick, || {
            sqlx::query_as(ROOMS_OF)
                .bind(&id)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
        })
        .await
    }

    pub async fn session(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(String, String, i64, bool, bool)>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.name, s.last_seen, u.bot, u.admin FROM sessions s
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?)
    }

    pub async fn account(
        &self,
        key: &str,
    ) -> Result<Option<(String, String, Option<String>, bool, bool)>> {
        Ok(sqlx::query_as(
            "SELECT id, name, password_hash, bot, admin FROM users WHERE name_key = ?",
        )
        .bind(key)
        .fetch_optional(&self.read)
        .await?)
    }

    pub async fn has_admin(&self) -> Result<bool> {
        let (found,): (bool,) =
            sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users WHERE admin = 1)")
                .fetch_one(&self.read)
                .await?;
        Ok(found)
    }

    pub async fn guests_signed_in(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.name FROM users u WHERE u.name_key IS NULL AND NOT u.bot
             AND EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id)",
        )
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn sessions_of(&self, user_id: &str) -> Result<Vec<SessionInfo>> {
        Ok(sqlx::query_as(
            "SELECT token_hash, device, created_at, last_seen FROM sessions
             WHERE user_id = ? ORDER BY last_seen DESC, created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn backdate_session(&self, token_hash: &[u8], last_seen: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = ? WHERE token_hash = ?")
            .bind(last_seen)
            .bind(token_hash)
            .execute(&self.read)
            .await?;
        Ok(())
    }
}

/// A new database file with the real schema, for the tests of the parts beneath.
#[cfg(test)]
fn test_database() -> (tempfile::TempDir, std::path::PathBuf, rusqlite::Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chat.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        conn.execute_batch(&std::fs::read_to_string(file).unwrap())
            .unwrap();
    }
    (dir, path, conn)
}
