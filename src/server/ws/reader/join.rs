//! `join`: open the room (creating it within the user's limit), become a member, and
//! subscribe, replaying what the client missed when it gives `since`.

use uuid::Uuid;

use super::{super::catch_up, Joined, Reader, MAX_ROOMS_PER_SOCKET};
use crate::{
    protocol::ErrorCode,
    server::{
        hub::RoomHandle,
        limits::{Key, Kind},
    },
    validation::RoomName,
};

impl Reader {
    /// The room for a `join` or `send`: opened if it exists, otherwise created within the
    /// user's room-creation limit.
    pub(super) async fn room_to_use(
        &mut self,
        room: &RoomName,
        client_id: Option<Uuid>,
    ) -> Option<RoomHandle> {
        let opened = match self.ctx.hub.open(room).await {
            Ok(Some(handle)) => return Some(handle),
            Ok(None) => Ok(()),
            Err(e) => Err(e),
        };
        let created = match opened {
            Ok(()) => {
                if let Err(wait) = self
                    .ctx
                    .limiter
                    .check(Kind::CreateRoom, Key::User(self.user.id))
                {
                    self.limited("new rooms", wait, client_id);
                    return None;
                }
                self.ctx.hub.create(room).await
            }
            Err(e) => Err(e),
        };
        match created {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::error!(%error, "could not open room");
                self.error(
                    ErrorCode::Internal,
                    "The room could not be opened; try again.",
                    client_id,
                );
                None
            }
        }
    }

    pub(super) async fn join(&mut self, room: &str, since: Option<u64>) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, None),
        };
        if !self.rooms.contains_key(&room) && self.rooms.len() >= MAX_ROOMS_PER_SOCKET {
            return self.error(
                ErrorCode::BadFrame,
                format!("A socket can be in at most {MAX_ROOMS_PER_SOCKET} rooms."),
                None,
            );
        }
        if let Err(wait) = self.ctx.limiter.check(Kind::Join, Key::User(self.user.id)) {
            return self.limited("joins", wait, None);
        }
        let Some(handle) = self.room_to_use(&room, None).await else {
            return;
        };
        // Joining makes the user a member: the room shows in their list from now on.
        if !self.markers.contains_key(&room) {
            let store = &self.ctx.store;
            // Members (the common case, e.g. on a reconnect) cost a read, not a write.
            let markers = match store.markers_of(&handle.room, &self.user).await {
                Ok(Some(markers)) => Ok(markers),
                Ok(None) => store
                    .raise_markers(&handle.room, &self.user, 0, 0)
                    .await
                    .map(|c| (c.receipt.delivered, c.receipt.read)),
                Err(e) => Err(e),
            };
            match markers {
                Ok(markers) => {
                    self.markers.insert(room.clone(), markers);
                }
                Err(error) => tracing::error!(%error, "could not record membership"),
            }
        }
        if let Some(old) = self.rooms.remove(&room) {
            old.leave();
        }
        let (sub, plan) = handle.subscribe(self.outbox.clone(), since);
        let catch_up = since.map(|since| {
            tokio::spawn(catch_up::run(
                self.ctx.store.clone(),
                sub.handle().clone(),
                sub.id(),
                plan,
                since,
                self.outbox.clone(),
            ))
        });
        self.rooms.insert(room, Joined { sub, catch_up });
    }
}
