//! Rooms over HTTP: making one (public or private), its members (list, add, remove or
//! leave) and its bans. Every handler asks `access::check` first, so a private room is
//! as invisible here as on the socket and the page.

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use uuid::Uuid;

use crate::{
    protocol::{BanRequest, MemberEntry, MemberRequest, RoomCreated, RoomRequest},
    server::{
        access::{self, Access},
        accounts,
        limits::{Key, Kind},
        model::{Role, RoomFacts, User},
        session, AppState, Error, Result,
    },
    validation::{DisplayName, RoomName},
};

/// Members listed at most.
const MAX_MEMBERS_LISTED: u32 = 1000;

fn body<T>(body: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    body.map(|Json(t)| t)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

/// The room and what `me` may do in it; a room they may not read is refused here (404,
/// or 403 for a ban).
pub async fn readable(state: &AppState, me: &User, room: &str) -> Result<(RoomFacts, Access)> {
    let room = RoomName::parse(room)?;
    let (facts, access) = access::check(&state.store, Some(me), &room).await?;
    match facts {
        Some(facts) if access.may_read() => Ok((facts, access)),
        _ => Err(access::refusal(&room, access)),
    }
}

async fn me(state: &AppState, headers: &HeaderMap) -> Result<User> {
    Ok(session::require(&state.store, headers).await?.0)
}

/// `POST /api/rooms {"name","private","topic"}` → 201, or 409 when the name is taken.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: std::result::Result<Json<RoomRequest>, JsonRejection>,
) -> Result<Response> {
    let req = body(req)?;
    let me = me(&state, &headers).await?;
    let (name, topic) =
        crate::server::topic::create_room_with(&state, &me, &req.name, req.private, &req.topic)
            .await?;
    let created = RoomCreated {
        name: name.to_string(),
        private: req.private,
        topic,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

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
        .check(Kind::CreateRoom, Key::User(me.id))
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

/// `GET /api/rooms/<room>/members`: owners first.
pub async fn members(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Vec<MemberEntry>>> {
    let me = me(&state, &headers).await?;
    let (facts, _) = readable(&state, &me, &room).await?;
    let members = state.store.members(&facts.room, MAX_MEMBERS_LISTED).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| MemberEntry {
                user_id: m.user_id,
                name: m.name,
                role: m.role.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// `POST /api/rooms/<room>/members {"name"}` by a member: adds the account called `name`
/// (204). Guests cannot be added: their names are not unique.
pub async fn add_member(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
    req: std::result::Result<Json<MemberRequest>, JsonRejection>,
) -> Result<StatusCode> {
    let req = body(req)?;
    let me = me(&state, &headers).await?;
    add(&state, &me, &room, &req.name).await?;
    Ok(StatusCode::NO_CONTENT)
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

/// `DELETE /api/rooms/<room>/members/<user_id>`: a moderator removes someone (they may
/// join a public room again), or a member leaves (their own id).
pub async fn remove_member(
    State(state): State<AppState>,
    Path((room, user)): Path<(String, Uuid)>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let me = me(&state, &headers).await?;
    remove(&state, &me, &room, user, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/rooms/<room>/bans {"user_id"}`: a moderator bans someone: removed, and
/// refused on every path until the ban is lifted.
pub async fn ban(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
    req: std::result::Result<Json<BanRequest>, JsonRejection>,
) -> Result<StatusCode> {
    let req = body(req)?;
    let me = me(&state, &headers).await?;
    remove(&state, &me, &room, req.user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/rooms/<room>/bans/<user_id>`: a moderator lifts a ban.
pub async fn unban(
    State(state): State<AppState>,
    Path((room, user)): Path<(String, Uuid)>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let me = me(&state, &headers).await?;
    manage_allowed(&state, &me)?;
    let (facts, access) = readable(&state, &me, &room).await?;
    if !access.may_moderate() {
        return Err(only_moderators());
    }
    if !state.store.unban(&facts.room, user).await? {
        return Err(Error::NotFound("That person is not banned here.".into()));
    }
    tracing::info!(by = %me.id, %user, "ban lifted");
    Ok(StatusCode::NO_CONTENT)
}

/// One more change by `me` to members, bans, invite links or accounts, or 429.
pub fn manage_allowed(state: &AppState, me: &User) -> Result<()> {
    state
        .limiter
        .check(Kind::Manage, Key::User(me.id))
        .map_err(|wait| {
            tracing::info!(user = %me.id, "changes rate limited");
            Error::too_many("Too many changes.", wait)
        })
}

/// The answer for making a room whose name is kept for direct conversations.
pub fn direct_kept() -> Error {
    Error::BadRequest(
        "Room names starting with dm- are kept for direct messages; pick another.".into(),
    )
}

fn only_moderators() -> Error {
    Error::Forbidden("Only the room's owners and the admin can do that.".into())
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

/// `POST /api/rooms/<room>/claim` → 204: an account member of a public room that has no
/// owner (a guest opened it; the admin moderates it meanwhile) becomes its owner. 409 when
/// it has one, 403 for a guest, someone not in it, a private room or `#general` (the
/// admin's).
pub async fn claim_room(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let me = me(&state, &headers).await?;
    claim(&state, &me, &room).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `me` claims `room` (see [`claim_room`]).
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
