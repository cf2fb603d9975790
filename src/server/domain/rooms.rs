//! Rooms and their members, whichever way a request arrives (the JSON API in
//! `http::rooms`, the forms of `http::forms`): making a room, adding, removing and banning
//! members, claiming a room a guest opened. Each asks `access` first, so a private room
//! is as invisible here as on the socket and the page.

use uuid::Uuid;

use crate::{
    server::{
        domain::{
            access::{self, manage_allowed, readable},
            accounts, topic,
        },
        infra::limits::{Key, Limit},
        model::{Role, User},
        AppState, Error, Result,
    },
    validation::{DisplayName, RoomName},
};

/// Makes the room `name` (`private` or not) with `me` its owner; 409 if it exists.
pub async fn create_room(
    state: &AppState,
    me: &User,
    name: &str,
    private: bool,
) -> Result<RoomName> {
    let name = RoomName::parse(name)?;
    if name.is_direct() {
        return Err(direct_kept());
    }
    state
        .limiter
        .check(Limit::CreateRoom, Key::User(me.id))
        .map_err(|wait| Error::too_many("Too many new rooms.", wait))?;
    let (_, made) = state.hub.create(&name, private, me).await?;
    if !made {
        return Err(Error::Conflict(format!(
            "A room called #{name} exists already."
        )));
    }
    tracing::info!(user = %me.id, private, "room created");
    Ok(name)
}

/// Makes the room `name` (see [`create_room`]) with the topic `raw`, and answers the
/// topic as kept. A topic that cannot be taken makes no room.
pub async fn create_room_with(
    state: &AppState,
    me: &User,
    name: &str,
    private: bool,
    raw: &str,
) -> Result<(RoomName, String)> {
    let topic = topic::parse(raw)?;
    let room = create_room(state, me, name, private).await?;
    if !topic.is_empty() {
        // The room is made; should its topic fail now, it is set on its members page.
        if let Err(e) = topic::set(state, me, room.as_str(), &topic).await {
            tracing::warn!(error = %e, "the new room's topic was not set");
            return Ok((room, String::new()));
        }
    }
    Ok((room, topic))
}

/// `me` adds the account called `name` to `room`.
pub async fn add(state: &AppState, me: &User, room: &str, name: &str) -> Result<()> {
    manage_allowed(state, me)?;
    let (facts, access) = readable(state, me, room).await?;
    access::admits_newcomers(&facts.room.name)?;
    if !access.may_invite() {
        return Err(Error::Forbidden(format!(
            "Join #{} before adding people to it.",
            facts.room.name
        )));
    }
    let name = DisplayName::parse(name)?;
    let Some((user, _)) = state.store.account(&accounts::name_key(&name)).await? else {
        return Err(Error::NotFound(format!(
            "There is no account called {name}."
        )));
    };
    let target = state
        .store
        .room_facts(&facts.room.name, Some(user.id))
        .await?;
    if target.is_some_and(|t| t.banned) && !access.may_moderate() {
        return Err(Error::Conflict(format!(
            "{} is banned from #{}; only its owners can let them back.",
            user.name, facts.room.name
        )));
    }
    if access.may_moderate() {
        state.store.unban(&facts.room, user.id).await?;
    }
    state.store.admit(&facts.room, &user, Role::Member).await?;
    tracing::info!(by = %me.id, user = %user.id, "member added");
    Ok(())
}

/// `me` removes `user` from `room` (and bans them with `banned`), or leaves it (their own
/// id, not banned).
pub async fn remove(
    state: &AppState,
    me: &User,
    room: &str,
    user: Uuid,
    banned: bool,
) -> Result<()> {
    manage_allowed(state, me)?;
    let (facts, access) = readable(state, me, room).await?;
    let leaving = user == me.id && !banned;
    if !leaving {
        if !access.may_moderate() {
            return Err(only_moderators());
        }
        // Owners and the admin are not removed by someone else (short of the admin
        // removing an owner).
        // In a direct conversation either person may block the other.
        let direct = facts.room.private && facts.room.name.is_direct();
        let target = state.store.room_facts(&facts.room.name, Some(user)).await?;
        if let Some(t) = target {
            let owner = t.member.is_some_and(|m| m.0 == Role::Owner);
            if (t.admin && !direct) || user == me.id || (owner && !facts.admin && !direct) {
                return Err(Error::Forbidden(
                    "Owners and the admin cannot be removed or banned.".into(),
                ));
            }
        }
    }
    let was_member = state
        .store
        .remove_member(&facts.room, user, banned.then_some(me.id))
        .await?;
    if !was_member && !banned {
        return Err(Error::NotFound("That person is not a member here.".into()));
    }
    state.hub.removed(&facts.room.name, user, banned);
    tracing::info!(by = %me.id, %user, banned, leaving, "member removed");
    Ok(())
}

/// `me` claims `room` (`POST /api/rooms/<room>/claim`, `http::rooms::claim_room`).
pub async fn claim(state: &AppState, me: &User, room: &str) -> Result<()> {
    manage_allowed(state, me)?;
    let (facts, _) = readable(state, me, room).await?;
    let name = &facts.room.name;
    if facts.room.private || name.as_str() == crate::validation::HOME_ROOM {
        return Err(Error::Forbidden(format!(
            "#{name} cannot be claimed: only a public room a guest opened can."
        )));
    }
    let first = state.store.members(&facts.room, 1).await?;
    if first.first().is_some_and(|m| m.role == Role::Owner) {
        return Err(Error::Conflict(format!("#{name} has an owner already.")));
    }
    if facts.member.is_none() {
        return Err(Error::Forbidden(format!(
            "Join #{name} before claiming it."
        )));
    }
    let account = state.store.account(&accounts::name_key(&me.name)).await?;
    if !account.is_some_and(|(a, _)| a.id == me.id) {
        return Err(Error::Forbidden(
            "Owner powers belong to accounts: sign up to claim a room.".into(),
        ));
    }
    state.store.admit(&facts.room, me, Role::Owner).await?;
    tracing::info!(user = %me.id, room = %name, "room claimed");
    Ok(())
}

/// The answer for making a room whose name is kept for direct conversations.
pub fn direct_kept() -> Error {
    Error::BadRequest(
        "Room names starting with dm- are kept for direct messages; pick another.".into(),
    )
}

pub fn only_moderators() -> Error {
    Error::Forbidden("Only the room's owners and the admin can do that.".into())
}
