//! `join`: decide whether this person may be in the room (`access::decide`), open it
//! (creating it within the user's limit), become a member, and subscribe, replaying what
//! the client missed when it gives `since`.

use uuid::Uuid;

use super::{super::catch_up, Joined, Reader, MAX_ROOMS_PER_SOCKET};
use crate::{
    protocol::ErrorCode,
    server::{
        domain::access::{self, Access},
        hub::RoomHandle,
        infra::limits::{Key, Limit},
        model::{Role, RoomFacts},
    },
    validation::RoomName,
};

/// A room this socket may use, and what the store knew of it.
pub(super) struct Usable {
    pub handle: RoomHandle,
    /// The person's markers if they were a member when asked.
    pub markers: Option<(u64, u64)>,
    /// The room's last seq when asked.
    pub last_seq: u64,
}

impl Reader {
    /// The room for a `join` or `send`, if this person may post in it: opened if it
    /// exists, otherwise created (public, owned by them) within their room-creation
    /// limit. Anything else is answered on the socket: `not_found` for a room they may
    /// not see (the same as for a room that does not exist), `banned` for a ban.
    pub(super) async fn room_to_use(
        &mut self,
        room: &RoomName,
        client_id: Option<Uuid>,
    ) -> Option<Usable> {
        let facts = match self.facts(room, client_id).await {
            Ok(facts) => facts,
            Err(()) => return None,
        };
        let facts = match facts {
            Some(facts) => facts,
            None if room.is_direct() => {
                self.error(
                    ErrorCode::BadRoom,
                    "Room names starting with dm- are kept for direct messages; pick another.",
                    client_id,
                );
                return None;
            }
            None => {
                if let Err(wait) = self
                    .ctx
                    .limiter
                    .check(Limit::CreateRoom, Key::User(self.user.id))
                {
                    self.limited("new rooms", wait, client_id);
                    return None;
                }
                match self.ctx.hub.create(room, false, &self.user).await {
                    Ok((handle, true)) => {
                        return Some(Usable {
                            handle,
                            markers: Some((0, 0)),
                            last_seq: 0,
                        })
                    }
                    // Someone made it a moment ago: decide on what they made.
                    Ok((_, false)) => match self.facts(room, client_id).await {
                        Ok(Some(facts)) => facts,
                        Ok(None) | Err(()) => return None,
                    },
                    Err(error) => {
                        tracing::error!(%error, "could not create room");
                        self.error(
                            ErrorCode::Internal,
                            "The room could not be opened; try again.",
                            client_id,
                        );
                        return None;
                    }
                }
            }
        };
        let access = access::decide(Some(&facts), true);
        if !access.may_post() {
            self.refused(room, access, client_id);
            return None;
        }
        Some(Usable {
            handle: self.ctx.hub.open_known(&facts),
            markers: facts.member.map(|(_, delivered, read)| (delivered, read)),
            last_seq: facts.last_seq,
        })
    }

    /// What the store holds about `room` and this person; `Err` once answered.
    async fn facts(
        &mut self,
        room: &RoomName,
        client_id: Option<Uuid>,
    ) -> Result<Option<RoomFacts>, ()> {
        match self.ctx.store.room_facts(room, Some(self.user.id)).await {
            Ok(facts) => Ok(facts),
            Err(error) => {
                tracing::error!(%error, "could not read room");
                self.error(
                    ErrorCode::Internal,
                    "The room could not be opened; try again.",
                    client_id,
                );
                Err(())
            }
        }
    }

    /// Answers a frame for a room this person may not use. A private room they are not in
    /// gets the words a missing room would get.
    pub(super) fn refused(&mut self, room: &RoomName, access: Access, client_id: Option<Uuid>) {
        tracing::info!(user = %self.user.id, ?access, "room refused");
        match access {
            Access::Banned => self.error(
                ErrorCode::Banned,
                format!("You are banned from #{room}."),
                client_id,
            ),
            _ => self.error(
                ErrorCode::NotFound,
                format!("There is no room called #{room}."),
                client_id,
            ),
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
        if let Err(wait) = self.ctx.limiter.check(Limit::Join, Key::User(self.user.id)) {
            return self.limited("joins", wait, None);
        }
        let Some(usable) = self.room_to_use(&room, None).await else {
            if let Some(old) = self.rooms.remove(&room) {
                old.leave();
            }
            return;
        };
        if let Some(since) = since {
            // What this join will replay, counted against the person's and the address's
            // replay budgets before any of it is read.
            let missed = usable
                .last_seq
                .saturating_sub(since)
                .min(catch_up::MAX_REPLAY) as u32;
            let budgets = [
                (Limit::Replay, Key::User(self.user.id)),
                (Limit::ReplayPerIp, Key::Ip(self.ctx.ip)),
            ];
            for (kind, key) in budgets {
                if let Err(wait) = self.ctx.limiter.check_n(kind, key, missed) {
                    return self.limited("replayed messages", wait, None);
                }
            }
        }
        let handle = usable.handle;
        // Joining makes the user a member: the room shows in their list from now on.
        // Members (the common case, e.g. on a reconnect) cost no write.
        let markers = match usable.markers {
            Some(markers) => markers,
            None => {
                let admitted = self
                    .ctx
                    .store
                    .admit(&handle.room, &self.user, Role::Member)
                    .await;
                if let Err(error) = admitted {
                    tracing::error!(%error, "could not record membership");
                }
                (0, 0)
            }
        };
        if let Some(old) = self.rooms.remove(&room) {
            old.leave();
        }
        let (sub, plan) = handle.subscribe(
            self.user.id,
            self.user.name.to_string(),
            self.outbox.clone(),
            since,
        );
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
        self.rooms.insert(
            room,
            Joined {
                sub,
                markers,
                typed: None,
                catch_up,
            },
        );
    }
}
