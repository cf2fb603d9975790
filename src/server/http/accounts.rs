//! Accounts: `POST /api/accounts` signs up, or claims a guest's name (the rules are in
//! `domain::accounts::sign_up`); `POST /api/password` changes an account's password and
//! ends every other session.

use std::net::SocketAddr;

use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};

use crate::{
    protocol::{AccountRequest, PasswordChange},
    server::{
        bus::Revocation,
        domain::{
            accounts::{check_password, name_key, sign_in_allowed, sign_up::sign_up},
            revoke,
        },
        http::sessions::session_response,
        infra::{
            limits::{Key, Limit},
            session::{self, hex},
        },
        AppState, Error, Result,
    },
};

/// `POST /api/accounts {"name","password"}` → 201 with the session (as `POST /api/session`).
/// 409 when an account owns the name (or one that looks like it), 400 with a sentence for a
/// weak password or a bad name, 403 when registration is closed. Signed in as a guest of
/// the same name, it makes that guest the account, keeping their messages.
pub async fn create_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<AccountRequest>, JsonRejection>,
) -> Result<Response> {
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let (user, token) = sign_up(
        &state,
        peer.ip(),
        &headers,
        &req.name,
        req.password,
        req.invite.as_deref(),
    )
    .await?;
    Ok(session_response(&state, user, token, StatusCode::CREATED))
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
        .check(Limit::Password, Key::User(user.id))
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
