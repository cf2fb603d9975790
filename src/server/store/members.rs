//! Who is in a room and what they may do there, as the store keeps it: the facts
//! `access::decide` rules on, memberships, bans, and the admin's flags on people.

use uuid::Uuid;

use super::{expect_output, Store, Work};
use crate::{
    server::{
        model::{parse_uuid, MemberRow, Role, RoomFacts, RoomRef, User},
        Result,
    },
    validation::RoomName,
};

/// What [`Store::user_flags`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFlags {
    pub admin: bool,
    pub disabled: bool,
}

impl Store {
    /// The room called `name` (if it exists) and `user`'s standing in it, in one read:
    /// what `access::decide` rules on. Without a user, the room's facts alone.
    pub async fn room_facts(
        &self,
        name: &RoomName,
        user: Option<Uuid>,
    ) -> Result<Option<RoomFacts>> {
        let id = user.map(|u| u.to_string()).unwrap_or_default();
        let row = on_backend!(self, b => b.room_facts(name, &id).await)?;
        Ok(row.map(|row| row.into_facts(name)))
    }

    /// Makes `user` a member of `room` with `role` (nothing if they are one already).
    pub async fn admit(&self, room: &RoomRef, user: &User, role: Role) -> Result<()> {
        expect_output!(
            self.writer().call(Work::Admit {
                room: room.clone(),
                user: user.clone(),
                role,
            }),
            Done
        )
    }

    /// Ends `user`'s membership of `room`, banning them too with `ban_by`. True if they
    /// were a member.
    pub async fn remove_member(
        &self,
        room: &RoomRef,
        user: Uuid,
        ban_by: Option<Uuid>,
    ) -> Result<bool> {
        expect_output!(
            self.writer().call(Work::Remove {
                room: room.clone(),
                user,
                ban_by,
            }),
            Flag
        )
    }

    /// Lifts `user`'s ban in `room`; true if there was one.
    pub async fn unban(&self, room: &RoomRef, user: Uuid) -> Result<bool> {
        expect_output!(
            self.writer().call(Work::Unban {
                room: room.clone(),
                user,
            }),
            Flag
        )
    }

    /// Sets `room`'s topic (checked by the caller); false if the room is gone.
    pub async fn set_topic(&self, room: &RoomRef, topic: &str) -> Result<bool> {
        expect_output!(
            self.writer().call(Work::SetTopic {
                room: room.clone(),
                topic: topic.to_owned(),
            }),
            Flag
        )
    }

    /// How many of the last 200 messages of each of `user`'s rooms but `except` (the one
    /// they look at, whose count is not shown) that they have not read mention them
    /// (`crate::mention`), by room; rooms without any are left out.
    pub async fn unread_mentions(
        &self,
        user: &User,
        except: &RoomName,
    ) -> Result<std::collections::HashMap<String, u64>> {
        let rows = on_backend!(self, b => b.unread_with_at(user, except.as_str()).await)?;
        let mut counts = std::collections::HashMap::new();
        for (room, text) in rows {
            if crate::mention::mentions(&text, user.name.as_str()) {
                *counts.entry(room).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// `room`'s topic ('' for none).
    pub async fn topic(&self, room: &RoomRef) -> Result<String> {
        let topic = on_backend!(self, b => b.topic(room.id).await)?;
        Ok(topic.unwrap_or_default())
    }

    /// `room`'s members, owners first, at most `limit`.
    pub async fn members(&self, room: &RoomRef, limit: u32) -> Result<Vec<MemberRow>> {
        let rows = on_backend!(self, b => b.members(room, limit).await)?;
        Ok(rows
            .into_iter()
            .map(|r| MemberRow {
                user_id: parse_uuid(&r.user_id),
                name: r.user_name,
                role: Role::parse(&r.role),
                account: r.account,
            })
            .collect())
    }

    /// Disables `user` (every session of theirs ends; the caller tells the sockets, see
    /// `revoke`) or enables them again. False if there is no such person.
    pub async fn set_disabled(&self, user: Uuid, disabled: bool) -> Result<bool> {
        if disabled {
            self.forget_sessions_of(user, None);
        }
        let found = expect_output!(
            self.writer().call(Work::SetDisabled { user, disabled }),
            Flag
        )?;
        if disabled {
            // A lookup that raced the delete may have put one back.
            self.forget_sessions_of(user, None);
        }
        Ok(found)
    }

    /// `user`'s flags: whether they are the admin, and whether they are disabled. `None`
    /// for no such person.
    pub async fn user_flags(&self, user: Uuid) -> Result<Option<UserFlags>> {
        let row = on_backend!(self, b => b.user_flags(&user.to_string()).await)?;
        Ok(row.map(|(admin, disabled)| UserFlags { admin, disabled }))
    }
}
