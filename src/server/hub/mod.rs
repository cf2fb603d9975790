//! The hub: one actor task per room orders, stores and broadcasts that room's messages.
//!
//! A room actor takes every `send` waiting in its queue at once, stores them in one
//! transaction (group commit), acks each sender and broadcasts the new messages: the batch
//! is serialised and framed once, and the same bytes are queued for every member. Members
//! live in the actor, so a broadcast touches no lock and allocates nothing per receiver.

mod room;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::{
    protocol::{ChatMessage, ErrorCode, Receipt, ServerFrame},
    server::{
        outbox::Outbox,
        session::User,
        store::{RoomRef, Store},
        Result,
    },
    validation::{MessageText, RoomName},
};

/// A request to store and broadcast one message.
pub struct SendCmd {
    pub author: User,
    pub client_id: Uuid,
    pub text: MessageText,
    /// Where the ack (or error) goes.
    pub reply: Outbox,
    /// One of the sender's in-flight slots, freed once the ack is queued.
    pub _slot: tokio::sync::OwnedSemaphorePermit,
}

/// A room as a page shows it, from the room's memory.
#[derive(Debug, Clone)]
pub struct PageData {
    /// The last messages, oldest first.
    pub history: Vec<ChatMessage>,
    /// Members' markers, most recently read first.
    pub receipts: Vec<Receipt>,
}

/// What a joiner catching up must replay before its held live frames are released.
#[derive(Debug)]
pub struct CatchUp {
    /// Replay stored messages with `since < seq <= upto`.
    pub upto: u64,
}

enum Ctrl {
    /// Adds a member; with `since`, it is held (live frames wait) until released.
    Subscribe {
        member: room::Member,
        since: Option<u64>,
        reply: oneshot::Sender<CatchUp>,
    },
    /// The member has replayed its history: send what was held, then everything live.
    Release {
        id: u64,
    },
    Unsubscribe {
        id: u64,
    },
    /// A member's markers rose: keep them and tell every member.
    Receipt(Receipt),
    /// What a page shows: the last messages (oldest first) and the members' markers.
    PageData {
        limit: usize,
        reply: oneshot::Sender<PageData>,
    },
}

#[derive(Clone)]
pub struct RoomHandle {
    pub room: RoomRef,
    sends: mpsc::Sender<SendCmd>,
    ctrl: mpsc::UnboundedSender<Ctrl>,
    /// Rises with every broadcast (message or receipt): what a cached page depends on.
    version: Arc<AtomicU64>,
}

/// One socket's membership of a room. Dropping it does nothing; [`Subscription::leave`]
/// ends it.
pub struct Subscription {
    id: u64,
    gone: Arc<AtomicBool>,
    handle: RoomHandle,
}

impl Subscription {
    /// Stops the room's frames for this socket, at once.
    pub fn leave(&self) {
        self.gone.store(true, Ordering::Release);
        self.handle.unsubscribe(self.id);
    }

    pub fn handle(&self) -> &RoomHandle {
        &self.handle
    }

    pub fn id(&self) -> u64 {
        self.id
    }
}

static NEXT_SUBSCRIPTION: AtomicU64 = AtomicU64::new(1);

impl RoomHandle {
    /// The room's version: it changes whenever what a page shows may have changed.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Makes `outbox` a member. Without `since`, live frames flow at once. With `since`,
    /// they are held, and the answer says which stored messages to replay before calling
    /// [`Subscription::release`]: nothing is missed or doubled in between.
    pub fn subscribe(
        &self,
        outbox: Outbox,
        since: Option<u64>,
    ) -> (Subscription, oneshot::Receiver<CatchUp>) {
        let id = NEXT_SUBSCRIPTION.fetch_add(1, Ordering::Relaxed);
        let gone = Arc::new(AtomicBool::new(false));
        let member = room::Member::new(id, outbox, gone.clone(), since.is_some());
        let (reply, plan) = oneshot::channel();
        let _ = self.ctrl.send(Ctrl::Subscribe {
            member,
            since,
            reply,
        });
        let sub = Subscription {
            id,
            gone,
            handle: self.clone(),
        };
        (sub, plan)
    }

    /// Ends subscription `id`'s catch-up: the frames held meanwhile go out, then live ones.
    pub fn release(&self, id: u64) {
        let _ = self.ctrl.send(Ctrl::Release { id });
    }

    /// Ends subscription `id`.
    pub fn unsubscribe(&self, id: u64) {
        let _ = self.ctrl.send(Ctrl::Unsubscribe { id });
    }

    /// Sends a member's new markers to everyone in the room.
    pub fn publish_receipt(&self, receipt: Receipt) {
        let _ = self.ctrl.send(Ctrl::Receipt(receipt));
    }

    /// The room's last `limit` messages (at most [`room::RECENT_KEPT`]) and its members'
    /// markers, from memory. `None` once the room has closed.
    pub async fn page_data(&self, limit: usize) -> Option<PageData> {
        let (reply, rx) = oneshot::channel();
        self.ctrl.send(Ctrl::PageData { limit, reply }).ok()?;
        rx.await.ok()
    }

    /// Queues a message for storing; waits while the room's queue is full.
    pub async fn send(&self, cmd: SendCmd) {
        if let Err(mpsc::error::SendError(cmd)) = self.sends.send(cmd).await {
            // Only at shutdown: the actor is gone. The sender retries with its client_id.
            cmd.reply.push_frame(&internal_error(cmd.client_id));
        }
    }
}

#[derive(Clone)]
pub struct Hub {
    store: Store,
    rooms: Arc<Mutex<HashMap<RoomName, RoomHandle>>>,
    tasks: TaskTracker,
}

impl Hub {
    pub fn new(store: Store, tasks: TaskTracker) -> Self {
        Self {
            store,
            rooms: Default::default(),
            tasks,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The room called `name`, created (in the store too) on first use.
    pub async fn room(&self, name: &RoomName) -> Result<RoomHandle> {
        if let Some(handle) = self.rooms.lock().expect("hub lock").get(name) {
            return Ok(handle.clone());
        }
        let room = self.store.ensure_room(name).await?;
        let mut rooms = self.rooms.lock().expect("hub lock");
        let handle = rooms.entry(name.clone()).or_insert_with(|| {
            let (sends, sends_rx) = mpsc::channel(room::SEND_QUEUE);
            let (ctrl, ctrl_rx) = mpsc::unbounded_channel();
            let version = Arc::new(AtomicU64::new(0));
            let handle = RoomHandle {
                room,
                sends,
                ctrl,
                version: version.clone(),
            };
            let actor = room::Room::new(self.store.clone(), handle.room.clone(), version);
            self.tasks.spawn(actor.run(sends_rx, ctrl_rx));
            handle
        });
        Ok(handle.clone())
    }

    /// Ends every room actor once its queued sends are stored.
    pub fn close(&self) {
        self.rooms.lock().expect("hub lock").clear();
    }
}

fn internal_error(client_id: Uuid) -> ServerFrame {
    ServerFrame::Error {
        code: ErrorCode::Internal,
        message: "The message could not be stored; send it again.".into(),
        client_id: Some(client_id),
    }
}
