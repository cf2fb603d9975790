//! One room's messages as a client holds them: stored ones in `seq` order, and my own
//! sends that the server has not echoed back yet. Pure data, so the rules are testable.
//! Only a bounded stretch of the stored history is held: older messages are forgotten
//! and fetched again when the reader scrolls back to them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::{Entry, Receipt};

/// Stored messages held at most once older ones are no longer shown.
pub const MAX_HELD: usize = 2_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoomLog {
    stored: Vec<Entry>,
    pending: Vec<Entry>,
    /// Each member's markers, by user id.
    receipts: BTreeMap<Uuid, Receipt>,
    /// Rises whenever `pending` changes (a send, an ack, an echo, a refusal).
    pending_changes: u64,
    /// The server has nothing older than the first stored message.
    at_start: bool,
}

impl RoomLog {
    pub fn new(history: Vec<Entry>) -> Self {
        let mut log = Self::default();
        for m in history {
            log.insert(m);
        }
        log
    }

    /// The highest `seq` held: what to pass as `since` when (re)joining.
    pub fn last_seq(&self) -> u64 {
        self.stored.last().map_or(0, |m| m.seq)
    }

    /// The lowest `seq` held (0 when none is).
    pub fn first_seq(&self) -> u64 {
        self.stored.first().map_or(0, |m| m.seq)
    }

    /// Stored messages held.
    pub fn len(&self) -> usize {
        self.stored.len()
    }

    /// Whether the server may hold messages older than the first one held (`seq`s start
    /// at 1 and have no gaps).
    pub fn has_older(&self) -> bool {
        !self.at_start && self.stored.first().is_some_and(|m| m.seq > 1)
    }

    /// The server said there is nothing before the first message held.
    pub fn reached_start(&mut self) {
        self.at_start = true;
    }

    /// Adds a stored message (in `seq` order, once) and settles my pending copy of it.
    /// Returns whether it was new.
    pub fn insert(&mut self, msg: Entry) -> bool {
        let before = self.pending.len();
        self.pending
            .retain(|p| !(p.client_id == msg.client_id && p.author_id == msg.author_id));
        if self.pending.len() != before {
            self.pending_changes += 1;
        }
        // A deletion or an edit changes its message wherever it is held.
        let change = msg.changes().is_some().then(|| msg.clone());
        let new = match self.stored.last() {
            Some(last) if last.seq >= msg.seq => {
                match self.stored.binary_search_by_key(&msg.seq, |m| m.seq) {
                    Ok(_) => false,
                    Err(at) => {
                        self.stored.insert(at, msg);
                        true
                    }
                }
            }
            _ => {
                self.stored.push(msg);
                true
            }
        };
        if let Some(change) = change.filter(|_| new) {
            let target = change.changes().unwrap_or_default();
            if let Ok(at) = self.stored.binary_search_by_key(&target, |m| m.seq) {
                change.apply_to(&mut self.stored[at]);
            }
            if change.requotes() {
                let after = self.stored.partition_point(|m| m.seq <= target);
                for reply in &mut self.stored[after..] {
                    change.requote(target, reply);
                }
            }
        }
        new
    }

    /// The stored message `seq`, if held.
    pub fn message(&self, seq: u64) -> Option<&Entry> {
        let at = self.stored.binary_search_by_key(&seq, |m| m.seq).ok()?;
        self.stored.get(at)
    }

    /// Up to `n` stored messages just before `seq`, oldest first.
    pub fn before(&self, seq: u64, n: usize) -> &[Entry] {
        let end = self.stored.partition_point(|m| m.seq < seq);
        &self.stored[end.saturating_sub(n)..end]
    }

    /// Up to `n` stored messages just after `seq`, oldest first.
    pub fn after(&self, seq: u64, n: usize) -> &[Entry] {
        let start = self.stored.partition_point(|m| m.seq <= seq);
        &self.stored[start..(start.saturating_add(n)).min(self.stored.len())]
    }

    /// The last `n` stored messages, oldest first.
    pub fn latest(&self, n: usize) -> &[Entry] {
        &self.stored[self.stored.len().saturating_sub(n)..]
    }

    /// Forgets stored messages before `seq` (they can be fetched again).
    pub fn forget_before(&mut self, seq: u64) {
        let cut = self.stored.partition_point(|m| m.seq < seq);
        if cut > 0 {
            self.stored.drain(..cut);
            self.at_start = false;
        }
    }

    /// A message I am sending (its `seq` is 0 until acked). Ignored if it is already stored
    /// or pending (an outbox restored after a reload may hold it).
    pub fn add_pending(&mut self, msg: Entry) {
        let known = |m: &Entry| m.client_id == msg.client_id && m.author_id == msg.author_id;
        if !self.stored.iter().rev().any(known) && !self.pending.iter().any(known) {
            self.pending.push(msg);
            self.pending_changes += 1;
        }
    }

    /// Merges a member's markers (they only ever rise).
    pub fn apply_receipt(&mut self, r: Receipt) {
        let entry = self.receipts.entry(r.user).or_insert_with(|| r.clone());
        entry.delivered = entry.delivered.max(r.delivered);
        entry.read = entry.read.max(r.read);
        entry.name = r.name;
    }

    /// The first message held that `me` has not read (someone else's, not a deletion):
    /// where "New messages" goes. None for someone with no marker here (not a member).
    pub fn first_unread(&self, me: Uuid) -> Option<u64> {
        let read = self.receipts.get(&me)?.read;
        self.stored
            .iter()
            .find(|m| m.seq > read && m.author_id != me && m.changes().is_none() && !m.deleted)
            .map(|m| m.seq)
    }

    pub fn receipts(&self) -> impl Iterator<Item = &Receipt> + Clone {
        self.receipts.values()
    }

    /// The server stored my message `client_id` as `seq`.
    pub fn ack(&mut self, client_id: Uuid, seq: u64) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.client_id == client_id) {
            p.seq = seq;
            self.pending_changes += 1;
        }
        // A re-sent message that is already stored is acked without an echo.
        let stored = self
            .stored
            .binary_search_by_key(&seq, |m| m.seq)
            .is_ok_and(|at| self.stored[at].client_id == client_id);
        if stored {
            self.pending.retain(|p| p.client_id != client_id);
        }
    }

    /// The server refused my message `client_id`; it is taken out and returned.
    pub fn fail(&mut self, client_id: Uuid) -> Option<Entry> {
        let at = self.pending.iter().position(|p| p.client_id == client_id)?;
        self.pending_changes += 1;
        Some(self.pending.remove(at))
    }

    /// My sends not yet stored, oldest first.
    pub fn pending(&self) -> &[Entry] {
        &self.pending
    }

    /// A number that changes whenever `pending()` does.
    pub fn pending_changes(&self) -> u64 {
        self.pending_changes
    }

    /// The status of my message stored (or acked) as `seq`.
    pub fn status(&self, seq: u64, me: Uuid) -> crate::delivery::DeliveryStatus {
        crate::delivery::status(seq, me, self.receipts())
    }

    /// My message stored as `seq` (0: my latest) that may be edited: stored, mine, not a
    /// deletion or an edit, not deleted. None for my latest while a message of mine is still
    /// on its way: that one is my latest, and it cannot be edited before it is stored.
    pub fn editable(&self, me: Uuid, seq: u64) -> Option<&Entry> {
        if seq == 0 && self.pending.iter().any(|m| m.changes().is_none()) {
            return None;
        }
        self.stored.iter().rev().find(|m| {
            m.author_id == me && m.changes().is_none() && !m.deleted && (seq == 0 || m.seq == seq)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty() && self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests;
