//! My sessions: `GET /api/sessions` lists them (device, when made, when last used),
//! `DELETE /api/sessions/<id>` ends one (its sockets close with 4001), and
//! `POST /api/password` changes an account's password and ends every other session.

use std::net::SocketAddr;

use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use super::{check_password, name_key};
use crate::{
    protocol::{PasswordChange, SessionEntry},
    server::{
        api::sign_in_allowed,
        bus::Revocation,
        limits::{Key, Kind},
        revoke,
        session::{self, hex},
        AppState, Error, Result,
    },
    timestamp::Timestamp,
};

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

/// `POST /api/password {"current","new"}` → 204: the account's password changes and every
/// other session of it ends (their sockets close with 4001). 401 for a wrong current
/// password, 400 with a sentence for a weak new one, 403 for a guest (no password to change),
/// 429 past the person's `password` limit or the address's `sign_in` limit.
pub async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<Response> {
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let (user, current) = session::require(&state.store, &headers).await?;
    // Each attempt is a sign-in of the address and one of the person's few tries.
    sign_in_allowed(&state, peer.ip())?;
    state
        .limiter
        .check(Kind::Password, Key::User(user.id))
        .map_err(|wait| {
            tracing::info!(user = %user.id, "password changes rate limited");
            Error::too_many("Too many password attempts.", wait)
        })?;
    // An account owns the name under its key; a guest of a look-alike name is not it.
    let hash = match state.store.account(&name_key(&user.name)).await? {
        Some((account, Some(hash))) if account.id == user.id => hash,
        _ => {
            return Err(Error::Forbidden(
                "Only an account with a password can change it (a guest signs up to set one)."
                    .into(),
            ))
        }
    };
    if !state.passwords.verify(req.current, Some(hash)).await? {
        return Err(Error::BadCredentials);
    }
    check_password(&req.new, &user.name)?;
    let new_hash = state.passwords.hash(req.new).await?;
    state.store.set_password(&user, new_hash).await?;
    state.store.delete_other_sessions(&user, &current).await?;
    let closed = revoke::announce(
        &state,
        Revocation::User {
            user: user.id,
            keep: Some(hex(&current)),
            disabled: false,
            name_taken: false,
        },
    );
    tracing::info!(user = %user.id, sockets = closed, "password changed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
