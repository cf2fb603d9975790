//! Who may do what in a room: the one place that decides. Every path into a room asks
//! [`decide`] with the facts the store read in one query (`Store::room_facts`): the room
//! page and its server function, `join` with its catch-up, `send`, markers, the member
//! list, invites, kicks and bans.
//!
//! A private room is seen by its members only. To anyone else it looks exactly like a
//! room that does not exist: no history, no members, no read positions, and the same
//! `not_found` answer wherever a missing room gets one. A ban shuts a person out of a room
//! (public or private) on every path and across sessions of the same account.

use crate::{
    server::{
        infra::limits::{Key, Limit},
        model::{Role, RoomFacts, User},
        store::Store,
        AppState, Error, Result,
    },
    validation::RoomName,
};

/// What one person (or a visitor) may do in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// The room does not exist, or is private and they are not in it: nothing at all.
    Hidden,
    /// Banned from the room: nothing, and told why.
    Banned,
    /// A visitor (no session) in a public room: may read.
    Read,
    /// Signed in, not a member of a public room: may read, join and post.
    Open,
    /// A member: may read, post and invite.
    Member,
    /// The room's owner, or the server's admin in a public room: may also remove and ban.
    Moderator,
}

impl Access {
    /// History, members' markers, the page's contents.
    pub fn may_read(self) -> bool {
        self >= Self::Read
    }

    /// `join` (becoming a member) and `send`.
    pub fn may_post(self) -> bool {
        self >= Self::Open
    }

    /// Adding someone to the room.
    pub fn may_invite(self) -> bool {
        self >= Self::Member
    }

    /// Kicking, banning and lifting bans.
    pub fn may_moderate(self) -> bool {
        self == Self::Moderator
    }
}

/// The rule: what the holder of `facts` (read for a signed-in person, or for a visitor
/// when `signed_in` is false) may do. `None`: the room does not exist.
pub fn decide(facts: Option<&RoomFacts>, signed_in: bool) -> Access {
    let Some(f) = facts else {
        return Access::Hidden;
    };
    if !signed_in {
        return if f.room.private {
            Access::Hidden
        } else {
            Access::Read
        };
    }
    if f.banned && !f.admin {
        // A private room's ban stays as private as the room.
        return if f.room.private {
            Access::Hidden
        } else {
            Access::Banned
        };
    }
    match (f.member.map(|m| m.0), f.room.private) {
        (Some(Role::Owner), _) => Access::Moderator,
        // An admin moderates every public room; a private room is its members' alone.
        (_, false) if f.admin => Access::Moderator,
        (Some(Role::Member), _) => Access::Member,
        (None, false) => Access::Open,
        (None, true) => Access::Hidden,
    }
}

/// The one rule for bringing someone new into `room`, asked by every way in that is not
/// the person's own `join` of a public room: a member adding someone, making an invite
/// link, and using one (to sign up or as an account). A direct conversation is two people's
/// and never gains a third, whoever asks and however old the link.
pub fn admits_newcomers(room: &RoomName) -> Result<()> {
    if room.is_direct() {
        tracing::info!("refused: a third person into a direct conversation");
        return Err(Error::Forbidden(
            "A direct conversation is between two people; make a private room for more.".into(),
        ));
    }
    Ok(())
}

/// Reads the facts for `user` (or a visitor) in `room` and decides: every HTTP path's
/// way in. The facts come back too (`None`: no such room).
pub async fn check(
    store: &Store,
    user: Option<&User>,
    room: &RoomName,
) -> Result<(Option<RoomFacts>, Access)> {
    let facts = store.room_facts(room, user.map(|u| u.id)).await?;
    let access = decide(facts.as_ref(), user.is_some());
    Ok((facts, access))
}

/// The HTTP answer for a room `access` may not read: 404 for a room one may not see (as
/// for one that does not exist), 403 for a ban.
pub fn refusal(room: &RoomName, access: Access) -> Error {
    match access {
        Access::Banned => Error::Forbidden(format!("You are banned from #{room}.")),
        _ => Error::NotFound(format!("There is no room called #{room}.")),
    }
}

/// The room and what `me` may do in it; a room they may not read is refused here (404,
/// or 403 for a ban).
pub async fn readable(state: &AppState, me: &User, room: &str) -> Result<(RoomFacts, Access)> {
    let room = RoomName::parse(room)?;
    let (facts, access) = check(&state.store, Some(me), &room).await?;
    match facts {
        Some(facts) if access.may_read() => Ok((facts, access)),
        _ => Err(refusal(&room, access)),
    }
}

/// One more change by `me` to members, bans, invite links or accounts, or 429.
pub fn manage_allowed(state: &AppState, me: &User) -> Result<()> {
    state
        .limiter
        .check(Limit::Manage, Key::User(me.id))
        .map_err(|wait| {
            tracing::info!(user = %me.id, "changes rate limited");
            Error::too_many("Too many changes.", wait)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{server::model::RoomRef, validation::RoomName};

    fn facts(private: bool, role: Option<Role>, banned: bool, admin: bool) -> RoomFacts {
        RoomFacts {
            room: RoomRef {
                id: 1,
                name: RoomName::parse("r").unwrap(),
                private,
            },
            last_seq: 0,
            member: role.map(|r| (r, 0, 0)),
            banned,
            admin,
        }
    }

    #[test]
    fn a_room_that_does_not_exist_is_hidden_from_everyone() {
        assert_eq!(decide(None, true), Access::Hidden);
        assert_eq!(decide(None, false), Access::Hidden);
    }

    #[test]
    fn a_public_room_is_read_by_visitors_and_joined_by_the_signed_in() {
        let f = facts(false, None, false, false);
        assert_eq!(decide(Some(&f), false), Access::Read);
        assert_eq!(decide(Some(&f), true), Access::Open);
        assert!(!Access::Read.may_post());
        assert!(Access::Open.may_post() && !Access::Open.may_invite());
    }

    #[test]
    fn a_private_room_is_its_members_alone() {
        assert_eq!(
            decide(Some(&facts(true, None, false, false)), false),
            Access::Hidden
        );
        assert_eq!(
            decide(Some(&facts(true, None, false, false)), true),
            Access::Hidden
        );
        // Not even the admin sees into a private room they are not in.
        assert_eq!(
            decide(Some(&facts(true, None, false, true)), true),
            Access::Hidden
        );
        let member = decide(Some(&facts(true, Some(Role::Member), false, false)), true);
        assert_eq!(member, Access::Member);
        assert!(member.may_read() && member.may_post() && member.may_invite());
        assert!(!member.may_moderate());
        let owner = decide(Some(&facts(true, Some(Role::Owner), false, false)), true);
        assert!(owner.may_moderate());
    }

    #[test]
    fn a_ban_shuts_out_on_every_path_and_hides_a_private_room() {
        let public = decide(Some(&facts(false, None, true, false)), true);
        assert_eq!(public, Access::Banned);
        assert!(!public.may_read() && !public.may_post());
        assert_eq!(
            decide(Some(&facts(true, None, true, false)), true),
            Access::Hidden
        );
    }

    #[test]
    fn owners_and_the_admin_moderate_public_rooms() {
        assert_eq!(
            decide(Some(&facts(false, Some(Role::Owner), false, false)), true),
            Access::Moderator
        );
        assert_eq!(
            decide(Some(&facts(false, None, false, true)), true),
            Access::Moderator
        );
        assert_eq!(
            decide(Some(&facts(false, Some(Role::Member), false, false)), true),
            Access::Member
        );
    }
}
