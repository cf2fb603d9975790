//! `POST /api/rooms/<room>/messages {"client_id","text","reply_to"?}`: a message sent over HTTP (bots,
//! scripts, webhooks), the same as the socket's `send`: the same text rules, rate limits
//! and room rules (`access::decide`), stored and broadcast by the room's actor, with the
//! same idempotency. It answers once the message is stored: 201 `{"seq"}`, or 200 with
//! the same `seq` when this `client_id` was stored before (a retry). Unlike a `join`, it
//! never creates a room.

use std::net::SocketAddr;

use axum::{
    extract::{rejection::JsonRejection, ConnectInfo, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use tokio::sync::oneshot;

use crate::{
    protocol::{ApiError, PostMessage, Posted},
    server::{
        domain::{access, shortcodes},
        hub::{Content, Reply, SendCmd, Sent},
        infra::{
            limits::{Key, Limit},
            session,
        },
        AppState, Error, Result,
    },
    validation::RoomName,
};

/// Posts a message to a room.
#[utoipa::path(
    post,
    path = "/api/rooms/{room}/messages",
    tag = "messages",
    params(("room" = String, Path, description = "The room's name, without the #.")),
    request_body = PostMessage,
    security(("bearer" = []), ("session" = [])),
    responses(
        (status = 201, description = "Stored (and sent to everyone in the room) under `seq`.", body = Posted),
        (status = 200, description = "This `client_id` was stored before, under `seq`: nothing new was stored.", body = Posted),
        (status = 400, description = "A bad room name, text or body.", body = ApiError),
        (status = 401, description = "No valid token.", body = ApiError),
        (status = 403, description = "Banned from the room.", body = ApiError),
        (status = 404, description = "No such room (or a private room one is not in).", body = ApiError),
        (status = 409, description = "This `client_id` was used for another text.", body = ApiError),
        (status = 429, description = "Too many messages; see Retry-After.", body = ApiError),
    )
)]
pub async fn post_message(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(room): Path<String>,
    headers: HeaderMap,
    body: Result<Json<PostMessage>, JsonRejection>,
) -> Result<Response> {
    let (me, _) = session::require(&state.store, &headers).await?;
    let Json(req) = body.map_err(|e| Error::BadRequest(e.body_text()))?;
    let room = RoomName::parse(&room)?;
    let text = shortcodes::message_text(&req.text)?;
    let limiter = &state.limiter;
    if let Err(wait) = limiter
        .check(Limit::Send, Key::User(me.id))
        .and_then(|()| limiter.check(Limit::SendPerIp, Key::Ip(peer.ip())))
    {
        tracing::info!(user = %me.id, ip = %peer.ip(), "messages rate limited");
        return Err(Error::too_many("Slow down: too many messages.", wait));
    }
    let (facts, access) = access::check(&state.store, Some(&me), &room).await?;
    let facts = match facts {
        Some(facts) if access.may_post() => facts,
        _ => {
            tracing::info!(user = %me.id, ?access, "post refused");
            return Err(access::refusal(&room, access));
        }
    };
    let quote = match req.reply_to {
        None => None,
        Some(seq) => Some(state.store.quote(&room, seq).await?.ok_or_else(|| {
            Error::NotFound(format!("There is no message {seq} in #{room} to reply to."))
        })?),
    };
    let (tx, answer) = oneshot::channel();
    let client_id = req.client_id;
    state
        .hub
        .open_known(&facts)
        .send(SendCmd {
            author: me,
            client_id,
            content: Content::Text(text, quote),
            reply: Reply::Request(tx),
            _slot: None,
        })
        .await;
    match answer.await {
        Ok(Sent::Stored { seq, fresh }) => {
            let status = if fresh {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, Json(Posted { seq })).into_response())
        }
        Ok(Sent::Reused) => Err(Error::Conflict(
            "This client_id was already used for another message; \
             send a new message with a new client_id."
                .into(),
        )),
        Ok(Sent::TooManyReactions) => Err(Error::Conflict(format!(
            "A message holds at most {} different reactions.",
            crate::protocol::REACTIONS_MAX
        ))),
        Ok(Sent::Failed) | Err(_) => Err(Error::Commit(format!(
            "message {client_id} in #{room} was not stored"
        ))),
    }
}
