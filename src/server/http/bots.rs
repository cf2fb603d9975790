//! Bots: accounts the admin makes for programs. `POST /api/bots {"name"}` answers the bot's
//! token once (only its hash is kept). A bot signs in with `Authorization: Bearer <token>`
//! on the socket and the HTTP API, owns its name as an account does, has no password, and
//! its messages carry `"bot": true` (the page marks them "bot"). Its token does not expire
//! from disuse; the admin ends it by disabling the bot, or replaces it with
//! `POST /api/bots/<name>/token` (a lost token, a leaked one).

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use crate::server::domain::accounts::name_key;
use crate::{
    protocol::{ApiError, BotRequest, SessionResponse},
    server::{
        bus::Revocation,
        domain::access::manage_allowed,
        domain::revoke,
        infra::session,
        model::{NewSession, User},
        AppState, Error, Result,
    },
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
    let me = the_admin(&state, &headers).await?;
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
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
    Ok(token_response(&bot, token))
}

/// Gives the bot `name` a new token; the old one stops working at once (its sockets close
/// with 4001, on every node). The admin only; a disabled bot must be enabled first.
#[utoipa::path(
    post,
    path = "/api/bots/{name}/token",
    tag = "bots",
    params(("name" = String, Path, description = "The bot's name.")),
    security(("session" = [])),
    responses(
        (status = 201, description = "The bot's new token (shown this once).", body = SessionResponse),
        (status = 401, description = "Not signed in.", body = ApiError),
        (status = 403, description = "Not the admin, or the bot is disabled.", body = ApiError),
        (status = 404, description = "No bot of that name.", body = ApiError),
    )
)]
pub async fn new_token(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response> {
    let me = the_admin(&state, &headers).await?;
    let name = DisplayName::parse(&name)?;
    let no_bot = || Error::NotFound(format!("There is no bot called {name}."));
    let (bot, _) = state
        .store
        .account(&name_key(&name))
        .await?
        .filter(|(user, _)| user.bot)
        .ok_or_else(no_bot)?;
    if state
        .store
        .user_flags(bot.id)
        .await?
        .is_some_and(|f| f.disabled)
    {
        return Err(Error::Forbidden(
            "This bot is disabled: enable it first.".into(),
        ));
    }
    let token = session::new_token();
    let hash = session::hash_token(&token);
    state
        .store
        .create_session(&bot, &NewSession::new(hash.clone(), "bot"))
        .await?;
    state.store.delete_other_sessions(&bot, &hash).await?;
    let closed = revoke::announce(
        &state,
        Revocation::User {
            user: bot.id,
            keep: Some(session::hex(&hash)),
            disabled: false,
            name_taken: false,
        },
    );
    tracing::info!(by = %me.id, bot = %bot.id, sockets = closed, "bot token replaced");
    Ok(token_response(&bot, token))
}

/// The signed-in admin, or why not.
async fn the_admin(state: &AppState, headers: &axum::http::HeaderMap) -> Result<User> {
    let (me, _) = session::require(&state.store, headers).await?;
    manage_allowed(state, &me)?;
    if !me.admin {
        tracing::info!(user = %me.id, "refused: not the admin");
        return Err(Error::Forbidden(
            "Only the server's admin can manage bots.".into(),
        ));
    }
    Ok(me)
}

/// 201 with the bot's token; no cookie, so the admin's browser stays the admin's.
fn token_response(bot: &User, token: String) -> Response {
    let body = SessionResponse {
        user_id: bot.id,
        name: bot.name.to_string(),
        token,
    };
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    (StatusCode::CREATED, no_store, Json(body)).into_response()
}
