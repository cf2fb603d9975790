//! `GET /healthz` for load balancers, and `GET /`, which goes to the default room.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use crate::server::AppState;

/// `GET /healthz`: 200 when the database answers and, in a cluster, Redis does (a load
/// balancer sends no one to a node that cannot store or tell the others).
pub async fn healthz(State(state): State<AppState>) -> Response {
    if let Err(error) = state.store.ping().await {
        tracing::warn!(%error, "health check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    }
    if let Err(error) = state.bus.ping().await {
        tracing::warn!(%error, "health check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "redis unavailable").into_response();
    }
    (StatusCode::OK, "ok").into_response()
}

/// `GET /`: the default room.
pub async fn home() -> Redirect {
    Redirect::to("/r/general")
}
