//! One room's actor: the only writer of the room's messages, the keeper of its members.

use std::{
    collections::VecDeque,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use bytes::{Bytes, BytesMut};
use tokio::{sync::mpsc, time::Instant};

use super::{internal_error, CatchUp, Ctrl, PageData, Rooms, SendCmd, Shared};
use crate::{
    protocol::{ChatMessage, ErrorCode, Receipt, ServerFrame},
    server::{
        model::{NewMessage, RoomRef},
        store::{Store, MAX_RECEIPTS},
        wire::{encode, encode_into, CloseReason, Outbox},
    },
    timestamp::Timestamp,
};

/// Sends a room queues before senders wait.
pub const SEND_QUEUE: usize = 1024;
/// Most messages stored in one transaction.
const MAX_BATCH: usize = 256;
/// Messages kept in memory for pages.
pub const RECENT_KEPT: usize = crate::page::HISTORY_ON_PAGE as usize;
/// Broadcasts held for a member that is catching up; more and it counts as too slow.
const MAX_HELD: usize = 1024;
/// Receipts are merged over this window: one frame per window carries every member's
/// change, so N readers cost O(N) frames per message, not O(N²).
pub const RECEIPT_WINDOW: Duration = Duration::from_millis(150);

/// When and how an idle room ends its task.
pub struct Retire {
    /// The hub's rooms, to take this one out of.
    pub rooms: Rooms,
    /// Time without members or use before the room ends.
    pub after: Duration,
}

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
    /// Version and last seq, for readers (see `RoomHandle`).
    shared: Arc<Shared>,
    /// Members' marker changes not yet broadcast, one per member, and when they go out.
    unsent_receipts: Vec<Receipt>,
    flush_at: Option<Instant>,
}

impl Room {
    pub fn new(store: Store, room: RoomRef, shared: Arc<Shared>) -> Self {
        Self {
            store,
            room,
            last_seq: 0,
            recent: VecDeque::new(),
            receipts: Vec::new(),
            members: Vec::new(),
            scratch: Vec::new(),
            shared,
            unsent_receipts: Vec::new(),
            flush_at: None,
        }
    }

    pub async fn run(
        mut self,
        mut sends: mpsc::Receiver<SendCmd>,
        mut ctrl: mpsc::UnboundedReceiver<Ctrl>,
        retire: Retire,
    ) {
        if !self.load(&sends).await {
            return;
        }
        let mut cmds = Vec::with_capacity(MAX_BATCH);
        let mut last_use = Instant::now();
        let mut idle_check = tokio::time::interval(retire.after.max(Duration::from_millis(10)));
        idle_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        idle_check.reset();
        loop {
            let flush_at = self.flush_at;
            tokio::select! {
                biased;
                Some(c) = ctrl.recv() => {
                    last_use = Instant::now();
                    self.on_ctrl(c);
                }
                n = sends.recv_many(&mut cmds, MAX_BATCH) => {
                    if n == 0 {
                        break;
                    }
                    last_use = Instant::now();
                    self.store_and_broadcast(&mut cmds).await;
                }
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => {
                    self.flush_receipts();
                }
                _ = idle_check.tick() => {
                    self.members.retain(|m| !m.is_gone());
                    if self.members.is_empty()
                        && self.flush_at.is_none()
                        && last_use.elapsed() >= retire.after
                        && self.retire(&retire.rooms, &sends, &ctrl)
                    {
                        tracing::debug!(room = %self.room.name, "idle room ended");
                        return;
                    }
                }
            }
        }
    }

    /// Takes the room out of the hub if nobody else can reach it: no handle is held
    /// outside the hub (every clone of a handle holds `shared`; clones are only made from
    /// the hub's map, under its lock, or from other clones) and nothing is queued.
    fn retire(
        &self,
        rooms: &Rooms,
        sends: &mpsc::Receiver<SendCmd>,
        ctrl: &mpsc::UnboundedReceiver<Ctrl>,
    ) -> bool {
        let mut rooms = rooms.lock().expect("hub lock");
        let ours = rooms
            .get(&self.room.name)
            .is_some_and(|h| Arc::ptr_eq(&h.shared, &self.shared));
        // The actor's own reference and the hub's handle.
        if !ours || Arc::strong_count(&self.shared) > 2 || !sends.is_empty() || !ctrl.is_empty() {
            return false;
        }
        rooms.remove(&self.room.name);
        true
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
                    self.shared
                        .last_seq
                        .fetch_max(self.last_seq, Ordering::AcqRel);
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
                self.keep_receipt(receipt.clone());
                match self
                    .unsent_receipts
                    .iter_mut()
                    .find(|r| r.user == receipt.user)
                {
                    Some(unsent) => *unsent = receipt,
                    None => self.unsent_receipts.push(receipt),
                }
                if self.flush_at.is_none() {
                    self.flush_at = Some(Instant::now() + RECEIPT_WINDOW);
                }
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

    /// Sends every member's marker changes of the window in one frame.
    fn flush_receipts(&mut self) {
        self.flush_at = None;
        if self.unsent_receipts.is_empty() {
            return;
        }
        let receipts = std::mem::take(&mut self.unsent_receipts);
        let frame = encode(&ServerFrame::receipts(self.room.name.as_str(), receipts));
        self.fan_out(&frame);
    }

    /// Queues `frames` for every member, dropping those that left or fell behind.
    fn fan_out(&mut self, frames: &Bytes) {
        self.shared.version.fetch_add(1, Ordering::Release);
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
            if appended.reused {
                cmd.reply.push_frame(&ServerFrame::error(
                    ErrorCode::ClientIdReused,
                    "This client_id was already used for another message; \
                     send a new message with a new client_id.",
                    Some(cmd.client_id),
                ));
                continue;
            }
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
        self.shared.last_seq.store(self.last_seq, Ordering::Release);
        if !frames.is_empty() {
            self.fan_out(&frames.freeze());
        }
    }
}
