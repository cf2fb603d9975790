//! One room's actor on this node: the writer of the room's messages sent here, the keeper
//! of its members here.
//!
//! Members get every message exactly once and in seq order, whichever node stored it. The
//! actor delivers seq `n + 1` only after `n`: a message that arrives early (another node
//! published 7 before this one heard of 6) waits in `pending`, and a gap that does not
//! close within `GAP_WAIT` is filled from the store. In a cluster the actor also asks
//! the store every `CHECK_EVERY` whether the room has moved on, so an event the bus lost
//! (at the end of a burst, or while Redis restarted) is delivered all the same.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use bytes::Bytes;
use tokio::{sync::mpsc, time::Instant};
use uuid::Uuid;

mod presence;
mod receipts;
mod removals;
mod sequence;

use super::member::Member;
use presence::{PresenceState, CHECK_EVERY};
use receipts::Receipts;
use removals::Removals;

use super::handle::{CatchUp, Ctrl, PageData, Rooms, SendCmd, Shared};
use crate::{
    protocol::{Entry, ErrorCode, Presence, ServerFrame, PRESENCE_MAX},
    server::{
        bus::{Bus, Event},
        model::RoomRef,
        store::{Store, MAX_RECEIPTS},
        wire::encode,
    },
};

/// Sends a room queues before senders wait.
pub const SEND_QUEUE: usize = 1024;
/// Most messages stored in one transaction.
const MAX_BATCH: usize = 256;
/// Messages kept in memory for pages.
pub const RECENT_KEPT: usize = crate::page::HISTORY_ON_PAGE as usize;
/// How long a message that came before its predecessor waits for it before the gap is
/// filled from the store.
pub const GAP_WAIT: Duration = Duration::from_millis(200);
/// Messages read from the store at once when filling a gap.
const FILL_PAGE: u32 = 500;

/// When and how an idle room ends its task.
pub struct Retire {
    /// The hub's rooms, to take this one out of.
    pub rooms: Rooms,
    /// Time without members or use before the room ends.
    pub after: Duration,
}

pub struct Room {
    store: Store,
    bus: Bus,
    room: RoomRef,
    /// The highest seq delivered here; every seq up to it was delivered, in order.
    last_seq: u64,
    /// Messages that came before their predecessors, by seq.
    pending: BTreeMap<u64, Entry>,
    /// When a gap before `pending` is filled from the store.
    gap_at: Option<Instant>,
    recent: VecDeque<Entry>,
    /// Members' markers.
    receipts: Receipts,
    members: Vec<Member>,
    /// Reused for each message's JSON.
    scratch: Vec<u8>,
    /// Version and last seq, for readers (see `RoomHandle`).
    shared: Arc<Shared>,
    /// Who is in the room, here and on the other nodes.
    presence: PresenceState,
    /// Who was removed lately (their new sockets are checked).
    removals: Removals,
    /// The room's topic, for pages (empty: none).
    topic: String,
}

impl Room {
    pub fn new(store: Store, bus: Bus, room: RoomRef, shared: Arc<Shared>) -> Self {
        Self {
            store,
            bus,
            room,
            last_seq: 0,
            pending: BTreeMap::new(),
            gap_at: None,
            recent: VecDeque::new(),
            receipts: Receipts::default(),
            members: Vec::new(),
            scratch: Vec::new(),
            shared,
            presence: PresenceState::new(),
            removals: Removals::default(),
            topic: String::new(),
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
        let mut store_check = tokio::time::interval(CHECK_EVERY);
        store_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        store_check.reset();
        let shared_bus = self.bus.is_shared();
        loop {
            let flush_at = self.receipts.flush_at();
            let gap_at = self.gap_at;
            let presence_at = self.presence.due;
            let newcomers_at = self.presence.newcomers_due;
            tokio::select! {
                biased;
                Some(c) = ctrl.recv() => {
                    if !matches!(c, Ctrl::Remote(_) | Ctrl::Resync) {
                        last_use = Instant::now();
                    }
                    self.on_ctrl(c).await;
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
                _ = tokio::time::sleep_until(presence_at.unwrap_or_else(Instant::now)), if presence_at.is_some() => {
                    self.send_presence();
                }
                _ = tokio::time::sleep_until(newcomers_at.unwrap_or_else(Instant::now)), if newcomers_at.is_some() => {
                    self.send_newcomers();
                }
                _ = tokio::time::sleep_until(gap_at.unwrap_or_else(Instant::now)), if gap_at.is_some() => {
                    self.gap_at = None;
                    self.fill_from_store().await;
                }
                _ = store_check.tick(), if shared_bus => {
                    // Still here, for the other nodes; and whoever they stopped naming is
                    // offline.
                    if !self.presence.published.is_empty() {
                        self.publish_presence();
                    }
                    self.presence.expire(Instant::now());
                    if let Ok(Some((_, last))) = self.store.find_room(&self.room.name).await {
                        if last > self.last_seq {
                            self.fill_from_store().await;
                        }
                    }
                }
                _ = idle_check.tick() => {
                    self.drop_gone();
                    if self.members.is_empty()
                        && self.receipts.flush_at().is_none()
                        && self.presence.due.is_none()
                        && self.presence.newcomers_due.is_none()
                        && last_use.elapsed() >= retire.after
                        && self.retire(&retire.rooms, &sends, &ctrl)
                    {
                        self.bus.unsubscribe(&self.room.name);
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
        // Subscribed first: whatever is stored after the load below also comes by the bus.
        self.bus.subscribe(&self.room.name).await;
        loop {
            let recent = self.store.recent(&self.room.name, RECENT_KEPT as u32).await;
            let receipts = self.store.receipts(&self.room.name, MAX_RECEIPTS).await;
            let topic = self.store.topic(&self.room).await;
            match recent.and_then(|r| Ok((r, receipts?, topic?))) {
                Ok((recent, receipts, topic)) => {
                    self.topic = topic;
                    self.last_seq = recent.last().map_or(0, |m| m.seq);
                    self.shared
                        .last_seq
                        .fetch_max(self.last_seq, Ordering::AcqRel);
                    // Changes are in their messages already (see `deliver`).
                    self.recent = recent
                        .into_iter()
                        .filter(|m| m.changes().is_none())
                        .collect();
                    self.receipts.replace(receipts);
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

    async fn on_ctrl(&mut self, ctrl: Ctrl) {
        match ctrl {
            Ctrl::Subscribe {
                member,
                since,
                reply,
            } => {
                if !self.presence.has_members() {
                    self.load_members().await;
                }
                // A member now, even if the socket is gone already.
                self.presence.joined(member.user, &member.name);
                if member.is_gone() {
                    return;
                }
                if since.is_some() {
                    let _ = reply.send(CatchUp {
                        upto: self.last_seq,
                        receipts: self.receipts.frame(self.room.name.as_str()),
                    });
                }
                let (user, id) = (member.user, member.id);
                self.members.push(member);
                if self.removals.recent(user, Instant::now()) {
                    self.recheck(user).await;
                }
                if since.is_none() {
                    self.joined(id);
                }
            }
            Ctrl::Release { id } => {
                if let Some(i) = self.members.iter().position(|m| m.id == id) {
                    let m = &mut self.members[i];
                    let held = m.held.take().unwrap_or_default();
                    let ok = held.into_iter().all(|frames| m.outbox.push(frames));
                    if !ok {
                        self.members.swap_remove(i);
                    } else {
                        self.joined(id);
                    }
                }
            }
            Ctrl::Unsubscribe { id } => {
                if let Some(i) = self.members.iter().position(|m| m.id == id) {
                    self.members.swap_remove(i);
                    self.presence.changed();
                }
            }
            Ctrl::Receipt(receipt) => {
                if self.bus.is_shared() {
                    let receipts = vec![receipt.clone()];
                    self.bus
                        .publish(&self.room.name, Event::Receipts { receipts });
                }
                self.receipts.take(receipt);
            }
            Ctrl::Remote(Event::Receipts { receipts }) => {
                for receipt in receipts {
                    self.receipts.take(receipt);
                }
            }
            Ctrl::Remote(Event::Messages { messages }) => self.accept(messages, false),
            Ctrl::Remove { user, banned } => {
                self.bus
                    .publish(&self.room.name, Event::Removed { user, banned });
                self.remove(user, banned);
            }
            Ctrl::Remote(Event::Removed { user, banned }) => self.remove(user, banned),
            Ctrl::Typing { user, name } => {
                if self.bus.is_shared() {
                    let event = Event::Typing {
                        user,
                        name: name.clone(),
                    };
                    self.bus.publish(&self.room.name, event);
                }
                self.typing(user, name);
            }
            Ctrl::Remote(Event::Typing { user, name }) => self.typing(user, name),
            Ctrl::Topic(topic) => {
                self.bus.publish(
                    &self.room.name,
                    Event::Topic {
                        topic: topic.clone(),
                    },
                );
                self.topic_changed(topic).await;
            }
            Ctrl::Remote(Event::Topic { topic }) => self.topic_changed(topic).await,
            Ctrl::Remote(Event::Presence { actor, online }) => {
                // A node that just started hears at once who is here.
                if self.presence.remote(actor, online) && !self.presence.published.is_empty() {
                    self.publish_presence();
                }
            }
            Ctrl::Resync => {
                self.fill_from_store().await;
                // A topic the bus lost.
                if let Ok(topic) = self.store.topic(&self.room).await {
                    self.set_topic(topic);
                }
                // Receipts the bus lost: whatever the store has that this room does not.
                if let Ok(stored) = self.store.receipts(&self.room.name, MAX_RECEIPTS).await {
                    for receipt in stored {
                        if !self.receipts.list().contains(&receipt) {
                            self.receipts.take(receipt);
                        }
                    }
                }
            }
            Ctrl::PageData { limit, reply } => {
                let skip = self.recent.len().saturating_sub(limit);
                let _ = reply.send(PageData {
                    history: self.recent.iter().skip(skip).cloned().collect(),
                    receipts: self.receipts.list().to_vec(),
                    topic: self.topic.clone(),
                });
            }
        }
    }

    /// Answers subscription `id`'s `join`: it is live from the room's last `seq` on (what
    /// came before was replayed or held and is queued already). A socket whose queue is
    /// full is closed by this push, and forgotten with the others that are gone.
    fn joined(&self, id: u64) {
        if let Some(m) = self.members.iter().find(|m| m.id == id) {
            m.outbox.push_frame(&ServerFrame::Joined {
                room: self.room.name.to_string(),
                seq: self.last_seq,
            });
        }
    }

    /// `user` is no longer a member: their sockets are told and leave the room, and their
    /// markers leave what pages show.
    fn remove(&mut self, user: Uuid, banned: bool) {
        let why = if banned {
            format!("You were banned from #{}.", self.room.name)
        } else {
            format!("You were removed from #{}.", self.room.name)
        };
        let frame = encode(&ServerFrame::error(ErrorCode::Removed, why, None));
        self.members.retain(|m| {
            if m.user != user {
                return true;
            }
            m.gone.store(true, Ordering::Release);
            m.outbox.push(frame.clone());
            false
        });
        self.receipts.forget(user);
        self.presence.removed(user);
        self.removals.record(user, Instant::now());
        self.shared.version.fetch_add(1, Ordering::Release);
    }

    /// `user` was removed lately, and a socket of theirs has just subscribed: its join may
    /// have read the membership before the removal. The store decides; when it cannot be
    /// read, the socket is removed (it may join again).
    async fn recheck(&mut self, user: Uuid) {
        let banned = match self.store.room_facts(&self.room.name, Some(user)).await {
            Ok(Some(facts)) if facts.member.is_some() && !facts.banned => return,
            Ok(facts) => facts.is_some_and(|f| f.banned),
            Err(error) => {
                tracing::warn!(%error, room = %self.room.name, "could not check a membership");
                false
            }
        };
        self.remove(user, banned);
    }

    /// Tells everyone in the room but `user` that `user` is typing. Nothing a page shows
    /// changes (the version stays).
    fn typing(&mut self, user: Uuid, name: String) {
        let frame = encode(&ServerFrame::Typing {
            room: self.room.name.to_string(),
            user,
            name,
        });
        let before = self.members.len();
        self.members
            .retain_mut(|m| m.user == user || (!m.is_gone() && m.deliver(&frame)));
        self.left_if(before);
    }

    /// A topic was stored (here or on another node): the store's is the room's, so that two
    /// set at once end the same on every node whatever order their news came in; `told`
    /// if the store cannot say.
    async fn topic_changed(&mut self, told: String) {
        let topic = self.store.topic(&self.room).await.unwrap_or(told);
        self.set_topic(topic);
    }

    /// The topic is now `topic`: pages show it, members are told.
    fn set_topic(&mut self, topic: String) {
        if topic == self.topic {
            return;
        }
        let frame = encode(&ServerFrame::Topic {
            room: self.room.name.to_string(),
            topic: topic.clone(),
        });
        self.topic = topic;
        self.shared.version.fetch_add(1, Ordering::Release);
        let before = self.members.len();
        self.members
            .retain_mut(|m| !m.is_gone() && m.deliver(&frame));
        self.left_if(before);
    }

    /// Reads who the list shows offline, when the first socket joins (a room opened for
    /// pages alone never needs it). A room that cannot say lists only who comes online.
    async fn load_members(&mut self) {
        match self.store.members(&self.room, PRESENCE_MAX as u32).await {
            Ok(members) => self
                .presence
                .members(members.into_iter().map(|m| (m.user_id, m.name))),
            Err(error) => {
                tracing::warn!(%error, room = %self.room.name, "could not read the members")
            }
        }
    }

    /// Forgets the sockets that left or closed.
    fn drop_gone(&mut self) {
        let before = self.members.len();
        self.members.retain(|m| !m.is_gone());
        self.left_if(before);
    }

    /// Someone may have gone offline: there were `before` sockets.
    fn left_if(&mut self, before: usize) {
        if self.members.len() != before {
            self.presence.changed();
        }
    }

    /// Tells the other nodes whom this one has online.
    fn publish_presence(&mut self) {
        let event = Event::Presence {
            actor: self.presence.actor,
            online: self.presence.published.clone(),
        };
        self.bus.publish(&self.room.name, event);
    }

    /// Sends the room's `presence` to every socket here if it changed, else to those that
    /// never had it; and tells the other nodes if whom this node has online changed.
    fn send_presence(&mut self) {
        self.drop_gone();
        self.presence.sending();
        let local = presence::online(self.members.iter().map(|m| (&m.user, &m.name)));
        if self.bus.is_shared() && local != self.presence.published {
            self.presence.published = local.clone();
            self.publish_presence();
        }
        let (online, members, changed) = self.presence.list(&local);
        if !changed && self.members.iter().all(|m| m.knows_presence) {
            return;
        }
        self.deliver_presence(online, members, changed);
    }

    /// Sends the sockets that joined since the last list the room's list as it is now;
    /// the others have theirs when the window ends (see `PresenceState::changed`).
    fn send_newcomers(&mut self) {
        self.presence.newcomers_due = None;
        // The list goes out to everyone as soon: theirs is in it.
        if self
            .presence
            .due
            .is_some_and(|due| due <= Instant::now() + presence::PRESENCE_QUIET)
        {
            return;
        }
        self.drop_gone();
        if self.members.iter().all(|m| m.knows_presence) {
            return;
        }
        let local = presence::online(self.members.iter().map(|m| (&m.user, &m.name)));
        let (online, members) = self.presence.current(&local);
        self.deliver_presence(online, members, false);
    }

    /// Sends the list (`online` of `members` are online) to every socket here, or with
    /// `everyone` false to those that never had it.
    fn deliver_presence(&mut self, online: usize, members: Vec<String>, everyone: bool) {
        let frame = encode(&ServerFrame::Presence(Presence {
            room: self.room.name.to_string(),
            online,
            members,
        }));
        let before = self.members.len();
        self.members.retain_mut(|m| {
            if !everyone && m.knows_presence {
                return true;
            }
            m.knows_presence = true;
            m.deliver(&frame)
        });
        // A socket too slow for this frame left: the others hear of it next time round.
        self.left_if(before);
    }

    /// Queues `frames` for every member, dropping those that left or fell behind.
    fn fan_out(&mut self, frames: &Bytes) {
        self.shared.version.fetch_add(1, Ordering::Release);
        self.send_all(frames);
    }

    /// Queues `frames` for every member (the version was raised already).
    fn send_all(&mut self, frames: &Bytes) {
        let before = self.members.len();
        self.members
            .retain_mut(|m| !m.is_gone() && m.deliver(frames));
        self.left_if(before);
    }

    /// Sends every member's marker changes of the window in one frame.
    fn flush_receipts(&mut self) {
        let receipts = self.receipts.take_unsent();
        if receipts.is_empty() {
            return;
        }
        let frame = encode(&ServerFrame::receipts(self.room.name.as_str(), receipts));
        self.fan_out(&frame);
    }
}
