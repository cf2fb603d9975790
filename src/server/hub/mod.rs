//! The hub: one actor task per room orders, stores and broadcasts that room's messages.
//!
//! A room actor takes every `send` waiting in its queue at once, stores them in one
//! transaction (group commit), acks each sender and broadcasts the new messages: the batch
//! is serialised and framed once, and the same bytes are queued for every member. Members
//! live in the actor, so a broadcast touches no lock and allocates nothing per receiver.

mod reply;
mod room;

pub use reply::{Reply, Sent};

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::{
    protocol::{ChatMessage, Quote, Receipt},
    server::{
        bus::{Bus, Event, Incoming, Revocation},
        model::{RoomFacts, RoomRef, User},
        store::Store,
        wire::Outbox,
        Result,
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
    pub history: Vec<ChatMessage>,
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
    sends: mpsc::Sender<SendCmd>,
    ctrl: mpsc::UnboundedSender<Ctrl>,
    /// Shared with the actor. Every clone of a handle holds it, so the actor can tell
    /// when nobody but the hub can reach it any more (and it may end).
    shared: Arc<Shared>,
}

/// What the actor publishes for readers that do not wait for it.
pub struct Shared {
    /// Rises with every broadcast (message or receipt): what a cached page depends on.
    /// Each actor starts in an epoch of its own, so a restarted room never repeats one.
    version: AtomicU64,
    /// The room's last stored `seq`.
    last_seq: AtomicU64,
}

static NEXT_EPOCH: AtomicU64 = AtomicU64::new(1);

type Rooms = Arc<Mutex<HashMap<RoomName, RoomHandle>>>;

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
        let member = room::Member::new(id, (user, name), outbox, gone.clone(), since.is_some());
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
            // Only at shutdown (an idle room only ends when no handle is left): the actor
            // is gone. The sender retries with its client_id.
            let room = self.room.name.as_str();
            cmd.reply.answer(room, cmd.client_id, Sent::Failed);
        }
    }
}

/// Cloned into every socket: one pointer, whatever the hub holds.
#[derive(Clone)]
pub struct Hub(Arc<HubInner>);

pub struct HubInner {
    store: Store,
    bus: Bus,
    rooms: Rooms,
    tasks: TaskTracker,
    /// How long a room nobody is connected to keeps its task.
    room_idle: Duration,
}

impl std::ops::Deref for Hub {
    type Target = HubInner;

    fn deref(&self) -> &HubInner {
        &self.0
    }
}

impl Hub {
    /// A hub whose rooms store in `store` and tell other nodes through `bus`; `incoming`
    /// brings the other nodes' events, each to its room here (if this node has it open),
    /// and their revocations to `revoked`.
    pub fn new(
        store: Store,
        bus: Bus,
        mut incoming: mpsc::UnboundedReceiver<Incoming>,
        revoked: mpsc::UnboundedSender<Revocation>,
        tasks: TaskTracker,
        room_idle: Duration,
    ) -> Self {
        let rooms: Rooms = Default::default();
        let route = rooms.clone();
        tokio::spawn(async move {
            while let Some(incoming) = incoming.recv().await {
                let rooms = route.lock().expect("hub lock");
                match incoming {
                    Incoming::Event { room, event } => {
                        if let Some(handle) = rooms.get(&room) {
                            let _ = handle.ctrl.send(Ctrl::Remote(event));
                        }
                    }
                    Incoming::Revoked(revocation) => {
                        let _ = revoked.send(revocation);
                    }
                    Incoming::Resync => {
                        for handle in rooms.values() {
                            let _ = handle.ctrl.send(Ctrl::Resync);
                        }
                    }
                }
            }
        });
        Self(Arc::new(HubInner {
            store,
            bus,
            rooms,
            tasks,
            room_idle,
        }))
    }

    /// The room called `name` if it exists (its task started if need be). Never creates a
    /// room: reading is free of side effects.
    pub async fn open(&self, name: &RoomName) -> Result<Option<RoomHandle>> {
        if let Some(handle) = self.running(name) {
            return Ok(Some(handle));
        }
        let Some((room, last_seq)) = self.store.find_room(name).await? else {
            return Ok(None);
        };
        Ok(Some(self.start(room, last_seq)))
    }

    /// The room `facts` describe (read from the store a moment ago), its task started if
    /// need be.
    pub fn open_known(&self, facts: &RoomFacts) -> RoomHandle {
        self.running(&facts.room.name)
            .unwrap_or_else(|| self.start(facts.room.clone(), facts.last_seq))
    }

    /// The room called `name`, made (in the store too, `private` or not, owned by
    /// `creator`) if it does not exist, and whether this call made it. Only after
    /// `access::decide` and the room-creation limit; a room someone else made a moment
    /// ago is answered with `false` and must be decided on again.
    pub async fn create(
        &self,
        name: &RoomName,
        private: bool,
        creator: &User,
    ) -> Result<(RoomHandle, bool)> {
        let (room, made) = self.store.ensure_room(name, private, creator).await?;
        // The room's task reads its true last seq when it starts.
        Ok((self.start(room, 0), made))
    }

    /// `user` was removed from `room` (stored already): their sockets leave it, here and
    /// on the other nodes.
    pub fn removed(&self, room: &RoomName, user: Uuid, banned: bool) {
        match self.running(room) {
            Some(handle) => handle.remove(user, banned),
            None => self.bus.publish(room, Event::Removed { user, banned }),
        }
    }

    /// `room`'s topic was stored: its members are told, on every node.
    pub fn topic_set(&self, room: &RoomName, topic: String) {
        match self.running(room) {
            Some(handle) => handle.set_topic(topic),
            None => self.bus.publish(room, Event::Topic { topic }),
        }
    }

    fn running(&self, name: &RoomName) -> Option<RoomHandle> {
        self.rooms.lock().expect("hub lock").get(name).cloned()
    }

    fn start(&self, room: RoomRef, last_seq: u64) -> RoomHandle {
        let mut rooms = self.rooms.lock().expect("hub lock");
        let handle = rooms.entry(room.name.clone()).or_insert_with(|| {
            let (sends, sends_rx) = mpsc::channel(room::SEND_QUEUE);
            let (ctrl, ctrl_rx) = mpsc::unbounded_channel();
            let shared = Arc::new(Shared {
                version: AtomicU64::new(NEXT_EPOCH.fetch_add(1, Ordering::Relaxed) << 32),
                last_seq: AtomicU64::new(last_seq),
            });
            let handle = RoomHandle {
                room,
                sends,
                ctrl,
                shared: shared.clone(),
            };
            let actor = room::Room::new(
                self.store.clone(),
                self.bus.clone(),
                handle.room.clone(),
                shared,
            );
            let retire = room::Retire {
                rooms: self.rooms.clone(),
                after: self.room_idle,
            };
            self.tasks.spawn(actor.run(sends_rx, ctrl_rx, retire));
            handle
        });
        handle.clone()
    }

    /// Rooms whose task is running (tests: idle rooms give their memory back).
    pub fn open_rooms(&self) -> usize {
        self.rooms.lock().expect("hub lock").len()
    }

    /// Ends every room actor once its queued sends are stored.
    pub fn close(&self) {
        self.rooms.lock().expect("hub lock").clear();
    }
}
