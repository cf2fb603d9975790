//! The `Bus` boundary: how a room's real-time events reach the other nodes of a cluster.
//!
//! One node (`Bus::Local`, the default) has nobody to tell: a room's actor fans out to
//! its own sockets and that is all. Several nodes (`Bus::Redis`) publish every event after
//! the store committed it, on one Redis channel per room, and each node subscribes to the
//! rooms it has members in. The bus is a fast path, never the source of truth: an event
//! it loses only delays delivery, because every room checks the store for what it missed
//! (see `hub::room`).
//!
//! Messages (edits and deletions among them), receipts, removals, typing and presence
//! travel this way; every later real-time event is one more `Event` variant.

mod redis;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::{
    protocol::{ChatMessage, Receipt},
    server::Result,
    validation::RoomName,
};

/// A room's event, as it crosses from one node to the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Stored messages, in seq order.
    Messages { messages: Vec<ChatMessage> },
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

#[derive(Clone)]
pub enum Bus {
    Local,
    Redis(Arc<redis::RedisBus>),
}

impl Bus {
    /// The bus for `redis_url`: Redis when given (retrying for a while at start, then an
    /// error), else local. The second value receives other nodes' events.
    pub async fn connect(
        redis_url: Option<&str>,
        prefix: &str,
    ) -> Result<(Self, mpsc::UnboundedReceiver<Incoming>)> {
        let (incoming, rx) = mpsc::unbounded_channel();
        let bus = match redis_url {
            None => Self::Local,
            Some(url) => Self::Redis(Arc::new(
                redis::RedisBus::connect(url, prefix, incoming).await?,
            )),
        };
        Ok((bus, rx))
    }

    /// True when other nodes may exist (events are published and may arrive).
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Redis(_))
    }

    /// Tells the other nodes about `event` in `room`. Never waits: a publish that fails is
    /// logged, and the other nodes catch up from the store.
    pub fn publish(&self, room: &RoomName, event: Event) {
        if let Self::Redis(bus) = self {
            bus.publish(room, &event);
        }
    }

    /// Tells the other nodes that sessions ended. Never waits.
    pub fn revoke(&self, revocation: &Revocation) {
        if let Self::Redis(bus) = self {
            bus.revoke(revocation);
        }
    }

    /// Starts receiving `room`'s events; returns once the subscription is in place (or the
    /// bus is down, in which case the room resyncs when it is back).
    pub async fn subscribe(&self, room: &RoomName) {
        if let Self::Redis(bus) = self {
            bus.subscribe(room).await;
        }
    }

    /// Stops receiving `room`'s events.
    pub fn unsubscribe(&self, room: &RoomName) {
        if let Self::Redis(bus) = self {
            bus.unsubscribe(room);
        }
    }

    /// Answers when the bus does (readiness).
    pub async fn ping(&self) -> Result<()> {
        match self {
            Self::Local => Ok(()),
            Self::Redis(bus) => bus.ping().await,
        }
    }
}
