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

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
};

use bytes::{Bytes, BytesMut};
use tokio::sync::Notify;

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

/// Everything an open socket's queue needs, in one allocation and nothing more while the
/// socket is idle: no frame slots until a frame is queued, released after a burst. (It was
/// a tokio `mpsc` channel and a `CancellationToken`: 1.7 KiB per socket at rest.) The
/// queue's slots are freed whenever the writer empties it.
struct Shared {
    queue: Mutex<VecDeque<Bytes>>,
    /// Wakes the writer when frames are queued (or the socket closes).
    queued_ready: Notify,
    /// Wakes senders waiting for room in a full queue.
    room: Notify,
    /// Wakes whoever waits for the close.
    closing: Notify,
    closed: AtomicBool,
    /// The writer is gone: nothing queued now would be written.
    writer_gone: AtomicBool,
    reason: OnceLock<CloseReason>,
    /// Bytes queued and not yet written.
    queued: AtomicUsize,
}

#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The writer's end of an [`Outbox`].
pub struct Queue {
    shared: Arc<Shared>,
}

impl Shared {
    fn queue(&self) -> std::sync::MutexGuard<'_, VecDeque<Bytes>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `frame` unless the queue is full (`Err` gives it back) or its writer is
    /// gone (`Ok(false)`).
    fn try_push(&self, frame: Bytes) -> Result<bool, Bytes> {
        if self.writer_gone.load(Ordering::Acquire) {
            return Ok(false);
        }
        let mut queue = self.queue();
        if queue.len() >= QUEUE_CAPACITY {
            return Err(frame);
        }
        queue.push_back(frame);
        drop(queue);
        self.queued_ready.notify_one();
        Ok(true)
    }
}

impl Outbox {
    pub fn new() -> (Self, Queue) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(VecDeque::new()),
            queued_ready: Notify::new(),
            room: Notify::new(),
            closing: Notify::new(),
            closed: AtomicBool::new(false),
            writer_gone: AtomicBool::new(false),
            reason: OnceLock::new(),
            queued: AtomicUsize::new(0),
        });
        let queue = Queue {
            shared: shared.clone(),
        };
        (Self { shared }, queue)
    }

    /// Queues ready-framed bytes without waiting; a full queue closes the connection.
    /// False when it was not queued: the queue was full, or its writer is gone. (A closing
    /// connection still takes frames: its writer sends what is queued before the close.)
    pub fn push(&self, frame: Bytes) -> bool {
        let len = frame.len();
        let queued = self.shared.queued.fetch_add(len, Ordering::Relaxed) + len;
        if queued > QUEUE_BYTES {
            self.close(CloseReason::SlowConsumer);
            return false;
        }
        match self.shared.try_push(frame) {
            Ok(queued) => queued,
            Err(_) => {
                self.close(CloseReason::SlowConsumer);
                false
            }
        }
    }

    /// Serialises, frames and queues `frame` (see [`Outbox::push`]).
    pub fn push_frame(&self, frame: &ServerFrame) -> bool {
        self.push(encode(frame))
    }

    /// Queues `frame` if there is room, without waiting: `Err` gives it back when the
    /// queue is full; false once the writer is gone.
    pub fn try_send(&self, frame: Bytes) -> Result<bool, Bytes> {
        let len = frame.len();
        let queued = self.shared.try_push(frame)?;
        if queued {
            self.shared.queued.fetch_add(len, Ordering::Relaxed);
        }
        Ok(queued)
    }

    /// Whether `n` more frames fit in the queue now.
    pub fn has_room_for(&self, n: usize) -> bool {
        self.shared.queue().len() + n <= QUEUE_CAPACITY
    }

    /// Waits until `n` more frames fit in the queue; false once the connection is closed.
    pub async fn room_for(&self, n: usize) -> bool {
        loop {
            // Registered before the look, so that room made in between is not missed.
            let room = self.shared.room.notified();
            let closing = self.shared.closing.notified();
            tokio::pin!(room, closing);
            room.as_mut().enable();
            closing.as_mut().enable();
            if self.is_closed() {
                return false;
            }
            if self.has_room_for(n) {
                return true;
            }
            tokio::select! {
                _ = room => {}
                _ = closing => return false,
            }
        }
    }

    /// Queues `frame`, waiting for room; false once the connection is gone.
    pub async fn send(&self, mut frame: Bytes) -> bool {
        loop {
            if !self.room_for(1).await {
                return false;
            }
            match self.try_send(frame) {
                Ok(queued) => return queued,
                // Another sender took the place first.
                Err(back) => frame = back,
            }
        }
    }

    /// Asks the connection to close (the first reason given wins).
    pub fn close(&self, reason: CloseReason) {
        if self.shared.reason.set(reason).is_ok() {
            tracing::debug!(?reason, "closing connection");
        }
        if !self.shared.closed.swap(true, Ordering::AcqRel) {
            self.shared.closing.notify_waiters();
            self.shared.room.notify_waiters();
            self.shared.queued_ready.notify_one();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.reason.get().copied()
    }

    /// Resolves once the connection is asked to close.
    pub async fn closed(&self) {
        let closing = self.shared.closing.notified();
        tokio::pin!(closing);
        closing.as_mut().enable();
        if self.is_closed() {
            return;
        }
        closing.await
    }
}

impl Queue {
    /// Waits for queued frames and moves up to `limit` of them into `out`; 0 once the
    /// connection is closed and nothing is queued.
    pub async fn recv_many(&mut self, out: &mut Vec<Bytes>, limit: usize) -> usize {
        loop {
            let n = self.try_recv_many(out, limit);
            if n > 0 {
                return n;
            }
            if self.shared.closed.load(Ordering::Acquire) {
                return 0;
            }
            // `notify_one` keeps a permit when nobody waits: a push between the look above
            // and this wait is not missed.
            self.shared.queued_ready.notified().await;
        }
    }

    /// Moves what is queued right now (up to `limit`) into `out`.
    pub fn try_recv_many(&mut self, out: &mut Vec<Bytes>, limit: usize) -> usize {
        let mut queue = self.shared.queue();
        let n = queue.len().min(limit);
        out.extend(queue.drain(..n));
        if queue.is_empty() && queue.capacity() > 0 {
            // An idle socket holds no slots.
            *queue = VecDeque::new();
        }
        drop(queue);
        if n > 0 {
            self.shared.room.notify_waiters();
        }
        n
    }

    /// Records that `bytes` queued bytes were written.
    pub fn written(&self, bytes: usize) {
        self.shared.queued.fetch_sub(bytes, Ordering::Relaxed);
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        self.shared.writer_gone.store(true, Ordering::Release);
        self.shared.queue().clear();
        self.shared.room.notify_waiters();
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
    async fn a_sender_waits_for_room_and_a_burst_leaves_no_slots_behind() {
        let (outbox, mut queue) = Outbox::new();
        for i in 0..QUEUE_CAPACITY {
            assert!(outbox.push(Bytes::from(format!("{i}"))));
        }
        let waiting = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.send(Bytes::from_static(b"late")).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "no room: the sender waits");
        let mut out = Vec::new();
        assert_eq!(queue.recv_many(&mut out, usize::MAX).await, QUEUE_CAPACITY);
        assert!(waiting.await.unwrap(), "room was made: it is queued");
        out.clear();
        assert_eq!(queue.recv_many(&mut out, 10).await, 1);
        assert_eq!(&out[0][..], b"late");
        assert_eq!(
            queue.shared.queue().capacity(),
            0,
            "an empty queue holds no slots"
        );
        // A close wakes the writer waiting for frames ...
        let writer = tokio::spawn(async move {
            let n = queue.recv_many(&mut Vec::new(), 1).await;
            (n, queue)
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        outbox.close(CloseReason::Normal);
        let (n, queue) = writer.await.unwrap();
        assert_eq!(n, 0);
        // ... and once the writer is gone nothing is queued.
        drop(queue);
        assert!(!outbox.push(Bytes::from_static(b"nobody writes this")));
        assert!(!outbox.send(Bytes::from_static(b"nor this")).await);
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
