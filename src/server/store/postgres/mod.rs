//! The Postgres backend, for several nodes on one database (sqlx's Postgres driver; the
//! choice is explained in docs/design.md). Writes go to one writer task per node
//! (`writer`) that commits every waiting write in one transaction; reads use a pool.

mod accounts;
mod invites;
mod members;
mod search;
mod search_index;
mod writer;

use std::{str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    Connection, PgConnection, PgPool,
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
        Error, Result,
    },
    validation::RoomName,
};

/// Connections for reads (pages, catch-up, history, sessions).
const READ_CONNECTIONS: u32 = 8;
/// Tries to reach the database at start, one second apart, before giving up.

#[derive(Clone)]
pub struct Postgres {
    read: PgPool,
    pub(super) writer: Writer,
    /// Indexes new messages' words every `search_index::EVERY`.
    indexer: tokio::task::AbortHandle,
}

impl Postgres {
    /// Connects (retrying for a while: the database may be starting too), migrates, and
    /// starts the writer.
    pub async fn open(url: &str) -> Result<Self> {
        let options = connect_options(url)?;
        let where_ = format!("{}:{}", options.get_host(), options.get_port());
        reachable(&options, &where_).await?;
        let read = PgPoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.clone())
            .await?;
        // Nodes starting together take turns: sqlx holds an advisory lock while it migrates.
        sqlx::migrate!("./migrations/postgres").run(&read).await?;
        super::name_keys::refresh_postgres(&read).await?;
        let write = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        // Every node indexes on a timer (they take turns), and each search first indexes
        // what came before it.
        let indexer = {
            let pool = read.clone();
            tokio::spawn(async move {
                let mut since_analyze = 0;
                loop {
                    since_analyze += search_index::run(&pool, search_index::MOST).await;
                    if search_index::analyze_if_grown(&pool, since_analyze).await {
                        since_analyze = 0;
                    }
                    tokio::time::sleep(search_index::EVERY).await;
                }
            })
            .abort_handle()
        };
        Ok(Self {
            read,
            writer: writer::start(write),
            indexer,
        })
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.indexer.abort();
        self.writer.stop().await;
        self.read.close().await;
    }

    pub async fn find_room(&self, name: &RoomName) -> Result<Option<RoomRow>> {
        Ok(
            sqlx::query_as("SELECT id, last_seq, private FROM rooms WHERE name = $1")
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
             FROM rooms r WHERE NOT r.private AND (strpos(r.name, $1) > 0 OR strpos(lower(r.topic), $1) > 0)
             ORDER BY last DESC NULLS LAST, r.name LIMIT $2",
        )
        .bind(filter)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?)
    }

    /// The room and one person's standing in it, in one query.
    pub async fn room_facts(&self, name: &RoomName, user_id: &str) -> Result<Option<FactsRow>> {
        Ok(sqlx::query_as(
            "SELECT r.id AS room_id, r.last_seq, r.private, m.role, m.delivered, m.read,
                    EXISTS (SELECT 1 FROM bans b WHERE b.room_id = r.id AND b.user_id = $2)
                        AS banned,
                    EXISTS (SELECT 1 FROM users u WHERE u.id = $2 AND u.admin) AS admin
             FROM rooms r LEFT JOIN read_markers m ON m.room_id = r.id AND m.user_id = $2
             WHERE r.name = $1",
        )
        .bind(name.as_str())
        .bind(user_id)
        .fetch_optional(&self.read)
        .await?)
    }

    /// An invite: its room's name (if any), uses left, expiry.
    pub async fn invite(&self, token_hash: &[u8]) -> Result<Option<InviteRow>> {
        Ok(sqlx::query_as(
            "SELECT r.name AS room_name, i.uses_left, i.expires_at FROM invites i
             LEFT JOIN rooms r ON r.id = i.room_id WHERE i.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?)
    }

    /// A person's (admin, disabled) flags.
    pub async fn user_flags(&self, user_id: &str) -> Result<Option<(bool, bool)>> {
        Ok(
            sqlx::query_as("SELECT admin, disabled FROM users WHERE id = $1")
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
             FROM read_markers m JOIN users u ON u.id = m.user_id WHERE m.room_id = $1
             ORDER BY m.role DESC, m.user_name, m.user_id LIMIT $2",
        )
        .bind(room.id)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?)
    }

    /// A room's topic, by the room's id.
    pub async fn topic(&self, room: i64) -> Result<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT topic FROM rooms WHERE id = $1")
            .bind(room)
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|(topic,)| topic))
    }

    /// The texts with an `@` of the last 200 messages of each room `user` is in but
    /// `except` that they have not read (not their own; not deletions or edits), with the
    /// room's name.
    pub async fn unread_with_at(&self, user: &User, except: &str) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT r.name, msg.text FROM read_markers m
             JOIN rooms r ON r.id = m.room_id
             JOIN messages msg ON msg.room_id = m.room_id
                  AND msg.seq > GREATEST(m.read, r.last_seq - 200)
             WHERE m.user_id = $1 AND r.name <> $2 AND msg.author_id <> $1
               AND msg.deletes IS NULL AND msg.edits IS NULL AND msg.text LIKE '%@%'",
        )
        .bind(user.id.to_string())
        .bind(except)
        .fetch_all(&self.read)
        .await?)
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
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = $1 AND seq > $2
             ORDER BY seq LIMIT $3"
        ))
        .bind(room.id)
        .bind(after.min(i64::MAX as u64) as i64)
        .bind(i64::from(limit))
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
             WHERE room_id = (SELECT id FROM rooms WHERE name = $1) AND seq < $2
             ORDER BY seq DESC LIMIT $3"
        ))
        .bind(name.as_str())
        .bind(before.min(i64::MAX as u64) as i64)
        .bind(i64::from(limit))
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
             WHERE room_id = (SELECT id FROM rooms WHERE name = $1) AND seq BETWEEN $2 AND $3
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
             WHERE room_id = (SELECT id FROM rooms WHERE name = $1) AND seq = ANY($2)",
        )
        .bind(name.as_str())
        .bind(seqs)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn receipts(&self, name: &RoomName, limit: u32) -> Result<Vec<Receipt>> {
        let rows: Vec<ReceiptRow> = sqlx::query_as(
            "SELECT m.user_id, m.user_name, m.delivered, m.read FROM read_markers m
             JOIN rooms r ON r.id = m.room_id WHERE r.name = $1
             ORDER BY m.read DESC, m.user_id LIMIT $2",
        )
        .bind(name.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        Ok(rows.into_iter().map(|r| r.into_receipt(name)).collect())
    }

    /// The rooms of `user`: name, unread count, private, for a direct conversation the
    /// other person's name (their own, talking to themself), and their role.
    pub async fn rooms_of(&self, user: &User, limit: u32) -> Result<Vec<RoomOfRow>> {
        Ok(sqlx::query_as(
            "SELECT r.name,
                    CASE WHEN r.last_seq - m.read > 500 THEN r.last_seq - m.read
                    ELSE (SELECT count(*) FROM messages x WHERE x.room_id = r.id
                          AND x.seq > m.read AND x.deletes IS NULL AND x.edits IS NULL
                          AND x.reacts IS NULL) END AS unread,
                    r.private,
                    CASE WHEN r.private AND r.name LIKE 'dm-%' THEN COALESCE(
                        (SELECT o.user_name FROM read_markers o
                         WHERE o.room_id = r.id AND o.user_id <> m.user_id LIMIT 1),
                        m.user_name) END AS with_name,
                    m.role
             FROM read_markers m
             JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1
             ORDER BY r.name LIMIT $2",
        )
        .bind(user.id.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn session(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<(String, String, i64, bool, bool)>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.name, s.last_seen, u.bot, u.admin FROM sessions s
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
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
            "SELECT id, name, password_hash, bot, admin FROM users WHERE name_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.read)
        .await?)
    }

    pub async fn has_admin(&self) -> Result<bool> {
        let (found,): (bool,) = sqlx::query_as("SELECT EXISTS (SELECT 1 FROM users WHERE admin)")
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
             WHERE user_id = $1 ORDER BY last_seen DESC, created_at DESC",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?)
    }

    pub async fn backdate_session(&self, token_hash: &[u8], last_seen: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(last_seen)
            .bind(token_hash)
            .execute(&self.read)
            .await?;
        Ok(())
    }
}

/// How this store connects to `url`: named, and without JIT compiling of queries. Every
/// query here reads a few rows by an index, and a guess of many rows (a search's prefixes,
/// by slice) made Postgres compile one for ~5 ms where running it took 0.3 ms (a rare word
/// at 10M messages: 60 ms a search).
fn connect_options(url: &str) -> Result<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)?
        .application_name("cloud_msg")
        .options([("jit", "off")]))
}

/// Waits until Postgres accepts a connection, trying `config::connect_tries()` times one
/// second apart; the error names where it tried (never the URL, which may hold a
/// password). One plain connection per try: a pool would retry on its own for seconds.
async fn reachable(options: &PgConnectOptions, where_: &str) -> Result<()> {
    let mut tries = 0;
    loop {
        tries += 1;
        match PgConnection::connect_with(options).await {
            Ok(conn) => {
                let _ = conn.close().await;
                return Ok(());
            }
            Err(error) if tries < crate::server::config::connect_tries() => {
                tracing::warn!(%error, at = where_, tries, "Postgres does not answer yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => {
                return Err(Error::Config(format!(
                    "could not reach Postgres at {where_} after {tries} tries: {error}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn connections_ask_for_no_jit_and_keep_the_urls_own_options() {
        let options = super::connect_options("postgres://chat@db/chat").unwrap();
        assert_eq!(options.get_options(), Some("-c jit=off"));
        let url = "postgres://chat@db/chat?options=-c%20statement_timeout%3D5000";
        let options = super::connect_options(url).unwrap();
        assert_eq!(
            options.get_options(),
            Some("-c statement_timeout=5000 -c jit=off")
        );
    }
}
