//! A socket in a room, as the room's actor holds it: where its frames go, and those it
//! must wait for while it catches up.

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use bytes::Bytes;
use uuid::Uuid;

use crate::server::wire::{CloseReason, Outbox};

/// Broadcasts held for a member that is catching up; more and it counts as too slow.
const MAX_HELD: usize = 1024;

/// A socket in the room.
pub struct Member {
    pub(super) id: u64,
    /// Whose socket this is (a removed person's sockets leave at once).
    pub(super) user: Uuid,
    /// Their name, as the room's `presence` lists them.
    pub(super) name: String,
    pub(super) outbox: Outbox,
    /// Set when the socket leaves the room.
    pub(super) gone: Arc<AtomicBool>,
    /// While catching up: the broadcasts that must wait for the replay.
    pub(super) held: Option<Vec<Bytes>>,
    /// It has had the room's `presence` (a new socket gets it even when nobody came or
    /// went).
    pub(super) knows_presence: bool,
}

impl Member {
    pub fn new(
        id: u64,
        (user, name): (Uuid, String),
        outbox: Outbox,
        gone: Arc<AtomicBool>,
        held: bool,
    ) -> Self {
        Self {
            id,
            user,
            name,
            outbox,
            gone,
            held: held.then(Vec::new),
            knows_presence: false,
        }
    }

    pub(super) fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire) || self.outbox.is_closed()
    }

    /// Queues `frames` (or holds them); false once the member should be dropped.
    pub(super) fn deliver(&mut self, frames: &Bytes) -> bool {
        match &mut self.held {
            Some(held) if held.len() >= MAX_HELD => {
                self.outbox.close(CloseReason::SlowConsumer);
                false
            }
            Some(held) => {
                held.push(frames.clone());
                true
            }
            None => self.outbox.push(frames.clone()),
        }
    }
}
