//! Invite links. The admin makes links to the server, a room's owners (and the admin) links
//! to their room: `POST /api/invites {"room","uses","hours"}` → 201 with `/invite/<token>`.
//! A link admits as many new accounts as it has uses, until it expires; a room's link also
//! makes each of them a member of the room. With `CLOUD_MSG_REGISTRATION=invite` a link is
//! the only way to sign up (and there are no guests).

use axum::{
    extract::{rejection::JsonRejection, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;

use crate::server::{domain::invites, infra::session, AppState, Error, Result};

#[derive(Debug, Deserialize)]
pub struct InviteRequest {
    /// The room the link admits to; the whole server without one (admin only).
    room: Option<String>,
    #[serde(default = "one")]
    uses: u32,
    #[serde(default = "week")]
    hours: u32,
}

fn one() -> u32 {
    1
}

fn week() -> u32 {
    168
}

/// `POST /api/invites`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: std::result::Result<Json<InviteRequest>, JsonRejection>,
) -> Result<Response> {
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let (me, _) = session::require(&state.store, &headers).await?;
    let made = invites::make(&state, &me, req.room.as_deref(), req.uses, req.hours).await?;
    Ok((StatusCode::CREATED, Json(made)).into_response())
}
