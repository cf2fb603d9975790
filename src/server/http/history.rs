//! `GET /api/rooms/<room>/messages?before=<seq>&limit=<n>`: a room's older messages, a
//! page at a time, for a reader scrolling back past what the page holds. Readable by
//! whoever may read the room page (`access::decide`); a room that does not exist, or a
//! private room one is not in, has no messages (and is not created by asking); a ban is
//! refused with 403.

use std::net::SocketAddr;

use axum::{
    extract::{rejection::QueryRejection, ConnectInfo, Path, Query, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;

use crate::{
    protocol::{ApiError, HistoryPage, HISTORY_PAGE_MAX},
    server::{
        domain::access::{self, Access},
        infra::{
            limits::{Key, Limit},
            session,
        },
        AppState, Error, Result,
    },
    validation::RoomName,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Messages before this `seq`; the latest without it.
    before: Option<u64>,
    /// At most this many (1 to `HISTORY_PAGE_MAX`, 50 without it).
    limit: Option<u32>,
}

/// A room's messages before `before`, oldest first.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/messages",
    tag = "messages",
    params(("room" = String, Path, description = "The room's name, without the #."), HistoryQuery),
    responses(
        (status = 200, description = "Up to `limit` messages; an empty list when there is nothing older (or no room one may read).", body = HistoryPage),
        (status = 400, description = "A bad room name or limit.", body = ApiError),
        (status = 403, description = "Banned from the room.", body = ApiError),
        (status = 429, description = "Too many requests; see Retry-After.", body = ApiError),
    )
)]
pub async fn older_messages(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(room): Path<String>,
    headers: HeaderMap,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response> {
    let name = RoomName::parse(&room)?;
    let Query(q) = query.map_err(|e| Error::BadRequest(e.body_text()))?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=HISTORY_PAGE_MAX).contains(&limit) {
        return Err(Error::BadRequest(format!(
            "limit must be between 1 and {HISTORY_PAGE_MAX}."
        )));
    }
    state
        .limiter
        .check(Limit::History, Key::Ip(peer.ip()))
        .map_err(|wait| {
            tracing::info!(ip = %peer.ip(), "history pages rate limited");
            Error::too_many("Too many requests for older messages.", wait)
        })?;
    let user = session::authenticate(&state.store, &headers).await?;
    let messages = match access::check(&state.store, user.as_ref(), &name).await? {
        (_, access) if access.may_read() => {
            state
                .store
                .messages_before(&name, q.before.unwrap_or(u64::MAX), limit)
                .await?
        }
        (_, Access::Banned) => return Err(access::refusal(&name, Access::Banned)),
        _ => Vec::new(),
    };
    let mut res = Json(HistoryPage { messages }).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}
