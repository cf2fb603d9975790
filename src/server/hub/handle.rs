//! A room as the rest of the server reaches it: its handle (two queues into its actor and
//! what the actor publishes), a socket's subscription, and the commands the actor takes.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{member::Member, Reply, Sent};
use crate::{
    protocol::{Entry, Quote, Receipt},
    server::{
        bus::Event,
        model::{RoomRef, User},
        wire::Outbox,
    },
    validation::{MessageText, RoomName},
};

/// What a send stores in the room's sequence.
pub enum Content {
    /// A message; with a quote, it answers the message quoted.
    Text(MessageText, Option<Quote>),
    /// The deletion of the message stored as this seq (the sender may delete it).
    Delete(u64),
    /// A new text for the message stored as this seq (the sender wrote it).
    Edit(u64, MessageText),
    /// The sender's reaction (an emoji) to the message stored as `seq`, or with `undo`
    /// taken back.
    React { seq: u64, emoji: String, undo: bool },
}

/// A request to store and broadcast one message.
pub struct SendCmd {
    pub author: User,
    pub client_id: Uuid,
    pub content: Content,
    /// Where the ack (or error) goes.
    pub reply: Reply,
    /// One of the sender's in-flight slots (a socket's), freed once the ack is queued.
    pub _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// A room as a page shows it, from the room's memory.
#[derive(Debug, Clone)]
pub struct PageData {
    /// The last messages, oldest first.
    pub history: Vec<Entry>,
    /// Members' markers, most recently read first.
    pub receipts: Vec<Receipt>,
    /// The room's topic (empty: none).
    pub topic: String,
}

/// What a joiner catching up must replay before its held live frames are released.
#[derive(Debug)]
pub struct CatchUp {
    /// Replay stored messages with `since < seq <= upto`.
    pub upto: u64,
    /// Then every member's markers, as the room has them (a `receipts` frame; none when
    /// nobody has any).
    pub receipts: Option<Bytes>,
}

pub(super) enum Ctrl {
    /// Adds a member; with `since`, it is held (live frames wait) until released.
    Subscribe {
        member: Member,
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
    /// A person was removed (kicked or banned): their sockets leave, the other nodes are
    /// told.
    Remove {
        user: Uuid,
        banned: bool,
    },
    /// The topic was stored: tell every member, here and on the other nodes.
    Topic(String),
    /// Someone is typing: tell everyone else, here and on the other nodes.
    Typing {
        user: Uuid,
        name: String,
    },
    /// Another node's event in this room.
    Remote(Event),
    /// The bus may have lost events: look in the store for what was missed.
    Resync,
}

#[derive(Clone)]
pub struct RoomHandle {
    pub room: RoomRef,
    pub(super) sends: mpsc::Sender<SendCmd>,
    pub(super) ctrl: mpsc::UnboundedSender<Ctrl>,
    /// Shared with the actor. Every clone of a handle holds it, so the actor can tell
    /// when nobody but the hub can reach it any more (and it may end).
    pub(super) shared: Arc<Shared>,
}

/// What the actor publishes for readers that do not wait for it.
pub struct Shared {
    /// Rises with every broadcast (message or receipt): what a cached page depends on.
    /// Each actor starts in an epoch of its own, so a restarted room never repeats one.
    pub(super) version: AtomicU64,
    /// The room's last stored `seq`.
    pub(super) last_seq: AtomicU64,
}

pub(super) type Rooms = Arc<Mutex<HashMap<RoomName, RoomHandle>>>;

/// One socket's membership of a room. Dropping it does nothing; [`Subscription::leave`]
/// ends it.
pub struct Subscription {
    id: u64,
    gone: Arc<AtomicBool>,
    handle: RoomHandle,
}

impl Subscription {
    /// True once the socket left, or its person was removed from the room.
    pub fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }

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
        self.shared.version.load(Ordering::Acquire)
    }

    /// The room's last stored `seq` (markers are capped at it).
    pub fn last_seq(&self) -> u64 {
        self.shared.last_seq.load(Ordering::Acquire)
    }

    /// Makes `outbox` (a socket of `user`, called `name`) a member: it gets the room's
    /// `presence` at once, and the others see `user` online. Without `since`, live frames
    /// flow at once. With `since`, they are held, and the answer says which stored
    /// messages to replay before calling [`Subscription::release`]: nothing is missed or
    /// doubled in between.
    pub fn subscribe(
        &self,
        user: Uuid,
        name: String,
        outbox: Outbox,
        since: Option<u64>,
    ) -> (Subscription, oneshot::Receiver<CatchUp>) {
        let id = NEXT_SUBSCRIPTION.fetch_add(1, Ordering::Relaxed);
        let gone = Arc::new(AtomicBool::new(false));
        let member = Member::new(id, (user, name), outbox, gone.clone(), since.is_some());
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

    /// `user` was removed from the room (stored already): their sockets here and on every
    /// other node leave it and are told why.
    pub fn remove(&self, user: Uuid, banned: bool) {
        let _ = self.ctrl.send(Ctrl::Remove { user, banned });
    }

    /// The room's topic was stored: every member, on every node, is told.
    pub fn set_topic(&self, topic: String) {
        let _ = self.ctrl.send(Ctrl::Topic(topic));
    }

    /// `user` is typing: everyone else in the room, on every node, is told.
    pub fn typing(&self, user: Uuid, name: String) {
        let _ = self.ctrl.send(Ctrl::Typing { user, name });
    }

    /// Sends a member's new markers to everyone in the room.
    pub fn publish_receipt(&self, receipt: Receipt) {
        let _ = self.ctrl.send(Ctrl::Receipt(receipt));
    }

    /// The room's last `limit` messages (at most `room::RECENT_KEPT`) and its members'
    /// markers, from memory. `None` once the room has closed.
    pub async fn page_data(&self, limit: usize) -> Option<PageData> {
        let (reply, rx) = oneshot::channel();
        self.ctrl.send(Ctrl::PageData { limit, reply }).ok()?;
        rx.await.ok()
    }

    /// Queues a message for storing; waits while the room's queue is full.
    pub async fn send(&self, cmd: SendCmd) {
        if let Err(mpsc::error::SendError(cmd)) = self.sends.send(cmd).await {
            // Only at shutdown (an idle room only ends when no handle is left): the actor
            // is gone. The sender retries with its client_id.
            let room = self.room.name.as_str();
            cmd.reply.answer(room, cmd.client_id, Sent::Failed);
        }
    }
}
