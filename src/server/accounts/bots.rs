//! Bots: accounts the admin makes for programs. `POST /api/bots {"name"}` answers the bot's
//! token once (only its hash is kept). A bot signs in with `Authorization: Bearer <token>`
//! on the socket and the HTTP API, owns its name as an account does, has no password, and
//! its messages carry `"bot": true` (the page marks them "bot"). Its token does not expire
//! from disuse; the admin ends it by disabling the bot.

use axum::{
    extract::{rejection::JsonRejection, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use super::name_key;
use crate::{
    protocol::{ApiError, BotRequest, SessionResponse},
    server::{model::NewSession, rooms::manage_allowed, session, AppState, Error, Result},
    validation::DisplayName,
};

/// Makes a bot; the admin only.
#[utoipa::path(
    post,
    path = "/api/bots",
    tag = "bots",
    request_body = BotRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "The bot, and the token it signs in with (shown this once).", body = SessionResponse),
        (status = 400, description = "A bad name.", body = ApiError),
        (status = 401, description = "Not signed in.", body = ApiError),
        (status = 403, description = "Not the admin.", body = ApiError),
        (status = 409, description = "An account or bot owns the name (or one that looks like it).", body = ApiError),
        (status = 429, description = "Too many changes; see Retry-After.", body = ApiError),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: Result<Json<BotRequest>, JsonRejection>,
) -> Result<Response> {
    let (me, _) = session::require(&state.store, &headers).await?;
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    manage_allowed(&state, &me)?;
    if !state.store.is_admin(me.id).await? {
        tracing::info!(user = %me.id, "refused: not the admin");
        return Err(Error::Forbidden(
            "Only the server's admin can make bots.".into(),
        ));
    }
    let name = DisplayName::parse(&req.name)?;
    let token = session::new_token();
    let bot = state
        .store
        .create_bot(
            &name,
            name_key(&name),
            &NewSession::new(session::hash_token(&token), "bot"),
        )
        .await?;
    tracing::info!(by = %me.id, bot = %bot.id, "bot created");
    let body = SessionResponse {
        user_id: bot.id,
        name: bot.name.to_string(),
        token,
    };
    // No cookie: the admin's browser stays the admin's.
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((StatusCode::CREATED, no_store, Json(body)).into_response())
}
