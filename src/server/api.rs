//! Plain HTTP endpoints: sign-in, health, and the redirect from `/`.

use axum::{
    extract::{rejection::JsonRejection, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form, Json,
};
use serde::Deserialize;

use crate::{
    protocol::{SessionRequest, SessionResponse},
    server::{session, AppState, Error, Result},
    validation::{DisplayName, RoomName},
};

/// `POST /api/session` with `{"name": "…"}`: creates a user and a session; answers with the
/// token and sets the HttpOnly session cookie.
pub async fn create_session(
    State(state): State<AppState>,
    body: Result<Json<SessionRequest>, JsonRejection>,
) -> Result<Response> {
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let name = DisplayName::parse(&req.name)?;
    let (user, token) = session::sign_in(state.hub.store(), &name).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session::session_cookie(&token));
    headers.insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("static header"),
    );
    let body = SessionResponse {
        user_id: user.id,
        name: user.name.to_string(),
        token,
    };
    Ok((headers, Json(body)).into_response())
}

#[derive(Deserialize)]
pub struct JoinForm {
    name: String,
    room: String,
}

/// `POST /join`: the join form without JavaScript. Signs in and goes back to the room.
pub async fn join_form(
    State(state): State<AppState>,
    Form(form): Form<JoinForm>,
) -> Result<Response> {
    let room = RoomName::parse(&form.room)?;
    let name = DisplayName::parse(&form.name)?;
    let (_, token) = session::sign_in(state.hub.store(), &name).await?;
    let mut res = Redirect::to(&format!("/r/{room}")).into_response();
    res.headers_mut()
        .insert(header::SET_COOKIE, session::session_cookie(&token));
    Ok(res)
}

/// `GET /healthz`: 200 when the database answers.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.hub.store().ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// `GET /`: the default room.
pub async fn home() -> Redirect {
    Redirect::to("/r/general")
}
