//! The `Store` boundary: everything the server keeps lives behind these methods.
//!
//! Two backends share everything but their SQL (and their migrations): SQLite, embedded,
//! the default (`sqlite/`), and Postgres for several nodes (`postgres/`). The URL's scheme
//! chooses. Both write through a writer that commits every waiting write of every room in
//! one transaction (group commit, `jobs`) and answer only after the commit; both give
//! each room a gapless, strictly increasing `seq` under a lock on the room's row, taken in
//! the transaction that inserts. Sessions are cached in memory in front of either
//! (`sessions`).

/// The same call on whichever backend this is.
macro_rules! on_backend {
    ($self:expr, $b:ident => $e:expr) => {
        match &$self.backend {
            $crate::server::store::Backend::Sqlite($b) => $e,
            $crate::server::store::Backend::Postgres($b) => $e,
        }
    };
}

mod invites;
pub mod jobs;
mod members;
pub mod name_keys;
mod postgres;
pub mod rows;
mod sessions;
mod sqlite;

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use crate::{
    protocol::{Entry, Quote, Receipt},
    server::{
        model::{Appended, DirectoryRow, MarkerChange, NewEntry, Role, RoomRef, User},
        Error, Result,
    },
    validation::RoomName,
};
pub use invites::InviteInfo;
use jobs::{expect_output, Work, Writer};
pub use members::UserFlags;
use postgres::Postgres;
use sqlite::Sqlite;

/// One of a person's rooms, as their room list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomOf {
    pub name: RoomName,
    pub unread: u64,
    pub private: bool,
    /// A direct conversation with this person.
    pub with: Option<String>,
    pub role: Role,
}

/// Members' markers loaded for one room at most (page render, catch-up snapshot).
pub const MAX_RECEIPTS: u32 = 500;

/// Cloned into every socket and room: one pointer, whatever the backend holds.
#[derive(Clone)]
pub struct Store(Arc<StoreInner>);

pub struct StoreInner {
    backend: Backend,
    /// Token hash → user and when the session was last recorded as used. Sign-out and
    /// expiry evict here.
    sessions: Arc<RwLock<HashMap<Vec<u8>, (User, i64)>>>,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Sqlite),
    Postgres(Postgres),
}

/// Which backend a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    pub fn of(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(Error::Config(
                "DATABASE_URL must start with sqlite:// (one node, the default) \
                 or postgres:// (several nodes)"
                    .into(),
            ))
        }
    }
}

impl std::ops::Deref for Store {
    type Target = StoreInner;

    fn deref(&self) -> &StoreInner {
        &self.0
    }
}

impl Store {
    /// Opens and migrates the database at `url` (`sqlite://…`, created if missing, or
    /// `postgres://…`) and starts its writer.
    pub async fn open(url: &str) -> Result<Self> {
        let backend = match Database::of(url)? {
            Database::Sqlite => Backend::Sqlite(Sqlite::open(url).await?),
            Database::Postgres => Backend::Postgres(Postgres::open(url).await?),
        };
        Ok(Self(Arc::new(StoreInner {
            backend,
            sessions: Default::default(),
        })))
    }

    pub fn kind(&self) -> Database {
        match self.backend {
            Backend::Sqlite(_) => Database::Sqlite,
            Backend::Postgres(_) => Database::Postgres,
        }
    }

    fn writer(&self) -> &Writer {
        on_backend!(self, b => &b.writer)
    }

    /// Answers when the database does.
    pub async fn ping(&self) -> Result<()> {
        on_backend!(self, b => b.ping().await)
    }

    /// Stores every queued write and stops the writer, and closes the connections.
    pub async fn close(&self) {
        on_backend!(self, b => b.close().await)
    }

    /// The room called `name`, made now (`private` or not, owned by `creator`) if it does
    /// not exist yet, and whether this call made it. Callers decide first
    /// (`access::decide`); the upsert also answers a room made a moment ago, which they
    /// must then decide on again.
    pub async fn ensure_room(
        &self,
        name: &RoomName,
        private: bool,
        creator: &User,
    ) -> Result<(RoomRef, bool)> {
        expect_output!(
            self.writer().call(Work::EnsureRoom {
                name: name.clone(),
                private,
                creator: creator.clone(),
            }),
            Room
        )
    }

    /// The room called `name` and its last `seq`, if it exists. Never creates anything.
    pub async fn find_room(&self, name: &RoomName) -> Result<Option<(RoomRef, u64)>> {
        let found = on_backend!(self, b => b.find_room(name).await)?;
        Ok(found.map(|row| {
            let room = RoomRef {
                id: row.id,
                name: name.clone(),
                private: row.private,
            };
            (room, row.last_seq as u64)
        }))
    }

    /// Public rooms whose name or lowercased topic contains `filter` (all with an empty one),
    /// the most recently active first. At most `limit`.
    pub async fn directory(&self, filter: &str, limit: u32) -> Result<Vec<DirectoryRow>> {
        on_backend!(self, b => b.directory(filter, limit).await)
    }

    /// Messages matching `terms` in the rooms `user_id` may read (public rooms they are not
    /// banned from, private ones they are in; a visitor passes ""), newest first, at most
    /// `limit`.
    pub async fn search(
        &self,
        terms: &crate::server::domain::search::Terms,
        user_id: &str,
        limit: u32,
    ) -> Result<Vec<crate::server::domain::search::Hit>> {
        on_backend!(self, b => b.search(terms, user_id, limit).await)
    }

    /// How many rooms exist (tests: reads must not create any).
    pub async fn room_count(&self) -> Result<u64> {
        on_backend!(self, b => b.room_count().await)
    }

    /// Stores `batch` (with the batches of other rooms waiting, in one transaction),
    /// giving each new message the room's next `seq`. A message whose
    /// `(author, client_id)` is already stored is returned as it was stored.
    pub async fn append(&self, room: &RoomRef, batch: Vec<NewEntry>) -> Result<Vec<Appended>> {
        expect_output!(
            self.writer().call(Work::Append {
                room: room.clone(),
                batch,
            }),
            Appended
        )
    }

    /// Up to `limit` messages of `room` with `seq > after`, oldest first.
    pub async fn messages_after(
        &self,
        room: &RoomRef,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Entry>> {
        let rows = on_backend!(self, b => b.messages_after(room, after, limit).await)?;
        self.complete(messages(rows, &room.name), &room.name).await
    }

    /// The last `limit` messages of the room called `name` (none if it does not exist),
    /// oldest first.
    pub async fn recent(&self, name: &RoomName, limit: u32) -> Result<Vec<Entry>> {
        self.messages_before(name, u64::MAX, limit).await
    }

    /// Up to `limit` messages of the room called `name` with `seq < before` (none if it
    /// does not exist), oldest first.
    pub async fn messages_before(
        &self,
        name: &RoomName,
        before: u64,
        limit: u32,
    ) -> Result<Vec<Entry>> {
        let mut rows = on_backend!(self, b => b.messages_before(name, before, limit).await)?;
        rows.reverse();
        self.complete(messages(rows, name), name).await
    }

    /// `messages` (oldest first) with the reactions each has now and, for replies, the
    /// quote of the message answered as it is now.
    async fn complete(&self, mut messages: Vec<Entry>, name: &RoomName) -> Result<Vec<Entry>> {
        let (Some(first), Some(last)) = (messages.first(), messages.last()) else {
            return Ok(messages);
        };
        let (first, last) = (first.seq, last.seq);
        let rows = on_backend!(self, b => b.reactions(name, first, last).await)?;
        rows::attach_reactions(&mut messages, rows);
        let quoted: Vec<i64> = messages
            .iter()
            .filter_map(|m| Some(m.reply_to.as_ref()?.seq as i64))
            .collect();
        if !quoted.is_empty() {
            let rows = on_backend!(self, b => b.quotes(name, &quoted).await)?;
            rows::attach_quotes(&mut messages, &rows);
        }
        Ok(messages)
    }

    /// The quote of the message stored as `seq` in the room called `name`, for a reply
    /// to it: `None` unless it is a message (not a change) and not deleted.
    pub async fn quote(&self, name: &RoomName, seq: u64) -> Result<Option<Quote>> {
        // The row alone: a quote needs neither its reactions nor what it answers.
        let rows = on_backend!(self, b => b.messages_before(name, seq.saturating_add(1), 1).await)?;
        Ok(messages(rows, name)
            .first()
            .filter(|m| m.seq == seq && m.changes().is_none() && !m.deleted)
            .map(Quote::of))
    }

    /// Raises member `user`'s markers in `room` to at least `delivered` and `read` (each
    /// capped at the room's last `seq`; read implies delivered). Returns the markers as
    /// stored and whether they rose; `None` if `user` is not a member (markers never make
    /// one: see [`Store::admit`]).
    pub async fn raise_markers(
        &self,
        room: &RoomRef,
        user: &User,
        delivered: u64,
        read: u64,
    ) -> Result<Option<MarkerChange>> {
        expect_output!(
            self.writer().call(Work::RaiseMarkers {
                room: room.clone(),
                user: user.clone(),
                delivered,
                read,
            }),
            Markers
        )
    }

    /// Everyone's markers in the room called `name`, most recently read first.
    pub async fn receipts(&self, name: &RoomName, limit: u32) -> Result<Vec<Receipt>> {
        on_backend!(self, b => b.receipts(name, limit).await)
    }

    /// The rooms `user` is a member of, by name: how many messages they have not read,
    /// whether the room is private, and for a direct conversation the other person's name.
    pub async fn rooms_of(&self, user: &User, limit: u32) -> Result<Vec<RoomOf>> {
        let rows = on_backend!(self, b => b.rooms_of(user, limit).await)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(RoomOf {
                    name: RoomName::parse(&r.name).ok()?,
                    unread: r.unread.max(0) as u64,
                    private: r.private,
                    with: r.with_name,
                    role: Role::parse(&r.role),
                })
            })
            .collect())
    }
}

/// The entries `rows` stand for, as readers show them: with their text's HTML. (The store
/// keeps only the text; the writers, which read a row only to answer a retry, never render.)
fn messages(rows: Vec<rows::MessageRow>, room: &RoomName) -> Vec<Entry> {
    rows.into_iter()
        .map(|r| {
            let mut entry = r.into_entry(room);
            entry.html = crate::server::domain::markdown::render_entry(entry.kind, &entry.text);
            entry
        })
        .collect()
}
