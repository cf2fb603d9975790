//! One room's messages as a client holds them: stored ones in `seq` order, and my own
//! sends that the server has not echoed back yet. Pure data, so the rules are testable.
//! Only a bounded stretch of the stored history is held: older messages are forgotten
//! and fetched again when the reader scrolls back to them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::{ChatMessage, Receipt};

/// Stored messages held at most once older ones are no longer shown.
pub const MAX_HELD: usize = 2_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoomLog {
    stored: Vec<ChatMessage>,
    pending: Vec<ChatMessage>,
    /// Each member's markers, by user id.
    receipts: BTreeMap<Uuid, Receipt>,
    /// Rises whenever `pending` changes (a send, an ack, an echo, a refusal).
    pending_changes: u64,
    /// The server has nothing older than the first stored message.
    at_start: bool,
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
    pub fn insert(&mut self, msg: ChatMessage) -> bool {
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
        }
        new
    }

    /// Up to `n` stored messages just before `seq`, oldest first.
    pub fn before(&self, seq: u64, n: usize) -> &[ChatMessage] {
        let end = self.stored.partition_point(|m| m.seq < seq);
        &self.stored[end.saturating_sub(n)..end]
    }

    /// Up to `n` stored messages just after `seq`, oldest first.
    pub fn after(&self, seq: u64, n: usize) -> &[ChatMessage] {
        let start = self.stored.partition_point(|m| m.seq <= seq);
        &self.stored[start..(start.saturating_add(n)).min(self.stored.len())]
    }

    /// The last `n` stored messages, oldest first.
    pub fn latest(&self, n: usize) -> &[ChatMessage] {
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
    pub fn add_pending(&mut self, msg: ChatMessage) {
        let known = |m: &ChatMessage| m.client_id == msg.client_id && m.author_id == msg.author_id;
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
    pub fn fail(&mut self, client_id: Uuid) -> Option<ChatMessage> {
        let at = self.pending.iter().position(|p| p.client_id == client_id)?;
        self.pending_changes += 1;
        Some(self.pending.remove(at))
    }

    /// My sends not yet stored, oldest first.
    pub fn pending(&self) -> &[ChatMessage] {
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
            bot: false,
            deletes: None,
            deleted: false,
            edits: None,
            edited: None,
            html: None,
        }
    }

    fn seqs(log: &RoomLog) -> Vec<(u64, bool)> {
        let stored = log.after(0, usize::MAX).iter().map(|m| (m.seq, false));
        stored
            .chain(log.pending().iter().map(|m| (m.seq, true)))
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
    fn a_deletion_makes_a_tombstone_once_it_arrives() {
        let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
        // My deletion waits like a send, then its echo settles it and applies it.
        let mut deletion = ChatMessage {
            seq: 0,
            text: String::new(),
            deletes: Some(1),
            ..msg(0, 9)
        };
        log.add_pending(deletion.clone());
        assert_eq!(
            log.after(0, 1)[0].text,
            "m1",
            "nothing changes before it is stored"
        );
        deletion.seq = 3;
        assert!(log.insert(deletion.clone()));
        assert!(log.pending().is_empty());
        let first = &log.after(0, 1)[0];
        assert!(first.deleted && first.text.is_empty());
        // Replayed again (a catch-up), it changes nothing more.
        assert!(!log.insert(deletion));
        assert_eq!(log.last_seq(), 3);
    }

    #[test]
    fn an_edit_gives_its_message_the_new_text_and_a_deleted_one_stays_deleted() {
        let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
        let edit = |seq: u64, of: u64, text: &str| ChatMessage {
            text: text.into(),
            html: Some(format!("<p>{text}</p>")),
            edits: Some(of),
            ..msg(seq, 10 + seq as u128)
        };
        // Pending, it changes nothing; its echo applies it.
        log.add_pending(edit(0, 1, "early"));
        assert_eq!(log.after(0, 1)[0].text, "m1");
        assert!(log.insert(edit(3, 1, "better")));
        assert!(log.insert(edit(4, 1, "best")));
        let first = &log.after(0, 1)[0];
        assert_eq!(
            (first.text.as_str(), first.html.as_deref(), first.edited),
            ("best", Some("<p>best</p>"), Some(4))
        );
        // Replayed (a catch-up), an older edit changes nothing.
        assert!(!log.insert(edit(3, 1, "better")));
        assert_eq!(log.after(0, 1)[0].text, "best");
        // An edit that arrives after its message's deletion does not bring it back.
        let deletion = ChatMessage {
            text: String::new(),
            deletes: Some(2),
            ..msg(5, 2)
        };
        assert!(log.insert(deletion));
        assert!(log.insert(edit(6, 2, "back?")));
        let second = &log.after(1, 1)[0];
        assert!(second.deleted && second.text.is_empty() && second.edited.is_none());
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
    fn the_first_unread_is_someone_elses_message_after_my_read_marker() {
        let me = Uuid::from_u128(99);
        let mut log = RoomLog::new((1..=5).map(|s| msg(s, s as u128)).collect());
        assert_eq!(log.first_unread(me), None, "not a member: no marker");
        let mut mine = msg(6, 6);
        mine.author_id = me;
        log.insert(mine);
        let marker = |read| Receipt {
            room: String::new(),
            user: me,
            name: "me".into(),
            delivered: read,
            read,
        };
        log.apply_receipt(marker(2));
        assert_eq!(log.first_unread(me), Some(3));
        log.apply_receipt(marker(5));
        assert_eq!(log.first_unread(me), None, "what is left is my own");
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
        assert_eq!(log.status(1, me).label(), "Read");
        assert_eq!(log.status(2, me).label(), "Delivered");
        assert_eq!(log.status(log.pending()[0].seq, me).label(), "Sending");
    }

    #[test]
    fn windows_of_the_history_and_forgetting() {
        let mut log = RoomLog::new((5..=20).map(|s| msg(s, s as u128)).collect());
        let seqs = |m: &[ChatMessage]| m.iter().map(|m| m.seq).collect::<Vec<_>>();
        assert_eq!(seqs(log.before(8, 2)), [6, 7]);
        assert_eq!(seqs(log.before(6, 10)), [5]);
        assert_eq!(seqs(log.after(18, 10)), [19, 20]);
        assert_eq!(seqs(log.latest(3)), [18, 19, 20]);
        assert!(log.has_older(), "seq 5 is not the first of the room");
        assert!(log.insert(msg(4, 4)), "an older page goes in front");
        assert!(!log.insert(msg(4, 4)));
        log.forget_before(10);
        assert_eq!(log.len(), 11);
        assert_eq!(seqs(log.latest(1)), [20]);
        let mut start = RoomLog::new(vec![msg(1, 1)]);
        assert!(!start.has_older());
        start.insert(msg(3, 3));
        start.forget_before(3);
        assert!(start.has_older());
        start.reached_start();
        assert!(!start.has_older());
    }

    #[test]
    fn pending_changes_are_counted() {
        let mut log = RoomLog::new(vec![msg(1, 1)]);
        let c0 = log.pending_changes();
        log.add_pending(msg(0, 9));
        log.ack(Uuid::from_u128(9), 2);
        log.insert(msg(2, 9));
        assert_eq!(log.pending_changes(), c0 + 3);
        log.insert(msg(3, 3)); // not mine: no change
        assert_eq!(log.pending_changes(), c0 + 3);
    }
}
