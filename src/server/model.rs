//! The server's own types, below the store, the hub and the sockets: who speaks
//! (`User`), an entry before and after it is stored, a member's markers, a room's
//! identity. Every backend of the store and every layer above it speak these words (the
//! rows the backends read, and their mapping to these, are `store/rows.rs`).

use uuid::Uuid;

use crate::{
    protocol::{Entry, EntryKind, Quote, Receipt},
    timestamp::Timestamp,
    validation::{DisplayName, RoomName},
};

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub name: DisplayName,
    /// A bot (made by the admin, signed in by a token): its messages are marked "bot".
    pub bot: bool,
    /// The server's admin (the first account; it never changes).
    pub admin: bool,
}

impl User {
    /// A new person called `name`, with a new id.
    pub fn new(name: &DisplayName) -> Self {
        Self {
            id: Uuid::new_v4(),
            name: name.clone(),
            bot: false,
            admin: false,
        }
    }
}

/// A session to create: the hash of its token and the device it was made on (the
/// User-Agent, cut to 200 characters), shown in the list of one's sessions.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: Vec<u8>,
    pub device: String,
}

impl NewSession {
    pub fn new(token_hash: Vec<u8>, device: &str) -> Self {
        Self {
            token_hash,
            device: device
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect(),
        }
    }
}

/// An entry to store (a message, or a change to one), before it has a `seq`.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub client_id: Uuid,
    pub author: User,
    /// A message's words, an edit's new words, a reaction's emoji; empty for a deletion.
    pub text: String,
    pub ts: Timestamp,
    pub kind: EntryKind,
    /// The message this one answers, quoted.
    pub reply_to: Option<Quote>,
    /// Its text as HTML when it has formatting (`markdown::render`), made by the room's
    /// actor before the store: the writer's one thread does no display work.
    pub html: Option<String>,
}

impl NewEntry {
    /// The message as stored in `room` under `seq`, with a new (time-ordered) id.
    pub fn stored(&self, room: &RoomName, seq: u64) -> Entry {
        Entry {
            room: room.to_string(),
            seq,
            id: Uuid::now_v7(),
            client_id: self.client_id,
            author: self.author.name.to_string(),
            author_id: self.author.id,
            text: self.text.clone(),
            ts: self.ts,
            bot: self.author.bot,
            kind: self.kind,
            deleted: false,
            edited: None,
            reply_to: self.reply_to.clone(),
            reactions: Vec::new(),
            html: self.html.clone(),
        }
    }

    /// The answer for a reaction refused in the writer's transaction: its message already
    /// holds `REACTIONS_MAX` other emoji. Nothing was stored (`msg` has seq 0).
    pub fn too_many_reactions(&self, room: &RoomName) -> Appended {
        Appended {
            msg: self.stored(room, 0),
            fresh: false,
            reused: false,
            too_many_reactions: true,
        }
    }

    /// The answer for this message when `msg` was stored under its `client_id` before
    /// (only its `seq` goes back to the sender).
    pub fn already(&self, msg: Entry) -> Appended {
        Appended {
            // A deleted message lost its text: a late retry of it is still the same message.
            reused: msg.kind != self.kind
                || (matches!(msg.kind, EntryKind::React { .. }) && msg.text != self.text)
                || (!msg.deleted && msg.edited.is_none() && msg.text != self.text),
            msg,
            fresh: false,
            too_many_reactions: false,
        }
    }
}

/// The stored message for a `NewEntry`; `fresh` is false when an earlier send with the
/// same `client_id` had already stored it, and `reused` is true when that earlier send had
/// another text (the stored one stays).
#[derive(Debug, Clone)]
pub struct Appended {
    pub msg: Entry,
    pub fresh: bool,
    pub reused: bool,
    /// A new emoji for a message that holds `REACTIONS_MAX` already: refused, not stored.
    pub too_many_reactions: bool,
}

/// A member's markers after a raise, and whether they changed.
#[derive(Debug, Clone)]
pub struct MarkerChange {
    pub receipt: Receipt,
    pub rose: bool,
}

/// A room's identity in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRef {
    pub id: i64,
    pub name: RoomName,
    /// Seen only by its members (set when the room is made, never changed).
    pub private: bool,
}

/// A member's standing in a room: its creator owns it, everyone else is a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Owner,
}

impl Role {
    /// The role of whoever makes `room`: its owner if they hold an account. A guest may
    /// open a room by its name, but owner powers (removing, banning, deleting others'
    /// messages, the topic) belong to accounts; the admin moderates a public room a guest
    /// opened. The home room is the admin's, whoever opened it first.
    pub fn of_creator(room: &RoomName, account: bool) -> Self {
        if account && room.as_str() != crate::validation::HOME_ROOM {
            Self::Owner
        } else {
            Self::Member
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Owner => "owner",
        }
    }

    /// The stored word (anything but `owner` is a member).
    pub fn parse(s: &str) -> Self {
        if s == "owner" {
            Self::Owner
        } else {
            Self::Member
        }
    }
}

/// What the store holds about a room and one person, read in one query: everything
/// `access::decide` rules on, and the person's markers for their join.
#[derive(Debug, Clone)]
pub struct RoomFacts {
    pub room: RoomRef,
    pub last_seq: u64,
    /// Their membership: role, delivered and read markers.
    pub member: Option<(Role, u64, u64)>,
    pub banned: bool,
    /// They are the server's admin.
    pub admin: bool,
}

/// A room's member, as the member list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    /// They have an account (so a name one can send a direct message to).
    pub account: bool,
}

/// A public room as the directory lists it, as every backend reads it.
#[derive(Debug, sqlx::FromRow)]
pub struct DirectoryRow {
    pub name: String,
    /// Empty: none.
    pub topic: String,
    pub members: i64,
    /// The time of its last message (ms); none yet.
    pub last: Option<i64>,
}

/// A UUID column. Only the store writes these columns, always from a `Uuid`.
pub fn parse_uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap_or_default()
}
