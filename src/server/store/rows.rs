//! The rows both backends read, one named struct each, and the one mapping from each to
//! the server's types: every backend selects the same columns (by name for sqlx, in order
//! for rusqlite's `from_sqlite`) and hands these to the shared code in `store/`.

use crate::{
    protocol::{Entry, EntryKind, Quote, Receipt},
    server::model::{parse_uuid, Role, RoomFacts, RoomRef},
    timestamp::Timestamp,
    validation::RoomName,
};

/// A row both backends read: the struct (read by column name through sqlx), its columns
/// in order (`COLUMNS`), and `from_sqlite`, which reads it from a rusqlite query that
/// selects those columns in that order (the quick reads on SQLite's own thread).
macro_rules! row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(#[$m0:meta])* pub $f0:ident: $t0:ty
            $(, $(#[$m:meta])* pub $f:ident: $t:ty)* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, sqlx::FromRow)]
        pub struct $name {
            $(#[$m0])* pub $f0: $t0,
            $($(#[$m])* pub $f: $t,)*
        }

        impl $name {
            /// Its columns, in order.
            #[allow(dead_code)]
            pub const COLUMNS: &'static str =
                concat!(stringify!($f0) $(, ", ", stringify!($f))*);

            /// The row of a rusqlite query that selects `COLUMNS`, in order.
            #[allow(dead_code)]
            pub fn from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut at = 0..;
                // Struct fields are read in the order they are written.
                Ok(Self {
                    $f0: r.get(at.next().unwrap_or_default())?,
                    $($f: r.get(at.next().unwrap_or_default())?,)*
                })
            }
        }
    };
}

row! {
    /// A stored message as every backend reads it (`MESSAGE_COLUMNS`, in that order).
    #[derive(Default)]
    pub struct MessageRow {
        pub seq: i64,
        pub id: String,
        pub client_id: String,
        pub author_id: String,
        pub author_name: String,
        pub text: String,
        pub ts: i64,
        pub bot: bool,
        pub deletes: Option<i64>,
        pub deleted: bool,
        pub edits: Option<i64>,
        pub edited: Option<i64>,
        pub reacts: Option<i64>,
        pub undo: bool,
        pub reply_to: Option<i64>,
    }
}

/// The columns a `MessageRow` is read from.
pub const MESSAGE_COLUMNS: &str = MessageRow::COLUMNS;

impl MessageRow {
    /// The kind its columns `deletes`, `edits`, `reacts` and `undo` stand for.
    pub fn kind(&self) -> EntryKind {
        let seq = |c: Option<i64>| c.map(|s| s as u64);
        EntryKind::from_fields(
            seq(self.deletes),
            seq(self.edits),
            seq(self.reacts),
            self.undo,
        )
    }

    /// The entry this row of `room` holds, without its HTML (see `store::messages`).
    pub fn into_entry(self, room: &RoomName) -> Entry {
        let kind = self.kind();
        Entry {
            // The text's HTML is made by whoever shows it (`store::messages`).
            html: None,
            room: room.to_string(),
            seq: self.seq as u64,
            id: parse_uuid(&self.id),
            client_id: parse_uuid(&self.client_id),
            author: self.author_name,
            author_id: parse_uuid(&self.author_id),
            text: self.text,
            ts: Timestamp::from_millis(self.ts),
            bot: self.bot,
            kind,
            deleted: self.deleted,
            edited: self.edited.map(|e| e as u64),
            // Its author and words are read next (`attach_quotes`).
            reply_to: self.reply_to.map(|seq| Quote {
                seq: seq as u64,
                ..Quote::default()
            }),
            reactions: Vec::new(),
        }
    }
}

/// The columns that store `kind` (`deletes`, `edits`, `reacts`, `undo`): the other way
/// of `MessageRow::kind`.
pub fn kind_columns(kind: EntryKind) -> (Option<i64>, Option<i64>, Option<i64>, bool) {
    let seq = |s: Option<u64>| s.map(|s| s as i64);
    (
        seq(kind.deletes()),
        seq(kind.edits()),
        seq(kind.reacts()),
        kind.undo(),
    )
}

/// A quoted message as every backend reads it (its text is empty when it was deleted).
#[derive(Debug, sqlx::FromRow)]
pub struct QuoteRow {
    pub seq: i64,
    pub author_name: String,
    pub text: String,
}

/// Gives each reply among `messages` its quote, from `rows`.
pub fn attach_quotes(messages: &mut [Entry], rows: &[QuoteRow]) {
    for msg in messages {
        let Some(quote) = msg.reply_to.as_mut() else {
            continue;
        };
        if let Some(row) = rows.iter().find(|r| r.seq as u64 == quote.seq) {
            *quote = Quote::new(quote.seq, &row.author_name, &row.text);
        }
    }
}

/// One person's reaction to the message stored as `seq`, as every backend reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct ReactionRow {
    pub seq: i64,
    pub emoji: String,
    pub user_id: String,
    pub user_name: String,
}

/// Gives each of `messages` (oldest first) its reactions from `rows`.
pub fn attach_reactions(messages: &mut [Entry], rows: Vec<ReactionRow>) {
    for r in rows {
        let seq = r.seq as u64;
        if let Ok(at) = messages.binary_search_by_key(&seq, |m| m.seq) {
            messages[at].react(&r.emoji, parse_uuid(&r.user_id), &r.user_name, false);
        }
    }
}

/// A member's markers as every backend reads them.
#[derive(Debug, sqlx::FromRow)]
pub struct ReceiptRow {
    pub user_id: String,
    pub user_name: String,
    pub delivered: i64,
    pub read: i64,
}

impl ReceiptRow {
    /// The receipt this row of `room` stands for.
    pub fn into_receipt(self, room: &RoomName) -> Receipt {
        Receipt {
            room: room.to_string(),
            user: parse_uuid(&self.user_id),
            name: self.user_name,
            delivered: self.delivered as u64,
            read: self.read as u64,
        }
    }
}

row! {
    /// A `RoomFacts` as every backend reads it (its columns in this order): the person's
    /// role and markers are null for a non-member.
    pub struct FactsRow {
        pub room_id: i64,
        pub last_seq: i64,
        pub private: bool,
        pub role: Option<String>,
        pub delivered: Option<i64>,
        pub read: Option<i64>,
        pub banned: bool,
        pub admin: bool,
    }
}

impl FactsRow {
    /// The facts this row of the room called `name` stands for.
    pub fn into_facts(self, name: &RoomName) -> RoomFacts {
        RoomFacts {
            room: RoomRef {
                id: self.room_id,
                name: name.clone(),
                private: self.private,
            },
            last_seq: self.last_seq as u64,
            member: self.role.map(|role| {
                (
                    Role::parse(&role),
                    self.delivered.unwrap_or(0) as u64,
                    self.read.unwrap_or(0) as u64,
                )
            }),
            banned: self.banned,
            admin: self.admin,
        }
    }
}

/// A room as every backend finds it by name.
#[derive(Debug, sqlx::FromRow)]
pub struct RoomRow {
    pub id: i64,
    pub last_seq: i64,
    pub private: bool,
}

/// A member as every backend lists them: `account` is whether they have one.
#[derive(Debug, sqlx::FromRow)]
pub struct MemberListRow {
    pub user_id: String,
    pub user_name: String,
    pub role: String,
    pub account: bool,
}

row! {
    /// One of a person's rooms as every backend reads it (`with_name`: the other person of
    /// a direct conversation).
    pub struct RoomOfRow {
        pub name: String,
        pub unread: i64,
        pub private: bool,
        pub with_name: Option<String>,
        pub role: String,
    }
}

/// An invite as every backend reads it: its room's name (none: an invite to the server).
#[derive(Debug, sqlx::FromRow)]
pub struct InviteRow {
    pub room_name: Option<String>,
    pub uses_left: i64,
    pub expires_at: i64,
}

/// One of a person's sessions, as the list of them shows it (and every backend reads it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionInfo {
    pub token_hash: Vec<u8>,
    pub device: String,
    pub created_at: i64,
    pub last_seen: i64,
}
