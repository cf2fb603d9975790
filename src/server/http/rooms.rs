//! Rooms over the JSON API: making one (public or private), its members (list, add, remove
//! or leave) and its bans. The rules are in `domain::rooms` and `domain::access`.

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
        domain::{
            access::{manage_allowed, readable},
            rooms::{self, only_moderators},
        },
        infra::session,
        model::User,
        AppState, Error, Result,
    },
};

/// Members listed at most.
const MAX_MEMBERS_LISTED: u32 = 1000;

fn body<T>(body: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    body.map(|Json(t)| t)
        .map_err(|e| Error::BadRequest(e.body_text()))
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
        rooms::create_room_with(&state, &me, &req.name, req.private, &req.topic).await?;
    let created = RoomCreated {
        name: name.to_string(),
        private: req.private,
        topic,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
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
    rooms::add(&state, &me, &room, &req.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/rooms/<room>/members/<user_id>`: a moderator removes someone (they may
/// join a public room again), or a member leaves (their own id).
pub async fn remove_member(
    State(state): State<AppState>,
    Path((room, user)): Path<(String, Uuid)>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    let me = me(&state, &headers).await?;
    rooms::remove(&state, &me, &room, user, false).await?;
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
    rooms::remove(&state, &me, &room, req.user_id, true).await?;
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
    rooms::claim(&state, &me, &room).await?;
    Ok(StatusCode::NO_CONTENT)
}
