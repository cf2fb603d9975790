//! One room's messages as a client holds them: stored ones in `seq` order, and my own
//! sends that the server has not echoed back yet. Pure data, so the rules are testable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    grouping::LogEntry,
    protocol::{ChatMessage, Receipt},
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoomLog {
    stored: Vec<ChatMessage>,
    pending: Vec<ChatMessage>,
    /// Each member's markers, by user id.
    receipts: BTreeMap<Uuid, Receipt>,
}

impl RoomLog {
    pub fn new(history: Vec<ChatMessage>) -> Self {
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

    /// Adds a stored message (in `seq` order, once) and settles my pending copy of it.
    pub fn insert(&mut self, msg: ChatMessage) {
        self.pending
            .retain(|p| !(p.client_id == msg.client_id && p.author_id == msg.author_id));
        match self.stored.last() {
            Some(last) if last.seq >= msg.seq => {
                if let Err(at) = self.stored.binary_search_by_key(&msg.seq, |m| m.seq) {
                    self.stored.insert(at, msg);
                }
            }
            _ => self.stored.push(msg),
        }
    }

    /// A message I am sending (its `seq` is 0 until acked). Ignored if it is already stored
    /// or pending (an outbox restored after a reload may hold it).
    pub fn add_pending(&mut self, msg: ChatMessage) {
        let known = |m: &ChatMessage| m.client_id == msg.client_id && m.author_id == msg.author_id;
        if !self.stored.iter().rev().any(known) && !self.pending.iter().any(known) {
            self.pending.push(msg);
        }
    }

    /// Merges a member's markers (they only ever rise).
    pub fn apply_receipt(&mut self, r: Receipt) {
        let entry = self.receipts.entry(r.user).or_insert_with(|| r.clone());
        entry.delivered = entry.delivered.max(r.delivered);
        entry.read = entry.read.max(r.read);
        entry.name = r.name;
    }

    pub fn receipts(&self) -> impl Iterator<Item = &Receipt> + Clone {
        self.receipts.values()
    }

    /// The server stored my message `client_id` as `seq`.
    pub fn ack(&mut self, client_id: Uuid, seq: u64) {
        if let Some(p) = self.pending.iter_mut().find(|p| p.client_id == client_id) {
            p.seq = seq;
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
    pub fn fail(&mut self, client_id: Uuid) -> Option<ChatMessage> {
        let at = self.pending.iter().position(|p| p.client_id == client_id)?;
        Some(self.pending.remove(at))
    }

    /// My sends not yet stored, oldest first.
    pub fn pending(&self) -> &[ChatMessage] {
        &self.pending
    }

    /// Everything to show, in order: stored messages, then my pending ones.
    pub fn entries(&self) -> Vec<LogEntry> {
        let stored = self.stored.iter().map(|m| LogEntry {
            msg: m.clone(),
            pending: false,
        });
        let pending = self.pending.iter().map(|m| LogEntry {
            msg: m.clone(),
            pending: true,
        });
        stored.chain(pending).collect()
    }

    /// The status of every message of mine (stored or pending), by `client_id`.
    pub fn statuses(&self, me: Uuid) -> BTreeMap<Uuid, crate::delivery::DeliveryStatus> {
        let mine = self
            .stored
            .iter()
            .chain(&self.pending)
            .filter(|m| m.author_id == me);
        mine.map(|m| {
            (
                m.client_id,
                crate::delivery::status(m.seq, me, self.receipts()),
            )
        })
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty() && self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::Timestamp;

    fn msg(seq: u64, client: u128) -> ChatMessage {
        ChatMessage {
            room: "r".into(),
            seq,
            id: Uuid::from_u128(seq as u128),
            client_id: Uuid::from_u128(client),
            author: "me".into(),
            author_id: Uuid::from_u128(7),
            text: format!("m{seq}"),
            ts: Timestamp::from_millis(0),
        }
    }

    fn seqs(log: &RoomLog) -> Vec<(u64, bool)> {
        log.entries()
            .iter()
            .map(|e| (e.msg.seq, e.pending))
            .collect()
    }

    #[test]
    fn stored_messages_are_ordered_and_unique() {
        let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
        log.insert(msg(4, 4));
        log.insert(msg(3, 3));
        log.insert(msg(2, 2)); // replayed twice
        assert_eq!(seqs(&log), [(1, false), (2, false), (3, false), (4, false)]);
        assert_eq!(log.last_seq(), 4);
    }

    #[test]
    fn a_pending_send_is_settled_by_its_echo() {
        let mut log = RoomLog::new(vec![msg(1, 1)]);
        log.add_pending(msg(0, 50));
        log.add_pending(msg(0, 51));
        assert_eq!(seqs(&log), [(1, false), (0, true), (0, true)]);
        log.ack(Uuid::from_u128(50), 2);
        assert_eq!(seqs(&log), [(1, false), (2, true), (0, true)]);
        log.insert(msg(2, 50));
        assert_eq!(seqs(&log), [(1, false), (2, false), (0, true)]);
        assert_eq!(log.pending().len(), 1);
        assert_eq!(
            log.fail(Uuid::from_u128(51)).map(|m| m.client_id),
            Some(Uuid::from_u128(51))
        );
        assert!(log.pending().is_empty());
        assert_eq!(log.fail(Uuid::from_u128(51)), None);
    }

    #[test]
    fn a_restored_outbox_does_not_duplicate_what_is_stored() {
        let mut log = RoomLog::new(vec![msg(1, 1)]);
        log.add_pending(msg(0, 1)); // stored already
        log.add_pending(msg(0, 2));
        log.add_pending(msg(0, 2)); // twice
        assert_eq!(seqs(&log), [(1, false), (0, true)]);
        // A retry of something stored before the reload is acked without an echo.
        let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
        log.pending.push(msg(0, 2));
        log.ack(Uuid::from_u128(2), 2);
        assert!(log.pending().is_empty());
    }

    #[test]
    fn receipts_only_rise_and_drive_statuses() {
        use crate::protocol::Receipt;
        let me = Uuid::from_u128(7);
        let bob = Uuid::from_u128(8);
        let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
        log.add_pending(msg(0, 3));
        let r = |d, rd| Receipt {
            room: "r".into(),
            user: bob,
            name: "bob".into(),
            delivered: d,
            read: rd,
        };
        log.apply_receipt(r(2, 1));
        log.apply_receipt(r(1, 0)); // late, lower: ignored
        let st = log.statuses(me);
        assert_eq!(st[&Uuid::from_u128(1)].label(), "Read");
        assert_eq!(st[&Uuid::from_u128(2)].label(), "Delivered");
        assert_eq!(st[&Uuid::from_u128(3)].label(), "Sending");
    }
}
