//! One room's actor: the only writer of the room's messages, the keeper of its members.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

use super::{internal_error, CatchUp, Ctrl, PageData, SendCmd};
use crate::{
    protocol::{ChatMessage, Receipt, ServerFrame},
    server::{
        outbox::{encode, encode_into, CloseReason, Outbox},
        store::{NewMessage, RoomRef, Store, MAX_RECEIPTS},
    },
    timestamp::Timestamp,
};

/// Sends a room queues before senders wait.
pub const SEND_QUEUE: usize = 1024;
/// Most messages stored in one transaction.
const MAX_BATCH: usize = 256;
/// Messages kept in memory for pages.
pub const RECENT_KEPT: usize = crate::app::HISTORY_ON_PAGE as usize;
/// Broadcasts held for a member that is catching up; more and it counts as too slow.
const MAX_HELD: usize = 1024;

/// A socket in the room.
pub struct Member {
    id: u64,
    outbox: Outbox,
    /// Set when the socket leaves the room.
    gone: Arc<AtomicBool>,
    /// While catching up: the broadcasts that must wait for the replay.
    held: Option<Vec<Bytes>>,
}

impl Member {
    pub fn new(id: u64, outbox: Outbox, gone: Arc<AtomicBool>, held: bool) -> Self {
        Self {
            id,
            outbox,
            gone,
            held: held.then(Vec::new),
        }
    }

    fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire) || self.outbox.is_closed()
    }

    /// Queues `frames` (or holds them); false once the member should be dropped.
    fn deliver(&mut self, frames: &Bytes) -> bool {
        match &mut self.held {
            Some(held) if held.len() >= MAX_HELD => {
                self.outbox.close(CloseReason::SlowConsumer);
                false
            }
            Some(held) => {
                held.push(frames.clone());
                true
            }
            None => self.outbox.push(frames.clone()),
        }
    }
}

pub struct Room {
    store: Store,
    room: RoomRef,
    last_seq: u64,
    recent: VecDeque<ChatMessage>,
    /// Members' markers (at most `MAX_RECEIPTS`, the most recently read kept).
    receipts: Vec<Receipt>,
    members: Vec<Member>,
    /// Reused for each message's JSON.
    scratch: Vec<u8>,
    /// Rises with every broadcast (see `RoomHandle::version`).
    version: Arc<AtomicU64>,
}

impl Room {
    pub fn new(store: Store, room: RoomRef, version: Arc<AtomicU64>) -> Self {
        Self {
            store,
            room,
            last_seq: 0,
            recent: VecDeque::new(),
            receipts: Vec::new(),
            members: Vec::new(),
            scratch: Vec::new(),
            version,
        }
    }

    pub async fn run(
        mut self,
        mut sends: mpsc::Receiver<SendCmd>,
        mut ctrl: mpsc::UnboundedReceiver<Ctrl>,
    ) {
        if !self.load(&sends).await {
            return;
        }
        let mut cmds = Vec::with_capacity(MAX_BATCH);
        loop {
            tokio::select! {
                biased;
                Some(c) = ctrl.recv() => self.on_ctrl(c),
                n = sends.recv_many(&mut cmds, MAX_BATCH) => {
                    if n == 0 {
                        break;
                    }
                    self.store_and_broadcast(&mut cmds).await;
                }
            }
        }
    }

    /// Reads the room's last messages (and so its last `seq`) and its members' markers;
    /// retries while the database fails. False if the room closed meanwhile.
    async fn load(&mut self, sends: &mpsc::Receiver<SendCmd>) -> bool {
        loop {
            let recent = self.store.recent(&self.room.name, RECENT_KEPT as u32).await;
            let receipts = self.store.receipts(&self.room.name, MAX_RECEIPTS).await;
            match recent.and_then(|r| Ok((r, receipts?))) {
                Ok((recent, receipts)) => {
                    self.last_seq = recent.last().map_or(0, |m| m.seq);
                    self.recent = recent.into();
                    self.receipts = receipts;
                    return true;
                }
                Err(error) => {
                    tracing::error!(%error, room = %self.room.name, "could not load the room");
                    if sends.is_closed() {
                        return false;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    fn on_ctrl(&mut self, ctrl: Ctrl) {
        match ctrl {
            Ctrl::Subscribe {
                member,
                since,
                reply,
            } => {
                if member.is_gone() {
                    return;
                }
                if since.is_some() {
                    let _ = reply.send(CatchUp {
                        upto: self.last_seq,
                    });
                }
                self.members.push(member);
            }
            Ctrl::Release { id } => {
                if let Some(i) = self.members.iter().position(|m| m.id == id) {
                    let m = &mut self.members[i];
                    let held = m.held.take().unwrap_or_default();
                    let ok = held.into_iter().all(|frames| m.outbox.push(frames));
                    if !ok {
                        self.members.swap_remove(i);
                    }
                }
            }
            Ctrl::Unsubscribe { id } => {
                if let Some(i) = self.members.iter().position(|m| m.id == id) {
                    self.members.swap_remove(i);
                }
            }
            Ctrl::Receipt(receipt) => {
                let frame = encode(&ServerFrame::Receipt(receipt.clone()));
                self.keep_receipt(receipt);
                self.fan_out(&frame);
            }
            Ctrl::PageData { limit, reply } => {
                let skip = self.recent.len().saturating_sub(limit);
                let _ = reply.send(PageData {
                    history: self.recent.iter().skip(skip).cloned().collect(),
                    receipts: self.receipts.clone(),
                });
            }
        }
    }

    /// Keeps `receipt` in place of the member's older one, most recently read first.
    fn keep_receipt(&mut self, receipt: Receipt) {
        self.receipts.retain(|r| r.user != receipt.user);
        let at = self.receipts.partition_point(|r| r.read >= receipt.read);
        self.receipts.insert(at, receipt);
        self.receipts.truncate(MAX_RECEIPTS as usize);
    }

    /// Queues `frames` for every member, dropping those that left or fell behind.
    fn fan_out(&mut self, frames: &Bytes) {
        self.version.fetch_add(1, Ordering::Release);
        self.members
            .retain_mut(|m| !m.is_gone() && m.deliver(frames));
    }

    async fn store_and_broadcast(&mut self, cmds: &mut Vec<SendCmd>) {
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
        let stored = match self.store.append(&self.room, batch).await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::error!(%error, room = %self.room.name, "could not store messages");
                for cmd in cmds.drain(..) {
                    cmd.reply.push_frame(&internal_error(cmd.client_id));
                }
                return;
            }
        };
        // Every new message of the batch, framed back to back: one write per member.
        let mut frames = BytesMut::new();
        for (cmd, appended) in cmds.drain(..).zip(stored) {
            let seq = appended.msg.seq;
            cmd.reply.push(encode(&ServerFrame::Ack {
                room: self.room.name.to_string(),
                client_id: cmd.client_id,
                seq,
            }));
            if appended.fresh {
                let frame = ServerFrame::Message(appended.msg);
                encode_into(&mut frames, &mut self.scratch, &frame);
                let ServerFrame::Message(msg) = frame else {
                    unreachable!()
                };
                self.last_seq = seq;
                if self.recent.len() == RECENT_KEPT {
                    self.recent.pop_front();
                }
                self.recent.push_back(msg);
            }
        }
        if !frames.is_empty() {
            self.fan_out(&frames.freeze());
        }
    }
}
