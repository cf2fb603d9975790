//! `send`: validate the text, expand shortcodes, take a token from the user's and the
//! address's buckets, and hand the message to its room (which stores, acks and broadcasts).

use uuid::Uuid;

use super::Reader;
use crate::{
    server::{
        hub::{Content, Reply, SendCmd},
        limits::{Key, Kind},
        shortcodes,
    },
    validation::RoomName,
};

impl Reader {
    pub(super) async fn send(&mut self, room: &str, client_id: Uuid, text: &str) {
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
            .check(Kind::Send, Key::User(self.user.id))
            .and_then(|()| limiter.check(Kind::SendPerIp, Key::Ip(self.ctx.ip)))
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
        // At most MAX_IN_FLIGHT unacked sends per socket: a fast sender waits here (and TCP
        // pushes back) instead of overrunning its own queue with acks.
        let Ok(slot) = self.in_flight.clone().acquire_owned().await else {
            return;
        };
        let cmd = SendCmd {
            author: self.user.clone(),
            client_id,
            content: Content::Text(text),
            reply: Reply::Socket(self.outbox.clone()),
            _slot: Some(slot),
        };
        handle.send(cmd).await;
    }
}
