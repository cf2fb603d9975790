//! The admin's power over accounts. `POST /api/users/<id>/disable` ends every session of
//! that person at once (their sockets close with 4003, on every node) and refuses their
//! sign-ins from then on; `POST /api/users/<id>/enable` lets them sign in again.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use uuid::Uuid;

use crate::server::{bus::Revocation, domain::revoke, infra::session, AppState, Error, Result};

pub async fn disable(
    State(state): State<AppState>,
    Path(user): Path<Uuid>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    set(&state, &headers, user, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    Path(user): Path<Uuid>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    set(&state, &headers, user, false).await
}

async fn set(
    state: &AppState,
    headers: &HeaderMap,
    user: Uuid,
    disabled: bool,
) -> Result<StatusCode> {
    let (me, _) = session::require(&state.store, headers).await?;
    crate::server::domain::access::manage_allowed(state, &me)?;
    if !me.admin {
        tracing::info!(user = %me.id, "refused: not the admin");
        return Err(Error::Forbidden(
            "Only the server's admin can disable or enable accounts.".into(),
        ));
    }
    if user == me.id {
        return Err(Error::Forbidden(
            "The admin cannot disable their own account.".into(),
        ));
    }
    if !state.store.set_disabled(user, disabled).await? {
        return Err(Error::NotFound("There is no such person.".into()));
    }
    let closed = if disabled {
        revoke::announce(
            state,
            Revocation::User {
                user,
                keep: None,
                disabled: true,
                name_taken: false,
            },
        )
    } else {
        0
    };
    tracing::info!(by = %me.id, %user, disabled, sockets = closed, "account disabled or enabled");
    Ok(StatusCode::NO_CONTENT)
}
