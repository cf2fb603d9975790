//! The hub: one actor task per room orders, stores and broadcasts that room's messages.
//!
//! A room actor takes every `send` waiting in its queue at once, stores them in one
//! transaction (group commit), acks each sender and broadcasts the new messages: the batch
//! is serialised and framed once, and the same bytes are queued for every member. Members
//! live in the actor, so a broadcast touches no lock and allocates nothing per receiver.

mod handle;
mod member;
mod reply;
mod room;

pub use handle::{CatchUp, Content, PageData, RoomHandle, SendCmd, Subscription};
use handle::{Ctrl, Rooms, Shared};
pub use reply::{Reply, Sent};

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::{
    server::{
        bus::{Bus, Event, Incoming, Revocation},
        model::{RoomFacts, RoomRef, User},
        store::Store,
        Result,
    },
    validation::RoomName,
};

static NEXT_EPOCH: AtomicU64 = AtomicU64::new(1);

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
