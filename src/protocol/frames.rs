//! The frames of a `/ws` socket: what a client sends, what the server sends back, and
//! the parts they are made of (presence, receipts, error codes).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entry::{is_false, Entry};

/// A frame sent by a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Subscribe to a room. With `since`, every stored message with a higher `seq` is
    /// replayed first, in order, before live messages.
    Join {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
    },
    /// Unsubscribe from a room.
    Leave { room: String },
    /// Post a message. `client_id` makes the send idempotent. With `reply_to`, it answers
    /// the message stored as that `seq`, which it quotes.
    Send {
        room: String,
        client_id: Uuid,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
    },
    /// Delete the message stored as `seq` (one's own; any, for the room's owners and the
    /// admin). Everyone sees a tombstone: the message keeps its place, its text is gone.
    /// `client_id` makes it idempotent, as for `send`.
    Delete {
        room: String,
        seq: u64,
        client_id: Uuid,
    },
    /// Replace the text of my message stored as `seq` (only its author may). Everyone sees
    /// the new text and that it was edited; `client_id` makes it idempotent, as for `send`.
    Edit {
        room: String,
        seq: u64,
        client_id: Uuid,
        text: String,
    },
    /// Add my reaction `emoji` to the message stored as `seq` (with `undo`, take it back).
    /// Each person counts once per emoji; adding twice or taking back what is not there
    /// changes nothing. `client_id` makes it idempotent, as for `send`.
    React {
        room: String,
        seq: u64,
        client_id: Uuid,
        emoji: String,
        #[serde(default, skip_serializing_if = "is_false")]
        undo: bool,
    },
    /// Every message up to `seq` has reached this user's client.
    Received { room: String, seq: u64 },
    /// This user has seen every message up to `seq`.
    Read { room: String, seq: u64 },
    /// I am typing in `room` (a joined room). Never stored: the others in the room get a
    /// `typing` frame, and forget it after a few seconds unless another comes.
    Typing { room: String },
}

/// A frame sent by the server. It is read by `read_frame` (`"type"` first, never buffered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Message(Entry),
    /// The message with this `client_id` is stored under `seq`.
    Ack {
        room: String,
        client_id: Uuid,
        seq: u64,
    },
    /// Members' delivery and read markers in a room (never lower than before): every change
    /// since the last such frame, merged over a short window, in one frame.
    Receipts {
        room: String,
        receipts: Vec<Receipt>,
    },
    /// The answer to a `join`: the membership is stored and the socket is subscribed. With
    /// `since`, everything it missed up to `seq` (the room's last) was queued before this
    /// frame; every message after `seq` comes live. A refused join gets an `error` instead,
    /// and a replay that stopped at a page boundary gets `more`.
    Joined {
        room: String,
        seq: u64,
    },
    /// The replay after `join` with `since` stopped at a page boundary: there is more
    /// history. Join again with this `since` to get the rest (and then live messages).
    More {
        room: String,
        since: u64,
    },
    /// `user` (called `name`) is typing in `room`: shown for `TYPING_SHOWN_MS` unless
    /// another comes, and until their next message. Never sent to the typer.
    Typing {
        room: String,
        user: Uuid,
        name: String,
    },
    /// Who is in a room: sent to a socket once it joins, and to everyone in the room when
    /// someone comes online or goes offline there (on any node).
    Presence(Presence),
    /// A member set the room's topic (empty: cleared); the room's header shows it.
    Topic {
        room: String,
        topic: String,
    },
    /// Something the client sent was refused; only the sender receives this.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<Uuid>,
        /// With `rate_limited`: send again after this many milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
        /// Set when the error refuses a `join`: the room it asked for (the join's answer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
    },
}

impl ServerFrame {
    /// A `receipts` frame for `room`; the entries leave their room out (the frame names it).
    pub fn receipts(room: impl Into<String>, mut receipts: Vec<Receipt>) -> Self {
        receipts.iter_mut().for_each(|r| r.room.clear());
        Self::Receipts {
            room: room.into(),
            receipts,
        }
    }

    /// An `error` frame without a wait.
    pub fn error(code: ErrorCode, message: impl Into<String>, client_id: Option<Uuid>) -> Self {
        Self::Error {
            code,
            message: message.into(),
            client_id,
            retry_after_ms: None,
            room: None,
        }
    }
}

/// A room's members: the first `online` are online in it now (a person with several
/// sockets, on one node or several, once), the rest joined it before and are offline; each
/// part by name, at most `PRESENCE_MAX` people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub room: String,
    pub online: usize,
    pub members: Vec<String>,
}

impl Presence {
    /// Each member's name and whether they are online.
    pub fn people(&self) -> impl Iterator<Item = (&str, bool)> {
        self.members
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i < self.online))
    }
}

/// Most people a `presence` frame lists.
pub const PRESENCE_MAX: usize = 200;

/// How far one member of a room has received and read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Left out inside a `receipts` frame, which names the room once for all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub room: String,
    /// The member's user id.
    pub user: Uuid,
    /// The member's display name.
    pub name: String,
    /// Highest `seq` that reached one of the member's clients.
    pub delivered: u64,
    /// Highest `seq` the member has seen (`read <= delivered`).
    pub read: u64,
}

/// Machine-readable error codes of `error` frames (and of 4xx bodies where they apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not JSON or not one of the known frame types.
    BadFrame,
    /// Binary frames are not part of the protocol.
    BinaryFrame,
    /// The room name is not 1–64 characters of `[a-z0-9_-]`.
    BadRoom,
    /// The text is empty or only whitespace.
    EmptyText,
    /// The text is longer than 4,000 characters.
    TextTooLong,
    /// The text holds a control character other than a new line or a tab (a NUL, an
    /// escape…); the message says which.
    BadText,
    /// Too many requests: wait `retry_after_ms`, then send the same frame again.
    RateLimited,
    /// This `client_id` was already used for a message with another text; the stored
    /// message stays as it was.
    ClientIdReused,
    /// The server could not store the message; retry with the same `client_id`.
    Internal,
    /// No such room, or a private room you are not in (the two look the same).
    NotFound,
    /// You are banned from this room.
    Banned,
    /// You were removed from the room (kicked or banned): its frames stop.
    Removed,
    /// Not yours to do (deleting someone else's message without being an owner).
    NotAllowed,
    /// A reaction is one emoji (or a short emoji sequence), and a message holds at most
    /// `REACTIONS_MAX` different ones.
    BadReaction,
}

/// How long a `typing` frame shows its typer, in ms (a typing client sends one every
/// `TYPING_EVERY_MS` at most, while it types).
pub const TYPING_SHOWN_MS: f64 = 5000.0;
/// A client sends `typing` at most this often while it types (the server passes on at
/// most one every 2 s per socket and room).
pub const TYPING_EVERY_MS: f64 = 3000.0;
