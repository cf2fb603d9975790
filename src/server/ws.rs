//! `GET /ws`: one authenticated socket per browser tab or bot, serving many rooms.
//!
//! The socket is split into a reader task (frames in) and a writer task (frames out, from
//! the connection's bounded [`Outbox`]); when either ends, both end. Each joined room has
//! a small forwarder task that replays stored messages for `since` and then relays live
//! ones, skipping what it replayed, so there is no window in which a message is missed or
//! doubled.

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    extract::{
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
        State,
    },
    http::{header, HeaderMap},
    response::Response,
};
use futures::{SinkExt, StreamExt};
use tokio::{
    sync::{broadcast::error::RecvError, Semaphore},
    task::JoinHandle,
};
use uuid::Uuid;

use crate::{
    protocol::{ClientFrame, ErrorCode, ServerFrame},
    server::{
        hub::{RoomHandle, SendCmd},
        outbox::{encode, CloseReason, Outbox},
        session::{self, User},
        shortcodes,
        store::{Store, MAX_RECEIPTS},
        AppState, Error, Result,
    },
    validation::{MessageText, RoomName, ValidationError},
};

/// Largest incoming message (and frame) accepted; bigger ones close the socket (1009).
pub const MAX_INCOMING_BYTES: usize = 64 * 1024;
/// Per-connection buffers: small, since chat frames are small.
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 4 * 1024;
/// Bytes that may wait in the write buffer before writes push back.
const MAX_WRITE_BUFFER: usize = 256 * 1024;
/// The server pings this often; a connection silent for `IDLE_TIMEOUT` is closed.
const PING_INTERVAL: Duration = Duration::from_secs(20);
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Frames written per flush at most (several frames per syscall when busy).
const MAX_WRITE_BATCH: usize = 64;
/// How long a closing socket may take to flush before it is dropped.
const WRITER_GRACE: Duration = Duration::from_secs(5);
/// Rows per page when replaying history for `since`.
const REPLAY_PAGE: u32 = 500;
/// Sends one socket may have waiting for their ack.
const MAX_IN_FLIGHT: usize = 64;
/// Rooms one socket may be in at once.
const MAX_ROOMS_PER_SOCKET: usize = 100;

pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    if !origin_allowed(&headers, &state.config.allowed_origins) {
        return Err(Error::ForbiddenOrigin);
    }
    let user = session::authenticate(state.hub.store(), &headers)
        .await?
        .ok_or(Error::Unauthorized)?;
    let tasks = state.tasks.clone();
    Ok(ws
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_INCOMING_BYTES)
        .max_frame_size(MAX_INCOMING_BYTES)
        .on_upgrade(move |socket| tasks.track_future(serve_socket(state, user, socket))))
}

/// A request without `Origin` (a bot) is judged by its token alone; a browser's `Origin`
/// must be this server's own (same host) or on the allow-list.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if allowed.iter().any(|a| *a == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.split_once("://").map(|(_, rest)| rest);
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

async fn serve_socket(state: AppState, user: User, socket: WebSocket) {
    let (sink, stream) = socket.split();
    let (outbox, queue) = Outbox::new();
    let shutdown = state.shutdown.clone();
    tracing::debug!(user = %user.id, "socket open");
    let writer = tokio::spawn(write_loop(sink, queue, outbox.clone(), shutdown.clone()));
    let mut reader = Reader {
        state,
        user,
        outbox: outbox.clone(),
        rooms: HashMap::new(),
        markers: HashMap::new(),
        in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
    };
    tokio::select! {
        _ = reader.read_loop(stream) => {}
        _ = outbox.closed() => {}
        _ = shutdown.cancelled() => {}
    }
    // End together: the writer sends the close frame and finishes its queued writes.
    outbox.close(if shutdown.is_cancelled() {
        CloseReason::Shutdown
    } else {
        CloseReason::Normal
    });
    for (_, sub) in reader.rooms.drain() {
        sub.forwarder.abort();
    }
    // A peer that stopped reading cannot take the close frame: give up on it.
    let abort = writer.abort_handle();
    if tokio::time::timeout(WRITER_GRACE, writer).await.is_err() {
        abort.abort();
    }
    tracing::debug!(user = %reader.user.id, "socket closed");
}

async fn write_loop(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut queue: tokio::sync::mpsc::Receiver<axum::extract::ws::Utf8Bytes>,
    outbox: Outbox,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.reset();
    loop {
        tokio::select! {
            biased;
            _ = outbox.closed() => break,
            _ = shutdown.cancelled() => break,
            frame = queue.recv() => {
                let Some(frame) = frame else { break };
                if sink.feed(Message::Text(frame)).await.is_err() {
                    return;
                }
                let mut n = 1;
                while n < MAX_WRITE_BATCH {
                    let Ok(frame) = queue.try_recv() else { break };
                    if sink.feed(Message::Text(frame)).await.is_err() {
                        return;
                    }
                    n += 1;
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
    // Finish what is queued (acks of stored messages), then say why we close.
    while let Ok(frame) = queue.try_recv() {
        if sink.feed(Message::Text(frame)).await.is_err() {
            return;
        }
    }
    let reason = if shutdown.is_cancelled() {
        CloseReason::Shutdown
    } else {
        outbox.close_reason().unwrap_or(CloseReason::Normal)
    };
    let close = CloseFrame {
        code: reason.code(),
        reason: reason.text().into(),
    };
    let _ = sink.send(Message::Close(Some(close))).await;
    let _ = sink.close().await;
}

struct Subscription {
    forwarder: JoinHandle<()>,
}

struct Reader {
    state: AppState,
    user: User,
    outbox: Outbox,
    rooms: HashMap<RoomName, Subscription>,
    /// The markers this socket last stored per room (delivered, read): only rises are
    /// written and broadcast.
    markers: HashMap<RoomName, (u64, u64)>,
    /// Sends stored but not yet acked.
    in_flight: Arc<Semaphore>,
}

impl Reader {
    async fn read_loop(&mut self, mut stream: futures::stream::SplitStream<WebSocket>) {
        loop {
            let msg = match tokio::time::timeout(IDLE_TIMEOUT, stream.next()).await {
                Err(_elapsed) => {
                    self.outbox.close(CloseReason::Idle);
                    return;
                }
                Ok(None) => return,
                Ok(Some(Err(error))) => {
                    let too_big = error
                        .into_inner()
                        .downcast_ref::<tungstenite::Error>()
                        .is_some_and(|e| matches!(e, tungstenite::Error::Capacity(_)));
                    let reason = if too_big {
                        CloseReason::TooBig
                    } else {
                        CloseReason::ProtocolError
                    };
                    self.outbox.close(reason);
                    return;
                }
                Ok(Some(Ok(msg))) => msg,
            };
            match msg {
                Message::Text(text) => self.on_text(text.as_str()).await,
                Message::Binary(_) => self.error(
                    ErrorCode::BinaryFrame,
                    "Binary frames are not supported; send JSON text frames.",
                    None,
                ),
                Message::Close(_) => return,
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>, client_id: Option<Uuid>) {
        self.outbox.push_frame(&ServerFrame::Error {
            code,
            message: message.into(),
            client_id,
        });
    }

    fn invalid(&self, e: ValidationError, client_id: Option<Uuid>) {
        self.error(e.code(), e.to_string(), client_id);
    }

    async fn on_text(&mut self, text: &str) {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                return self.error(ErrorCode::BadFrame, format!("Unreadable frame: {e}"), None)
            }
        };
        match frame {
            ClientFrame::Join { room, since } => self.join(&room, since).await,
            ClientFrame::Leave { room } => match RoomName::parse(&room) {
                Ok(room) => {
                    if let Some(sub) = self.rooms.remove(&room) {
                        sub.forwarder.abort();
                    }
                }
                Err(e) => self.invalid(e, None),
            },
            ClientFrame::Send {
                room,
                client_id,
                text,
            } => self.send(&room, client_id, &text).await,
            ClientFrame::Received { room, seq } => self.mark(&room, seq, 0).await,
            ClientFrame::Read { room, seq } => self.mark(&room, seq, seq).await,
        }
    }

    async fn room(&self, room: &RoomName) -> Option<RoomHandle> {
        match self.state.hub.room(room).await {
            Ok(handle) => Some(handle),
            Err(error) => {
                tracing::error!(%error, "could not open room");
                self.error(
                    ErrorCode::Internal,
                    "The room could not be opened; try again.",
                    None,
                );
                None
            }
        }
    }

    async fn join(&mut self, room: &str, since: Option<u64>) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, None),
        };
        if !self.rooms.contains_key(&room) && self.rooms.len() >= MAX_ROOMS_PER_SOCKET {
            return self.error(
                ErrorCode::BadFrame,
                format!("A socket can be in at most {MAX_ROOMS_PER_SOCKET} rooms."),
                None,
            );
        }
        let Some(handle) = self.room(&room).await else {
            return;
        };
        // Joining makes the user a member: the room shows in their list from now on.
        if !self.markers.contains_key(&room) {
            let store = self.state.hub.store();
            // Members (the common case, e.g. on a reconnect) cost a read, not a write.
            let markers = match store.markers_of(&handle.room, &self.user).await {
                Ok(Some(markers)) => Ok(markers),
                Ok(None) => store
                    .raise_markers(&handle.room, &self.user, 0, 0)
                    .await
                    .map(|r| (r.delivered, r.read)),
                Err(e) => Err(e),
            };
            match markers {
                Ok(markers) => {
                    self.markers.insert(room.clone(), markers);
                }
                Err(error) => tracing::error!(%error, "could not record membership"),
            }
        }
        // Subscribe before reading history, so nothing stored meanwhile is missed.
        let live = handle.subscribe();
        let store = self.state.hub.store().clone();
        let forwarder = tokio::spawn(forward(
            store,
            handle.clone(),
            live,
            since,
            self.outbox.clone(),
        ));
        if let Some(old) = self.rooms.insert(room, Subscription { forwarder }) {
            old.forwarder.abort();
        }
    }

    /// Raises this user's delivered (and, if `read > 0`, read) marker in `room`.
    async fn mark(&mut self, room: &str, delivered: u64, read: u64) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, None),
        };
        let prev = self.markers.get(&room).copied().unwrap_or_default();
        if delivered.max(read) <= prev.0 && read <= prev.1 {
            return;
        }
        let Some(handle) = self.room(&room).await else {
            return;
        };
        let store = self.state.hub.store();
        // The upsert keeps the higher of old and new values.
        match store
            .raise_markers(&handle.room, &self.user, delivered, read)
            .await
        {
            Ok(receipt) => {
                self.markers.insert(room, (receipt.delivered, receipt.read));
                handle.publish_receipt(receipt);
            }
            Err(error) => tracing::error!(%error, "could not store read markers"),
        }
    }

    async fn send(&mut self, room: &str, client_id: Uuid, text: &str) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, Some(client_id)),
        };
        let text = match MessageText::parse(text) {
            Ok(text) => text,
            Err(e) => return self.invalid(e, Some(client_id)),
        };
        let text = match shortcodes::expand(text.as_str()) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(expanded) => match MessageText::parse(&expanded) {
                Ok(t) => t,
                Err(e) => return self.invalid(e, Some(client_id)),
            },
        };
        let Some(handle) = self.room(&room).await else {
            return;
        };
        // At most MAX_IN_FLIGHT unacked sends per socket: a fast sender waits here (and TCP
        // pushes back) instead of overrunning its own queue with acks.
        let Ok(slot) = self.in_flight.clone().acquire_owned().await else {
            return;
        };
        let cmd = SendCmd {
            author: self.user.clone(),
            client_id,
            text,
            reply: self.outbox.clone(),
            _slot: slot,
        };
        handle.send(cmd).await;
    }
}

/// Replays stored messages after `since` (if given), then relays live ones in order.
async fn forward(
    store: Store,
    handle: RoomHandle,
    mut live: tokio::sync::broadcast::Receiver<crate::server::hub::Live>,
    since: Option<u64>,
    outbox: Outbox,
) {
    let mut cursor = 0;
    if let Some(since) = since {
        cursor = since;
        loop {
            let page = match store
                .messages_after(&handle.room, cursor, REPLAY_PAGE)
                .await
            {
                Ok(page) => page,
                Err(error) => {
                    tracing::error!(%error, "replay failed");
                    outbox.push_frame(&ServerFrame::Error {
                        code: ErrorCode::Internal,
                        message: "History could not be loaded; join again.".into(),
                        client_id: None,
                    });
                    return;
                }
            };
            let full = page.len() == REPLAY_PAGE as usize;
            for msg in page {
                cursor = msg.seq;
                if !outbox.send(encode(&ServerFrame::Message(msg))).await {
                    return;
                }
            }
            if !full {
                break;
            }
        }
    }
    // Catching up includes where everyone is, so the joiner can show delivery status.
    if since.is_some() {
        match store.receipts(&handle.room.name, MAX_RECEIPTS).await {
            Ok(receipts) => {
                for receipt in receipts {
                    if !outbox.send(encode(&ServerFrame::Receipt(receipt))).await {
                        return;
                    }
                }
            }
            Err(error) => tracing::error!(%error, "could not load receipts"),
        }
    }
    loop {
        match live.recv().await {
            Ok(msg) if msg.seq.is_some_and(|seq| seq <= cursor) => {} // already replayed
            Ok(msg) => {
                if !outbox.send(msg.frame).await {
                    return;
                }
            }
            Err(RecvError::Lagged(_)) => {
                outbox.close(CloseReason::SlowConsumer);
                return;
            }
            Err(RecvError::Closed) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;
    use axum::http::{HeaderMap, HeaderValue};

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert("origin", HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn origins() {
        let allowed = vec!["https://chat.example.com".to_owned()];
        assert!(origin_allowed(&headers(None, "127.0.0.1:3000"), &allowed));
        assert!(origin_allowed(
            &headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"),
            &allowed
        ));
        assert!(origin_allowed(
            &headers(Some("https://chat.example.com"), "10.0.0.1"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("https://evil.example"), "127.0.0.1:3000"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000"),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("null"), "127.0.0.1:3000"),
            &allowed
        ));
    }
}
