//! Sessions: signing in and out (`POST /api/session`, a guest or an account with its
//! password; `DELETE /api/session`; their plain-form twins `POST /join` and
//! `POST /signout`), and my sessions: `GET /api/sessions` lists them (device, when made,
//! when last used), `DELETE /api/sessions/<id>` ends one (its sockets close with 4001).
//!
//! Cross-site requests never reach the handlers that change state (see `headers`).

use std::net::SocketAddr;

use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form, Json,
};
use serde::Deserialize;

use crate::{
    protocol::{SessionEntry, SessionRequest, SessionResponse},
    server::{
        bus::Revocation,
        domain::{
            accounts::{self, sign_in_allowed, Registration},
            revoke,
        },
        infra::session::{self, hex},
        AppState, Error, Result,
    },
    timestamp::Timestamp,
    validation::{DisplayName, RoomName},
};

/// `POST /api/session`. With `{"name"}`: a guest, a new user and session (refused when an
/// account owns the name, or registration is closed). With `{"name", "password"}`: an
/// account's new session, or 401 with the same answer, in the same time, for an unknown
/// name and a wrong password. Answers with the token and sets the HttpOnly session cookie.
pub async fn create_session(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Result<Response> {
    let device = session::device(&headers);
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let name = DisplayName::parse(&req.name)?;
    sign_in_allowed(&state, peer.ip())?;
    let (user, token) = match req.password {
        Some(password) => accounts::password_sign_in(&state, &name, password, device).await?,
        None => {
            guest_allowed(&state, &name).await?;
            session::sign_in(&state.store, &name, device).await?
        }
    };
    Ok(session_response(&state, user, token, StatusCode::OK))
}

/// The answer that hands over a new session: the token in the body, the cookie set.
pub fn session_response(
    state: &AppState,
    user: crate::server::model::User,
    token: String,
    status: StatusCode,
) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        session::session_cookie(&token, state.config.behind_tls()),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let body = SessionResponse {
        user_id: user.id,
        name: user.name.to_string(),
        token,
    };
    (status, headers, Json(body)).into_response()
}

/// A guest may take `name` unless the server admits accounts only (registration closed or
/// by invitation) or an account owns the name.
async fn guest_allowed(state: &AppState, name: &DisplayName) -> Result<()> {
    if state.config.registration != Registration::Open {
        return Err(Error::Forbidden(
            "This server admits members only: sign in with your name and password.".into(),
        ));
    }
    if state
        .store
        .account(&accounts::name_key(name))
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "The name {name} belongs to an account: sign in with its password, or pick another name."
        )));
    }
    Ok(())
}

/// `DELETE /api/session`: signs out. The session stops working at once, its sockets close
/// with 4001, and the cookie is cleared.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    end_session(&state, &headers).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session::cleared_cookie(state.config.behind_tls()),
    );
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// Ends the session the request presents: deleted, its sockets closed with 4001.
async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<()> {
    let (_, hash) = session::require(&state.store, headers).await?;
    state.store.delete_session(&hash).await?;
    let closed = revoke::announce(
        state,
        Revocation::Session {
            hash: session::hex(&hash),
        },
    );
    tracing::info!(sockets = closed, "signed out");
    Ok(())
}

#[derive(Deserialize)]
pub struct SignOutForm {
    room: String,
}

/// `POST /signout`: the **Sign out** button. Ends the session (if there is one), clears the
/// cookie and goes back to the room, now as a visitor.
pub async fn sign_out_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignOutForm>,
) -> Result<Response> {
    let room = RoomName::parse(&form.room)?;
    match end_session(&state, &headers).await {
        Ok(()) | Err(Error::Unauthorized) => {}
        Err(e) => return Err(e),
    }
    let mut res = Redirect::to(&format!("/r/{room}")).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session::cleared_cookie(state.config.behind_tls()),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct JoinForm {
    name: String,
    room: String,
}

/// `POST /join`: the join form without JavaScript. Signs in and goes back to the room.
pub async fn join_form(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<JoinForm>,
) -> Result<Response> {
    let room = RoomName::parse(&form.room)?;
    let name = DisplayName::parse(&form.name)?;
    sign_in_allowed(&state, peer.ip())?;
    guest_allowed(&state, &name).await?;
    let (_, token) = session::sign_in(&state.store, &name, session::device(&headers)).await?;
    let mut res = Redirect::to(&format!("/r/{room}")).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        session::session_cookie(&token, state.config.behind_tls()),
    );
    Ok(res)
}

/// `GET /api/sessions` → 200 `[SessionEntry]`, most recently used first.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let (user, current) = session::require(&state.store, &headers).await?;
    let entries: Vec<SessionEntry> = state
        .store
        .sessions_of(&user)
        .await?
        .into_iter()
        .map(|s| SessionEntry {
            id: hex(&s.token_hash),
            device: s.device,
            created_at: Timestamp::from_millis(s.created_at),
            last_seen: Timestamp::from_millis(s.last_seen),
            current: s.token_hash == current,
        })
        .collect();
    Ok(Json(entries).into_response())
}

/// `DELETE /api/sessions/<id>` → 204: that session of mine ends at once, its sockets close
/// with 4001. Another person's session, or none, is a 404 (the same answer either way).
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let (user, _) = session::require(&state.store, &headers).await?;
    let mine = state.store.sessions_of(&user).await?;
    let Some(target) = mine.into_iter().find(|s| hex(&s.token_hash) == id) else {
        return Ok((
            StatusCode::NOT_FOUND,
            Json(crate::protocol::ApiError {
                error: "You have no session with this id.".into(),
            }),
        )
            .into_response());
    };
    state.store.delete_session(&target.token_hash).await?;
    revoke::announce(
        &state,
        Revocation::Session {
            hash: hex(&target.token_hash),
        },
    );
    Ok(StatusCode::NO_CONTENT.into_response())
}
