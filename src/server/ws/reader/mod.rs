//! The reader task: the byte loop, the frame timeout, dispatch, and the socket's own
//! answers. Each command is a file of its own (`join`, `send`, `delete`, `edit`, `react`,
//! `mark`, `typing`). Every error goes back to this socket only; the connection carries on.

mod change;
mod delete;
mod edit;
mod frame_clock;
mod join;
mod mark;
mod react;
mod send;
mod typing;

use std::{io, net::IpAddr, sync::Arc, time::Duration};

use bytes::Bytes;
use tokio::{net::tcp::OwnedReadHalf, sync::Semaphore, task::JoinHandle, time::Instant};
use uuid::Uuid;

use crate::{
    protocol::{ClientFrame, ErrorCode, ServerFrame},
    server::{
        hub::{Hub, Subscription},
        infra::limits::{Limiter, RetryAfter},
        model::User,
        store::Store,
        wire::{
            codec::{self, Decoder, FromClient, WsError},
            encode, CloseReason, Outbox,
        },
    },
    validation::{RoomName, ValidationError},
};
use frame_clock::FrameClock;

/// Largest incoming message (and frame) accepted; bigger ones close the socket (1009).
pub const MAX_INCOMING_BYTES: usize = 64 * 1024;
/// A connection silent this long is closed (the writer pings every `PING_INTERVAL`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What a socket's reader needs from the server.
#[derive(Clone)]
pub struct SocketCtx {
    pub hub: Hub,
    pub store: Store,
    pub limiter: Arc<Limiter>,
    /// The peer's address, for per-IP limits.
    pub ip: IpAddr,
    /// A frame that has started must be complete within this.
    pub frame_timeout: Duration,
}

/// Bytes read per `read` call (on the stack: an idle socket holds no read buffer).
const READ_CHUNK: usize = 4 * 1024;
/// Sends one socket may have waiting for their ack.
const MAX_IN_FLIGHT: usize = 64;
/// Rooms one socket may be in at once.
const MAX_ROOMS_PER_SOCKET: usize = 100;
/// How long the socket's own answers may wait for room in its outbox before the client
/// counts as not reading.
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

struct Joined {
    sub: Subscription,
    /// The markers this socket last stored here (delivered, read): only rises are written
    /// and broadcast.
    markers: (u64, u64),
    /// When this socket last passed on `typing` here.
    typed: Option<std::time::Instant>,
    /// Replaying history for `since`, until the room releases live frames.
    catch_up: Option<JoinHandle<()>>,
}

impl Joined {
    fn leave(self) {
        if let Some(task) = self.catch_up {
            task.abort();
        }
        self.sub.leave();
    }
}

/// The rooms a socket is in: a few, so a list that grows one at a time (a hash table
/// keeps spare slots: 468 bytes for a socket in one room).
#[derive(Default)]
struct JoinedRooms(Vec<(RoomName, Joined)>);

impl JoinedRooms {
    fn get(&self, room: &RoomName) -> Option<&Joined> {
        self.0.iter().find(|(r, _)| r == room).map(|(_, j)| j)
    }

    fn get_mut(&mut self, room: &RoomName) -> Option<&mut Joined> {
        self.0.iter_mut().find(|(r, _)| r == room).map(|(_, j)| j)
    }

    fn contains_key(&self, room: &RoomName) -> bool {
        self.get(room).is_some()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds `room` (not in the list: callers remove it first).
    fn insert(&mut self, room: RoomName, joined: Joined) {
        debug_assert!(!self.contains_key(&room));
        self.0.reserve_exact(1);
        self.0.push((room, joined));
    }

    fn remove(&mut self, room: &RoomName) -> Option<Joined> {
        let at = self.0.iter().position(|(r, _)| r == room)?;
        let (_, joined) = self.0.swap_remove(at);
        if self.0.is_empty() {
            self.0 = Vec::new();
        }
        Some(joined)
    }

    fn drain(&mut self) -> impl Iterator<Item = (RoomName, Joined)> {
        std::mem::take(&mut self.0).into_iter()
    }
}

pub struct Reader {
    ctx: SocketCtx,
    user: User,
    outbox: Outbox,
    rooms: JoinedRooms,
    /// Sends stored but not yet acked.
    in_flight: Arc<Semaphore>,
    /// Answers to the frames just read, queued after each (see `flush_replies`).
    replies: Vec<Bytes>,
    /// The room of the `join` being answered: an error meanwhile refuses that join and
    /// names its room.
    joining: Option<String>,
}

impl Reader {
    pub fn new(ctx: SocketCtx, user: User, outbox: Outbox) -> Self {
        Self {
            ctx,
            user,
            outbox,
            rooms: JoinedRooms::default(),
            in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            replies: Vec::new(),
            joining: None,
        }
    }

    pub fn user_id(&self) -> Uuid {
        self.user.id
    }

    /// Leaves every room (the socket is closing).
    pub fn leave_all(&mut self) {
        for (_, joined) in self.rooms.drain() {
            joined.leave();
        }
    }

    /// Reads and handles frames until the client closes, breaks the protocol or idles.
    pub async fn read_loop(&mut self, io: &OwnedReadHalf, early: Bytes) {
        let mut decoder = Decoder::new(MAX_INCOMING_BYTES);
        let mut incoming = Vec::new();
        let mut fed = decoder.feed(&early, &mut incoming);
        // Hyper's leftover bytes may hold its whole read buffer: let it go now.
        drop(early);
        let mut clock = FrameClock::default();
        loop {
            // A whole data message: what is part-way in now has its own time. (Not a
            // control frame: those may come between the fragments of a message, whose time
            // runs on.)
            if incoming
                .iter()
                .any(|m| matches!(m, FromClient::Text(_) | FromClient::Binary))
            {
                clock.restart();
            }
            // What arrived before a protocol error is still answered (a ping is ponged).
            for msg in incoming.drain(..) {
                match msg {
                    // Boxed: handling a frame may wait on the database, and those futures
                    // are large; an idle socket's task should not carry their space.
                    FromClient::Text(text) => Box::pin(self.on_text(&text)).await,
                    FromClient::Binary => self.error(
                        ErrorCode::BinaryFrame,
                        "Binary frames are not supported; send JSON text frames.",
                        None,
                    ),
                    FromClient::Ping(payload) => {
                        self.replies.push(codec::pong(&payload));
                    }
                    FromClient::Pong => {}
                    FromClient::Close(_) => return,
                }
                if !self.flush_replies().await {
                    return;
                }
            }
            if let Err(e) = fed {
                return self.refuse(e);
            }
            if incoming.capacity() > 0 {
                // Handled: an idle socket keeps no slots.
                incoming = Vec::new();
            }
            let Some(wait) =
                clock.next_wait(decoder.in_frame(), self.ctx.frame_timeout, IDLE_TIMEOUT)
            else {
                return self.outbox.close(CloseReason::TooSlow);
            };
            let since = Instant::now();
            let readable = tokio::time::timeout(wait, io.readable()).await;
            clock.waited(since.elapsed());
            match readable {
                Err(_elapsed) if clock.in_frame() => {
                    tracing::debug!(user = %self.user.id, "frame too slow");
                    return self.outbox.close(CloseReason::TooSlow);
                }
                Err(_elapsed) => return self.outbox.close(CloseReason::Idle),
                Ok(Err(_)) => return,
                Ok(Ok(())) => {}
            }
            // The chunk lives only between awaits, so it is not part of the task's state.
            fed = {
                let mut chunk = [0u8; READ_CHUNK];
                match io.try_read(&mut chunk) {
                    Ok(0) => return,
                    Ok(n) => decoder.feed(&chunk[..n], &mut incoming),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
                    Err(_) => return,
                }
            };
        }
    }

    fn refuse(&self, e: WsError) {
        self.outbox.close(match e {
            WsError::TooBig => CloseReason::TooBig,
            WsError::BadUtf8 => CloseReason::BadData,
            WsError::Protocol(why) => {
                tracing::debug!(why, "websocket protocol error");
                CloseReason::ProtocolError
            }
        });
    }

    /// A place for one more send (at most `MAX_IN_FLIGHT` unacked per socket), once its
    /// ack will fit in the queue: a slot is free again as soon as its ack is queued, not
    /// written, so without the look at the queue a client that reads its acks late (or a
    /// writer that the runtime has not run for a while) would fill the queue with its own
    /// acks and be closed with 4008. A fast sender waits here, and TCP holds it back.
    /// `None` once the connection is closing.
    async fn send_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        if !self.outbox.has_room_for(MAX_IN_FLIGHT)
            && !self
                .within_reply_wait(self.outbox.room_for(MAX_IN_FLIGHT))
                .await
        {
            return None;
        }
        self.in_flight.clone().acquire_owned().await.ok()
    }

    /// Waits for `room` (room in the queue; false once closing) for `REPLY_WAIT` at most,
    /// then counts the client as not reading. Boxed: waiting is rare, and its future
    /// would make every idle socket's task bigger.
    async fn within_reply_wait(&self, room: impl std::future::Future<Output = bool>) -> bool {
        match Box::pin(tokio::time::timeout(REPLY_WAIT, room)).await {
            Ok(room) => room,
            Err(_) => {
                self.outbox.close(CloseReason::SlowConsumer);
                false
            }
        }
    }

    /// Queues this socket's own answers (errors, pongs), waiting for room in its outbox:
    /// a client that sends faster than it reads is slowed down by TCP, not disconnected.
    /// False once the connection is closing (or could not take them in time).
    async fn flush_replies(&mut self) -> bool {
        // Taken: an idle socket keeps no slots.
        for frame in std::mem::take(&mut self.replies) {
            // Its own answers leave room for what the socket is sent besides (its acks,
            // the room's messages): a script that floods with frames refused, while the
            // writer has not run, waits here (TCP holds it back) instead of filling the
            // queue so that the next message of its room finds it full and closes it.
            if !self.outbox.has_room_for(MAX_IN_FLIGHT + 1)
                && !self
                    .within_reply_wait(self.outbox.room_for(MAX_IN_FLIGHT + 1))
                    .await
            {
                return false;
            }
            let frame = match self.outbox.try_send(frame) {
                Ok(true) => continue,
                Ok(false) => return false,
                Err(full) => full,
            };
            if !self.within_reply_wait(self.outbox.send(frame)).await {
                return false;
            }
        }
        true
    }

    fn error(&mut self, code: ErrorCode, message: impl Into<String>, client_id: Option<Uuid>) {
        self.answer_error(code, message.into(), client_id, None);
    }

    /// Queues an `error` frame; one that refuses a `join` names its room.
    fn answer_error(
        &mut self,
        code: ErrorCode,
        message: String,
        client_id: Option<Uuid>,
        retry_after_ms: Option<u64>,
    ) {
        self.replies.push(encode(&ServerFrame::Error {
            code,
            message,
            client_id,
            retry_after_ms,
            room: self.joining.clone(),
        }));
    }

    /// Refuses a frame for now: the same frame may be sent again after the wait.
    fn limited(&mut self, what: &str, wait: RetryAfter, client_id: Option<Uuid>) {
        tracing::info!(user = %self.user.id, ip = %self.ctx.ip, what, "rate limited");
        let message = format!(
            "Slow down: too many {what}. Try again in {:.1} s.",
            wait.0.as_secs_f64()
        );
        self.answer_error(
            ErrorCode::RateLimited,
            message,
            client_id,
            Some(wait.millis()),
        );
    }

    fn invalid(&mut self, e: ValidationError, client_id: Option<Uuid>) {
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
            ClientFrame::Join { room, since } => {
                self.joining = Some(room.clone());
                self.join(&room, since).await;
                self.joining = None;
            }
            ClientFrame::Leave { room } => match RoomName::parse(&room) {
                Ok(room) => {
                    if let Some(joined) = self.rooms.remove(&room) {
                        joined.leave();
                    }
                }
                Err(e) => self.invalid(e, None),
            },
            ClientFrame::Send {
                room,
                client_id,
                text,
                reply_to,
            } => self.send(&room, client_id, &text, reply_to).await,
            ClientFrame::Delete {
                room,
                seq,
                client_id,
            } => self.delete(&room, seq, client_id).await,
            ClientFrame::Edit {
                room,
                seq,
                client_id,
                text,
            } => self.edit(&room, seq, client_id, &text).await,
            ClientFrame::React {
                room,
                seq,
                client_id,
                emoji,
                undo,
            } => self.react(&room, seq, client_id, &emoji, undo).await,
            ClientFrame::Received { room, seq } => self.mark(&room, seq, 0).await,
            ClientFrame::Read { room, seq } => self.mark(&room, seq, seq).await,
            ClientFrame::Typing { room } => self.typing(&room),
        }
    }
}

/// Reads and discards until the client closes its side (or fails).
pub async fn drain(io: &OwnedReadHalf) {
    loop {
        if io.readable().await.is_err() {
            return;
        }
        let mut chunk = [0u8; 512];
        match io.try_read(&mut chunk) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}
