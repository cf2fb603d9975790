//! Signing in to an account: the password checked (the same work whether or not the
//! name exists), a disabled account refused, and sign-ins from one address rate limited.
//! The JSON (`POST /api/session`) and the form (`POST /signin`) both come here.

use std::net::IpAddr;

use super::name_key;
use crate::{
    server::{
        infra::{
            limits::{Key, Limit},
            session,
        },
        model::{NewSession, User},
        AppState, Error, Result,
    },
    validation::DisplayName,
};

/// The account called `name` (or one that looks like it) if `password` is its password,
/// with a new session; `BadCredentials` otherwise, after the same work either way.
pub async fn password_sign_in(
    state: &AppState,
    name: &DisplayName,
    password: String,
    device: &str,
) -> Result<(User, String)> {
    let account = state.store.account(&name_key(name)).await?;
    let (user, hash) = match account {
        // A bot has no password: it is refused like an unknown name.
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    if !state.passwords.verify(password, hash).await? {
        return Err(Error::BadCredentials);
    }
    let user = user.ok_or(Error::BadCredentials)?;
    // Said only to whoever knows the password.
    if state
        .store
        .user_flags(user.id)
        .await?
        .is_some_and(|f| f.disabled)
    {
        tracing::info!(user = %user.id, "sign-in of a disabled account refused");
        return Err(Error::Forbidden(
            "This account is disabled: ask the server's admin.".into(),
        ));
    }
    let token = session::new_token();
    let new_session = NewSession::new(session::hash_token(&token), device);
    state.store.create_session(&user, &new_session).await?;
    Ok((user, token))
}

/// One sign-in from `ip`, or 429 with `Retry-After`.
pub fn sign_in_allowed(state: &AppState, ip: IpAddr) -> Result<()> {
    state
        .limiter
        .check(Limit::SignIn, Key::Ip(ip))
        .map_err(|wait| {
            tracing::info!(%ip, "sign-ins rate limited");
            Error::too_many("Too many sign-ins from your address.", wait)
        })
}
