//! `delete`: a person deletes one of their messages; a room's owners (and the admin, in a
//! public room) delete anyone's. The deletion is a new entry in the room's sequence, stored
//! and broadcast like a message (so `since` catch-up replays it), and the message becomes
//! a tombstone. Sends and deletions share the sender's rate limit.

use uuid::Uuid;

use super::Reader;
use crate::{
    protocol::ErrorCode,
    server::{
        access,
        hub::{Content, Reply, SendCmd},
        limits::{Key, Kind},
    },
    validation::RoomName,
};

impl Reader {
    pub(super) async fn delete(&mut self, room: &str, seq: u64, client_id: Uuid) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, Some(client_id)),
        };
        if let Err(wait) = self.ctx.limiter.check(Kind::Send, Key::User(self.user.id)) {
            return self.limited("messages", wait, Some(client_id));
        }
        let store = self.ctx.store.clone();
        let decided = access::check(&store, Some(&self.user), &room).await;
        let target = store.messages_before(&room, seq.saturating_add(1), 1).await;
        let (facts, access, target) = match (decided, target) {
            (Ok((Some(facts), access)), Ok(target)) if access.may_post() => {
                (facts, access, target.into_iter().find(|m| m.seq == seq))
            }
            (Ok((_, access)), Ok(_)) => return self.refused(&room, access, Some(client_id)),
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "could not read the message to delete");
                return self.error(
                    ErrorCode::Internal,
                    "The message could not be deleted; try again.",
                    Some(client_id),
                );
            }
        };
        // A message deleted already still goes to the room: a retry of the same deletion
        // (same client_id) is acked with its seq, as a re-sent message is.
        let target = match target {
            Some(t) if t.deletes.is_none() => t,
            _ => {
                return self.error(
                    ErrorCode::NotFound,
                    format!("There is no message {seq} in #{room}."),
                    Some(client_id),
                )
            }
        };
        if target.author_id != self.user.id && !access.may_moderate() {
            tracing::info!(user = %self.user.id, "delete refused: not the author or an owner");
            return self.error(
                ErrorCode::NotAllowed,
                "You can delete only your own messages (owners can delete any).",
                Some(client_id),
            );
        }
        let handle = match self.rooms.get(&room) {
            Some(joined) if !joined.sub.is_gone() => joined.sub.handle().clone(),
            _ => self.ctx.hub.open_known(&facts),
        };
        let Ok(slot) = self.in_flight.clone().acquire_owned().await else {
            return;
        };
        tracing::info!(user = %self.user.id, by_author = target.author_id == self.user.id, "message deleted");
        handle
            .send(SendCmd {
                author: self.user.clone(),
                client_id,
                content: Content::Delete(seq),
                reply: Reply::Socket(self.outbox.clone()),
                _slot: Some(slot),
            })
            .await;
    }
}
