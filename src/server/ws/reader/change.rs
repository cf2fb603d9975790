//! What `delete` and `edit` share: the message they change must be stored in a room the
//! person may post in and not be deleted; the change is then a new entry in the room's
//! sequence, stored and broadcast like a message (so `since` catch-up replays it). Both
//! share the sender's rate limit with sends.

use uuid::Uuid;

use super::Reader;
use crate::{
    protocol::{Entry, ErrorCode},
    server::{
        domain::access::{self, Access},
        hub::{Content, Reply, RoomHandle, SendCmd},
        infra::limits::{Key, Limit},
    },
    validation::RoomName,
};

/// A stored message that a `delete` or `edit` may change, and the room it is in.
pub(super) struct Target {
    pub msg: Entry,
    pub access: Access,
    handle: RoomHandle,
}

impl Reader {
    /// The message stored as `seq` in `room`, if this person may post there, within the
    /// rate limit; otherwise the refusal is answered (`client_id` names it) and `None`.
    pub(super) async fn target(&mut self, room: &str, seq: u64, client_id: Uuid) -> Option<Target> {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => {
                self.invalid(e, Some(client_id));
                return None;
            }
        };
        if let Err(wait) = self.ctx.limiter.check(Limit::Send, Key::User(self.user.id)) {
            self.limited("messages", wait, Some(client_id));
            return None;
        }
        let store = self.ctx.store.clone();
        let decided = access::check(&store, Some(&self.user), &room).await;
        let found = store.messages_before(&room, seq.saturating_add(1), 1).await;
        let (facts, access, found) = match (decided, found) {
            (Ok((Some(facts), access)), Ok(found)) if access.may_post() => {
                (facts, access, found.into_iter().find(|m| m.seq == seq))
            }
            (Ok((_, access)), Ok(_)) => {
                self.refused(&room, access, Some(client_id));
                return None;
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "could not read the message to change");
                self.error(
                    ErrorCode::Internal,
                    "The message could not be changed; try again.",
                    Some(client_id),
                );
                return None;
            }
        };
        // A deletion or an edit is not a message; a deleted message stays deleted (a retry
        // of its own deletion, same client_id, is acked by the room as a re-send is).
        let Some(msg) = found.filter(|m| m.changes().is_none()) else {
            self.error(
                ErrorCode::NotFound,
                format!("There is no message {seq} in #{room}."),
                Some(client_id),
            );
            return None;
        };
        let handle = match self.rooms.get(&room) {
            Some(joined) if !joined.sub.is_gone() => joined.sub.handle().clone(),
            _ => self.ctx.hub.open_known(&facts),
        };
        Some(Target {
            msg,
            access,
            handle,
        })
    }

    /// Hands `content`, a change of `target`, to its room, which stores, acks and
    /// broadcasts it.
    pub(super) async fn change(&mut self, target: Target, client_id: Uuid, content: Content) {
        let Some(slot) = self.send_slot().await else {
            return;
        };
        target
            .handle
            .send(SendCmd {
                author: self.user.clone(),
                client_id,
                content,
                reply: Reply::Socket(self.outbox.clone()),
                _slot: Some(slot),
            })
            .await;
    }
}
