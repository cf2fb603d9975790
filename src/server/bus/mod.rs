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

mod event;
mod redis;

pub use event::{Event, Incoming, Revocation};

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::{server::Result, validation::RoomName};

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
