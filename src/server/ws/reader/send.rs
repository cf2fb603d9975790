//! `send`: validate the text, expand shortcodes, take a token from the user's and the
//! address's buckets, quote the message it answers (if any), and hand the message to its
//! room (which stores, acks and broadcasts).

use uuid::Uuid;

use super::Reader;
use crate::{
    protocol::ErrorCode,
    server::{
        domain::shortcodes,
        hub::{Content, Reply, SendCmd},
        infra::limits::{Key, Limit},
    },
    validation::RoomName,
};

impl Reader {
    pub(super) async fn send(
        &mut self,
        room: &str,
        client_id: Uuid,
        text: &str,
        reply_to: Option<u64>,
    ) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, Some(client_id)),
        };
        let text = match shortcodes::message_text(text) {
            Ok(text) => text,
            Err(e) => return self.invalid(e, Some(client_id)),
        };
        let limiter = &self.ctx.limiter;
        if let Err(wait) = limiter
            .check(Limit::Send, Key::User(self.user.id))
            .and_then(|()| limiter.check(Limit::SendPerIp, Key::Ip(self.ctx.ip)))
        {
            return self.limited("messages", wait, Some(client_id));
        }
        // A room this socket is in was decided on at its join (and a removal ends that at
        // once); any other room is decided on now.
        let handle = match self.rooms.get(&room) {
            Some(joined) if !joined.sub.is_gone() => joined.sub.handle().clone(),
            _ => match self.room_to_use(&room, Some(client_id)).await {
                Some(usable) => usable.handle,
                None => return,
            },
        };
        // A reply quotes a message of this room as it is now (decided on above: nothing of a
        // room one may not post in is read).
        let quote = match reply_to {
            None => None,
            Some(seq) => match self.ctx.store.quote(&room, seq).await {
                Ok(Some(quote)) => Some(quote),
                Ok(None) => {
                    return self.error(
                        ErrorCode::NotFound,
                        format!("There is no message {seq} in #{room} to reply to."),
                        Some(client_id),
                    )
                }
                Err(error) => {
                    tracing::error!(%error, "could not read the message replied to");
                    return self.error(
                        ErrorCode::Internal,
                        "Your message was not sent; try again.",
                        Some(client_id),
                    );
                }
            },
        };
        let Some(slot) = self.send_slot().await else {
            return;
        };
        let cmd = SendCmd {
            author: self.user.clone(),
            client_id,
            content: Content::Text(text, quote),
            reply: Reply::Socket(self.outbox.clone()),
            _slot: Some(slot),
        };
        handle.send(cmd).await;
    }
}
