//! A connection's bounded outgoing queue, shared by everything that writes to it: the
//! reader (acks of re-sends, errors, pongs), the room actors (acks, broadcasts) and
//! catch-up tasks (replayed history).
//!
//! The queue holds ready-to-write WebSocket frames (`Bytes`). A broadcast is framed once
//! by its room and the same bytes are queued for every member, so queuing costs a
//! reference count, not a copy.
//!
//! Nothing is ever dropped silently: when the queue is full (in entries or in bytes) the
//! connection is closed with [`CloseReason::SlowConsumer`]; the client reconnects and
//! catches up with `since`.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc, OnceLock,
};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::codec;
use crate::protocol::ServerFrame;

/// Entries a connection may have queued before it counts as too slow.
pub const QUEUE_CAPACITY: usize = 256;
/// Bytes a connection may have queued before it counts as too slow.
pub const QUEUE_BYTES: usize = 1024 * 1024;

/// Why the server closes a socket; the code and reason go out in the close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed, or the connection ended normally.
    Normal,
    /// The client did not keep up with its room(s); reconnect and `join` with `since`.
    SlowConsumer,
    /// Nothing arrived (not even a pong) for the idle timeout.
    Idle,
    /// An incoming message was over the size limit.
    TooBig,
    /// A text message was not UTF-8.
    BadData,
    /// The client broke the WebSocket protocol.
    ProtocolError,
    /// The server is shutting down.
    Shutdown,
    /// The session was signed out (or expired); sign in again.
    SignedOut,
    /// A frame took longer than the frame timeout to arrive.
    TooSlow,
    /// An admin disabled the account.
    Disabled,
    /// The guest's name (or one that looks like it) now belongs to an account.
    NameTaken,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::SlowConsumer => 4008,
            Self::Idle => 4000,
            Self::TooBig => 1009,
            Self::BadData => 1007,
            Self::ProtocolError => 1002,
            Self::Shutdown => 1001,
            Self::SignedOut => 4001,
            Self::TooSlow => 1008,
            Self::Disabled => 4003,
            Self::NameTaken => 4002,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Self::Normal => "bye",
            Self::SlowConsumer => "slow consumer: reconnect and join with since",
            Self::Idle => "idle timeout",
            Self::TooBig => "message too big (limit 64 KiB)",
            Self::BadData => "text frames must be UTF-8",
            Self::ProtocolError => "protocol error",
            Self::Shutdown => "server shutting down",
            Self::SignedOut => "signed out",
            Self::TooSlow => "frame not completed in time",
            Self::Disabled => "account disabled",
            Self::NameTaken => "your name now belongs to an account: sign in with another name",
        }
    }
}

struct Shared {
    closed: CancellationToken,
    reason: OnceLock<CloseReason>,
    /// Bytes queued and not yet written.
    queued: AtomicUsize,
}

#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Bytes>,
    shared: Arc<Shared>,
}

/// The writer's end of an [`Outbox`].
pub struct Queue {
    rx: mpsc::Receiver<Bytes>,
    shared: Arc<Shared>,
}

impl Outbox {
    pub fn new() -> (Self, Queue) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let shared = Arc::new(Shared {
            closed: CancellationToken::new(),
            reason: OnceLock::new(),
            queued: AtomicUsize::new(0),
        });
        let queue = Queue {
            rx,
            shared: shared.clone(),
        };
        (Self { tx, shared }, queue)
    }

    /// Queues ready-framed bytes without waiting; a full queue closes the connection.
    /// False once the connection is closed (or closing).
    pub fn push(&self, frame: Bytes) -> bool {
        let len = frame.len();
        let queued = self.shared.queued.fetch_add(len, Ordering::Relaxed) + len;
        if queued > QUEUE_BYTES {
            self.close(CloseReason::SlowConsumer);
            return false;
        }
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.close(CloseReason::SlowConsumer);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Serialises, frames and queues `frame` (see [`Outbox::push`]).
    pub fn push_frame(&self, frame: &ServerFrame) -> bool {
        self.push(encode(frame))
    }

    /// Queues `frame`, waiting for room; false once the connection is gone.
    pub async fn send(&self, frame: Bytes) -> bool {
        let len = frame.len();
        tokio::select! {
            r = self.tx.send(frame) => {
                self.shared.queued.fetch_add(len, Ordering::Relaxed);
                r.is_ok()
            }
            _ = self.shared.closed.cancelled() => false,
        }
    }

    /// Asks the connection to close (the first reason given wins).
    pub fn close(&self, reason: CloseReason) {
        if self.shared.reason.set(reason).is_ok() {
            tracing::debug!(?reason, "closing connection");
        }
        self.shared.closed.cancel();
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.is_cancelled()
    }

    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.reason.get().copied()
    }

    /// Resolves once the connection is asked to close.
    pub async fn closed(&self) {
        self.shared.closed.cancelled().await
    }
}

impl Queue {
    /// Waits for queued frames and moves up to `limit` of them into `out`; 0 once every
    /// sender is gone.
    pub async fn recv_many(&mut self, out: &mut Vec<Bytes>, limit: usize) -> usize {
        self.rx.recv_many(out, limit).await
    }

    /// Moves what is queued right now (up to `limit`) into `out`.
    pub fn try_recv_many(&mut self, out: &mut Vec<Bytes>, limit: usize) -> usize {
        let mut n = 0;
        while n < limit {
            let Ok(frame) = self.rx.try_recv() else { break };
            out.push(frame);
            n += 1;
        }
        n
    }

    /// Records that `bytes` queued bytes were written.
    pub fn written(&self, bytes: usize) {
        self.shared.queued.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// A frame's JSON in a WebSocket text frame, built once; the bytes can be shared by every
/// receiver.
pub fn encode(frame: &ServerFrame) -> Bytes {
    let mut out = BytesMut::new();
    encode_into(&mut out, &mut Vec::new(), frame);
    out.freeze()
}

/// Appends `frame` to `out` as a text frame, so that several go out in one write;
/// `json` is scratch space, reused between calls.
pub fn encode_into(out: &mut BytesMut, json: &mut Vec<u8>, frame: &ServerFrame) {
    json.clear();
    serde_json::to_writer(&mut *json, frame).expect("server frames always serialise");
    codec::put_text(out, json);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_closes_instead_of_dropping() {
        let (outbox, mut queue) = Outbox::new();
        for i in 0..QUEUE_CAPACITY {
            assert!(outbox.push(Bytes::from(format!("{i}"))));
        }
        assert_eq!(outbox.close_reason(), None);
        assert!(!outbox.push(Bytes::from_static(b"one too many")));
        assert_eq!(outbox.close_reason(), Some(CloseReason::SlowConsumer));
        assert!(!outbox.send(Bytes::from_static(b"after close")).await);
        let mut out = Vec::new();
        queue.recv_many(&mut out, 1).await;
        assert_eq!(&out[0][..], b"0");
    }

    #[tokio::test]
    async fn too_many_queued_bytes_close_too() {
        let (outbox, mut queue) = Outbox::new();
        let big = Bytes::from(vec![0u8; QUEUE_BYTES / 2]);
        assert!(outbox.push(big.clone()));
        // Written bytes no longer count.
        let mut out = Vec::new();
        queue.try_recv_many(&mut out, 10);
        queue.written(out[0].len());
        assert!(outbox.push(big.clone()));
        assert!(outbox.push(big.clone()));
        assert_eq!(outbox.close_reason(), None);
        assert!(!outbox.push(big));
        assert_eq!(outbox.close_reason(), Some(CloseReason::SlowConsumer));
    }
}
