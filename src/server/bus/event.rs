//! What crosses from one node to the others: a room's events, ended sessions, and what the
//! bus hands to this node's hub.

use serde::{Deserialize, Serialize};

use crate::{
    protocol::{Entry, Receipt},
    validation::RoomName,
};

/// A room's event, as it crosses from one node to the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Stored messages, in seq order.
    Messages { messages: Vec<Entry> },
    /// Members' markers after they rose.
    Receipts { receipts: Vec<Receipt> },
    /// A person was removed from the room (kicked, or `banned`): their sockets leave it.
    Removed { user: uuid::Uuid, banned: bool },
    /// A member set the room's topic (stored first).
    Topic { topic: String },
    /// Someone is typing (never stored).
    Typing { user: uuid::Uuid, name: String },
    /// The people node `actor` (its actor for the room) has online in the room, said when
    /// that changes and every few seconds while it has anyone (never stored).
    Presence {
        actor: uuid::Uuid,
        online: Vec<(uuid::Uuid, String)>,
    },
}

/// Sessions that ended, which every node must act on at once whatever rooms it has open:
/// forget them (a node caches sessions) and close their sockets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Revocation {
    /// One session ended (signed out or revoked); `hash` is its token's SHA-256, in hex.
    Session { hash: String },
    /// Every session of `user` but `keep` (a new password), or all of them; `disabled`
    /// when an admin disabled the account (its sockets close with 4003), `name_taken` when
    /// a guest's name went to an account (4002).
    User {
        user: uuid::Uuid,
        keep: Option<String>,
        disabled: bool,
        #[serde(default)]
        name_taken: bool,
    },
}

/// What the bus hands to this node's hub.
#[derive(Debug)]
pub enum Incoming {
    /// Another node's event for `room`.
    Event { room: RoomName, event: Event },
    /// Another node ended sessions.
    Revoked(Revocation),
    /// The bus was cut off (Redis restarted, the network failed) and is back: events may
    /// have been lost meanwhile, so every room should check the store.
    Resync,
}
