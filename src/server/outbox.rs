//! A connection's bounded outgoing queue, shared by everything that writes to it: the
//! reader (acks, errors), the room actors (acks) and the per-room forwarders (messages).
//!
//! Nothing is ever dropped silently: when the queue is full the connection is closed
//! with [`CloseReason::SlowConsumer`]; the client reconnects and catches up with `since`.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::protocol::ServerFrame;

/// Frames a connection may have queued before it counts as too slow.
pub const QUEUE_CAPACITY: usize = 256;

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
    /// The client broke the WebSocket protocol.
    ProtocolError,
    /// The server is shutting down.
    Shutdown,
}

impl CloseReason {
    pub fn code(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::SlowConsumer => 4008,
            Self::Idle => 4000,
            Self::TooBig => 1009,
            Self::ProtocolError => 1002,
            Self::Shutdown => 1001,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Self::Normal => "bye",
            Self::SlowConsumer => "slow consumer: reconnect and join with since",
            Self::Idle => "idle timeout",
            Self::TooBig => "message too big (limit 64 KiB)",
            Self::ProtocolError => "protocol error",
            Self::Shutdown => "server shutting down",
        }
    }
}

#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Utf8Bytes>,
    closed: CancellationToken,
    reason: Arc<OnceLock<CloseReason>>,
}

impl Outbox {
    pub fn new() -> (Self, mpsc::Receiver<Utf8Bytes>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let outbox = Self {
            tx,
            closed: CancellationToken::new(),
            reason: Arc::new(OnceLock::new()),
        };
        (outbox, rx)
    }

    /// Queues `frame` without waiting; a full queue closes the connection.
    pub fn push(&self, frame: Utf8Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(frame) {
            self.close(CloseReason::SlowConsumer);
        }
    }

    /// Serialises and queues `frame` (see [`Outbox::push`]).
    pub fn push_frame(&self, frame: &ServerFrame) {
        self.push(encode(frame));
    }

    /// Queues `frame`, waiting for room; false once the connection is gone.
    pub async fn send(&self, frame: Utf8Bytes) -> bool {
        tokio::select! {
            r = self.tx.send(frame) => r.is_ok(),
            _ = self.closed.cancelled() => false,
        }
    }

    /// Asks the connection to close (the first reason given wins).
    pub fn close(&self, reason: CloseReason) {
        if self.reason.set(reason).is_ok() {
            tracing::debug!(?reason, "closing connection");
        }
        self.closed.cancel();
    }

    pub fn close_reason(&self) -> Option<CloseReason> {
        self.reason.get().copied()
    }

    /// Resolves once the connection is asked to close.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }
}

/// A frame's JSON, once; the bytes are shared by every receiver.
pub fn encode(frame: &ServerFrame) -> Utf8Bytes {
    serde_json::to_string(frame)
        .expect("server frames always serialise")
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_closes_instead_of_dropping() {
        let (outbox, mut rx) = Outbox::new();
        for i in 0..QUEUE_CAPACITY {
            outbox.push(format!("{i}").into());
        }
        assert_eq!(outbox.close_reason(), None);
        outbox.push("one too many".into());
        assert_eq!(outbox.close_reason(), Some(CloseReason::SlowConsumer));
        assert!(!outbox.send("after close".into()).await);
        assert_eq!(rx.recv().await.unwrap().as_str(), "0");
    }
}
