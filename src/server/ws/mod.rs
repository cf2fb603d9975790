//! `GET /ws`: one authenticated socket per browser tab or bot, serving many rooms.
//!
//! The server speaks RFC 6455 itself on the raw TCP stream (`wire::codec`), so that it owns
//! its buffers: an idle socket holds no read or write buffer, and a busy one writes every
//! queued frame in one `writev`. The socket is split into a reader task (frames in,
//! `reader`) and a writer task (frames out, from the connection's bounded [`Outbox`],
//! `writer`); when either ends, both end.

mod catch_up;
mod reader;
mod writer;

use std::{net::SocketAddr, time::Duration};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::Engine;
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::server::{
    infra::{
        connections::{Refused, Registration},
        headers::origin_allowed,
        session,
    },
    model::User,
    wire::{codec, CloseReason, Outbox, Queue},
    AppState, Error, Result,
};
pub use reader::SocketCtx;

/// How long a closing socket may take to flush before it is dropped.
const WRITER_GRACE: Duration = Duration::from_secs(5);
/// How long a closed socket waits for the client's end of the closing handshake.
const CLOSE_LINGER: Duration = Duration::from_secs(1);

pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut req: Request,
) -> Result<Response> {
    let headers = req.headers();
    let key = match handshake(headers) {
        Ok(key) => key,
        Err(refusal) => return Ok(refusal),
    };
    if !origin_allowed(
        headers,
        &state.config.allowed_origins,
        state.config.public_url.as_deref(),
    ) {
        return Err(Error::ForbiddenOrigin);
    }
    let (user, session) = session::require(&state.store, headers).await?;
    let (outbox, queue) = Outbox::new();
    let registration = match state
        .connections
        .register(user.id, peer.ip(), session, outbox.clone())
    {
        Ok(registration) => registration,
        Err(refused) => {
            let why = match refused {
                Refused::PerUser(n) => format!("at most {n} sockets per person"),
                Refused::PerAddress(n) => format!("at most {n} sockets per address"),
                Refused::Total(n) => format!("the server holds its maximum of {n} sockets"),
            };
            tracing::info!(user = %user.id, %why, "socket refused");
            return Err(Error::RateLimited {
                message: format!("Too many open connections: {why}."),
                retry_after_secs: 10,
            });
        }
    };
    let accept = codec::accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    // Only what the socket needs: its task stays small.
    let ctx = SocketCtx {
        hub: state.hub.clone(),
        store: state.store.clone(),
        limiter: state.limiter.clone(),
        ip: peer.ip(),
        frame_timeout: state.config.timeouts.frame,
    };
    let shutdown = state.shutdown.clone();
    // Boxed: the socket's task then holds one pointer for it, not a copy per layer of
    // futures (an async fn keeps its arguments even after they are moved on).
    let socket = Box::new(Socket {
        ctx,
        user,
        outbox,
        queue,
        _registration: registration,
    });
    let fut = async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => return tracing::debug!(%error, "upgrade failed"),
        };
        match hyper_util::server::conn::auto::upgrade::downcast::<TokioIo<TcpStream>>(upgraded) {
            Ok(parts) => {
                serve_socket(socket, shutdown, parts.io.into_inner(), parts.read_buf).await
            }
            Err(_) => tracing::error!("upgraded connection is not a TCP stream"),
        }
    };
    state.tasks.spawn(fut);
    let mut res = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
    );
    Ok(res)
}

/// The `Sec-WebSocket-Key` of a well-formed version 13 upgrade request, or the answer
/// RFC 6455 §4.2 asks for: 426 with the version we speak when this is not a WebSocket
/// upgrade or not version 13, 400 when the key is missing or is not 16 bytes in base64.
fn handshake(headers: &HeaderMap) -> Result<&str, Response> {
    let has_token = |name, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    let upgrade_required = |why: &'static str| {
        (
            StatusCode::UPGRADE_REQUIRED,
            [
                (header::UPGRADE, "websocket"),
                (header::CONNECTION, "upgrade"),
                (header::SEC_WEBSOCKET_VERSION, "13"),
            ],
            why,
        )
            .into_response()
    };
    if !has_token(header::CONNECTION, "upgrade") || !has_token(header::UPGRADE, "websocket") {
        return Err(upgrade_required(
            "this is a WebSocket endpoint: GET with Upgrade: websocket and version 13",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err(upgrade_required("only WebSocket version 13 is spoken here"));
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .and_then(|k| k.to_str().ok())
        .map(str::trim)
        .filter(|k| {
            base64::engine::general_purpose::STANDARD
                .decode(k)
                .is_ok_and(|raw| raw.len() == 16)
        });
    key.ok_or_else(|| {
        (
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Key must be 16 random bytes in base64",
        )
            .into_response()
    })
}

/// Everything one open socket owns.
struct Socket {
    ctx: SocketCtx,
    user: User,
    outbox: Outbox,
    queue: Queue,
    /// Counts the socket against the caps until it closes.
    _registration: Registration,
}

async fn serve_socket(
    socket: Box<Socket>,
    shutdown: CancellationToken,
    stream: TcpStream,
    early: Bytes,
) {
    let Socket {
        ctx,
        user,
        outbox,
        queue,
        _registration,
    } = {
        // Moved out here, so that the box is freed now, not when the socket closes.
        let socket = socket;
        *socket
    };
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    tracing::debug!(user = %user.id, "socket open");
    let writer = tokio::spawn(writer::write_loop(write, queue, outbox.clone()));
    let mut reader = reader::Reader::new(ctx, user, outbox.clone());
    tokio::select! {
        _ = reader.read_loop(&read, early) => {}
        _ = outbox.closed() => {}
        _ = shutdown.cancelled() => {}
    }
    // End together: the writer sends the close frame after its queued writes.
    outbox.close(if shutdown.is_cancelled() {
        CloseReason::Shutdown
    } else {
        CloseReason::Normal
    });
    reader.leave_all();
    // A peer that stopped reading cannot take the close frame: give up on it.
    let abort = writer.abort_handle();
    if tokio::time::timeout(WRITER_GRACE, writer).await.is_err() {
        abort.abort();
    }
    // Let the client answer the close frame before the socket goes away, so that it
    // sees a clean close rather than a reset.
    let _ = tokio::time::timeout(CLOSE_LINGER, reader::drain(&read)).await;
    tracing::debug!(user = %reader.user_id(), "socket closed");
}

#[cfg(test)]
mod tests {
    use super::handshake;
    use axum::http::{HeaderMap, HeaderValue};

    #[test]
    fn upgrade_requests() {
        let mut h = HeaderMap::new();
        h.insert(
            "connection",
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert("upgrade", HeaderValue::from_static("WebSocket"));
        h.insert("sec-websocket-version", HeaderValue::from_static("13"));
        h.insert(
            "sec-websocket-key",
            HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        assert_eq!(handshake(&h).ok(), Some("dGhlIHNhbXBsZSBub25jZQ=="));
        let status = |h: &HeaderMap| handshake(h).err().map(|r| r.status().as_u16());
        let mut old = h.clone();
        old.insert("sec-websocket-version", HeaderValue::from_static("8"));
        assert_eq!(status(&old), Some(426));
        let refusal = handshake(&old).unwrap_err();
        assert_eq!(refusal.headers()["sec-websocket-version"], "13");
        let mut plain = h.clone();
        plain.insert("connection", HeaderValue::from_static("keep-alive"));
        assert_eq!(status(&plain), Some(426));
        for bad in [
            "",
            "abc==",
            "not base64 at all!",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let mut k = h.clone();
            k.insert("sec-websocket-key", HeaderValue::from_static(bad));
            assert_eq!(status(&k), Some(400), "{bad:?}");
        }
        h.remove("sec-websocket-key");
        assert_eq!(status(&h), Some(400));
    }
}
