//! The hub: one actor task per room orders, stores and broadcasts that room's messages.
//!
//! A room actor takes every `send` waiting in its queue at once, stores them in one
//! transaction (group commit), then acks each sender and broadcasts each new message. A
//! broadcast frame is serialised once; its bytes are shared by all receivers through a
//! `tokio::sync::broadcast` channel, which a slow receiver cannot hold up: it lags, and
//! its connection is closed (see `outbox`).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, mpsc};
use tokio_util::task::TaskTracker;
use uuid::Uuid;

use crate::{
    protocol::{ErrorCode, Receipt, ServerFrame},
    server::{
        outbox::{encode, Outbox},
        session::User,
        store::{NewMessage, RoomRef, Store},
        Result,
    },
    timestamp::Timestamp,
    validation::{MessageText, RoomName},
};

/// Live frames a room keeps for receivers that are behind.
const BROADCAST_CAPACITY: usize = 1024;
/// Sends a room queues before senders wait.
const SEND_QUEUE: usize = 1024;
/// Most messages stored in one transaction.
const MAX_BATCH: usize = 256;

/// A broadcast frame, and for a message its `seq` (so a joiner can skip what it replayed).
#[derive(Clone, Debug)]
pub struct Live {
    pub seq: Option<u64>,
    pub frame: Utf8Bytes,
}

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

#[derive(Clone)]
pub struct RoomHandle {
    pub room: RoomRef,
    sends: mpsc::Sender<SendCmd>,
    live: broadcast::Sender<Live>,
}

impl RoomHandle {
    /// Live messages from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.live.subscribe()
    }

    /// Sends a member's new markers to everyone in the room.
    pub fn publish_receipt(&self, receipt: Receipt) {
        let frame = encode(&ServerFrame::Receipt(receipt));
        let _ = self.live.send(Live { seq: None, frame });
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
            let (sends, rx) = mpsc::channel(SEND_QUEUE);
            let (live, _) = broadcast::channel(BROADCAST_CAPACITY);
            let handle = RoomHandle { room, sends, live };
            self.tasks
                .spawn(run_room(self.store.clone(), handle.clone(), rx));
            handle
        });
        Ok(handle.clone())
    }

    /// Ends every room actor once its queued sends are stored.
    pub fn close(&self) {
        self.rooms.lock().expect("hub lock").clear();
    }
}

async fn run_room(store: Store, handle: RoomHandle, mut rx: mpsc::Receiver<SendCmd>) {
    // The actor must not keep its own queue open, or it would never end.
    let RoomHandle { room, live, sends } = handle;
    drop(sends);
    let mut cmds = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut cmds, MAX_BATCH).await > 0 {
        let ts = Timestamp::now();
        let batch: Vec<NewMessage> = cmds
            .iter()
            .map(|c| NewMessage {
                client_id: c.client_id,
                author: c.author.clone(),
                text: c.text.as_str().to_owned(),
                ts,
            })
            .collect();
        match store.append(&room, &batch).await {
            Ok(stored) => {
                for (cmd, appended) in cmds.drain(..).zip(stored) {
                    let seq = appended.msg.seq;
                    cmd.reply.push_frame(&ServerFrame::Ack {
                        room: room.name.to_string(),
                        client_id: cmd.client_id,
                        seq,
                    });
                    if appended.fresh {
                        let frame = encode(&ServerFrame::Message(appended.msg));
                        // No receivers is fine: the message is stored.
                        let _ = live.send(Live {
                            seq: Some(seq),
                            frame,
                        });
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, room = %room.name, "could not store messages");
                for cmd in cmds.drain(..) {
                    cmd.reply.push_frame(&internal_error(cmd.client_id));
                }
            }
        }
    }
}

fn internal_error(client_id: Uuid) -> ServerFrame {
    ServerFrame::Error {
        code: ErrorCode::Internal,
        message: "The message could not be stored; send it again.".into(),
        client_id: Some(client_id),
    }
}
