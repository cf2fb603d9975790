//! The room's sequence on this node: the sends waiting stored as one batch and acked, and
//! every entry (stored here, published by another node, or read from the store to fill a
//! gap) delivered to the members once, in seq order, and kept for pages.

use std::sync::atomic::Ordering;

use bytes::BytesMut;
use tokio::time::Instant;

use super::{Room, FILL_PAGE, GAP_WAIT, RECENT_KEPT};
use crate::{
    protocol::{Entry, EntryKind, ServerFrame},
    server::{
        bus::Event,
        domain::markdown,
        hub::{
            handle::{Content, SendCmd},
            Sent,
        },
        model::NewEntry,
        wire::encode_into,
    },
    timestamp::Timestamp,
};

impl Room {
    pub(super) async fn store_and_broadcast(&mut self, cmds: &mut Vec<SendCmd>) {
        let ts = Timestamp::now();
        let batch: Vec<NewEntry> = cmds
            .iter()
            .map(|c| {
                let (kind, text, reply_to) = match &c.content {
                    Content::Text(text, quote) => (EntryKind::Message, text.as_str(), quote),
                    Content::Delete(seq) => (EntryKind::Delete(*seq), "", &None),
                    Content::Edit(seq, text) => (EntryKind::Edit(*seq), text.as_str(), &None),
                    Content::React { seq, emoji, undo } => {
                        let kind = EntryKind::React {
                            of: *seq,
                            undo: *undo,
                        };
                        (kind, emoji.as_str(), &None)
                    }
                };
                let new = NewEntry {
                    client_id: c.client_id,
                    author: c.author.clone(),
                    text: text.to_owned(),
                    ts,
                    kind,
                    reply_to: reply_to.clone(),
                    html: markdown::render_entry(kind, text),
                };
                new
            })
            .collect();
        let stored = match self.store.append(&self.room, batch).await {
            Ok(stored) => stored,
            Err(error) => {
                tracing::error!(%error, room = %self.room.name, "could not store messages");
                for cmd in cmds.drain(..) {
                    cmd.reply
                        .answer(self.room.name.as_str(), cmd.client_id, Sent::Failed);
                }
                return;
            }
        };
        // The page changes with these messages, and cached pages are keyed by the version:
        // it rises once, before any ack goes out, so whoever holds an ack never gets the page
        // from before its message. (A page asked for now reads its data from this actor,
        // after the messages are in.)
        if stored.iter().any(|a| a.fresh) {
            self.shared.version.fetch_add(1, Ordering::Release);
        }
        // So is the room's last seq: whoever holds an ack may mark its message read at once
        // (the mark is capped at it), before this actor has delivered it.
        if let Some(newest) = stored.iter().map(|a| a.msg.seq).max() {
            self.shared.last_seq.fetch_max(newest, Ordering::Release);
        }
        let mut fresh = Vec::new();
        for (cmd, appended) in cmds.drain(..).zip(stored) {
            let sent = if appended.reused {
                Sent::Reused
            } else if appended.too_many_reactions {
                Sent::TooManyReactions
            } else {
                Sent::Stored {
                    seq: appended.msg.seq,
                    fresh: appended.fresh,
                }
            };
            cmd.reply
                .answer(self.room.name.as_str(), cmd.client_id, sent);
            // A reused client_id is never fresh: nothing new to send.
            if appended.fresh {
                fresh.push(appended.msg);
            }
        }
        if fresh.is_empty() {
            return;
        }
        if self.bus.is_shared() {
            let messages = fresh.clone();
            self.bus
                .publish(&self.room.name, Event::Messages { messages });
        }
        self.accept(fresh, true);
    }

    /// Delivers `messages` (stored, in seq order) here, each once and every seq in order:
    /// those already delivered are skipped, those after a gap wait for it.
    /// `bumped`: the version was raised for them already.
    pub(super) fn accept(&mut self, messages: Vec<Entry>, bumped: bool) {
        // Every message delivered now, framed back to back: one write per member.
        let mut frames = BytesMut::new();
        for msg in messages {
            if msg.seq <= self.last_seq {
                continue;
            }
            if msg.seq == self.last_seq + 1 && self.pending.is_empty() {
                self.frame_and_keep(&mut frames, msg);
            } else {
                self.pending.insert(msg.seq, msg);
            }
        }
        while let Some(next) = self.pending.first_entry() {
            if *next.key() > self.last_seq + 1 {
                break;
            }
            let msg = next.remove();
            if msg.seq == self.last_seq + 1 {
                self.frame_and_keep(&mut frames, msg);
            }
        }
        self.gap_at = match self.pending.is_empty() {
            true => None,
            false => self.gap_at.or(Some(Instant::now() + GAP_WAIT)),
        };
        self.shared
            .last_seq
            .fetch_max(self.last_seq, Ordering::Release);
        if frames.is_empty() {
            return;
        }
        if bumped {
            self.send_all(&frames.freeze());
        } else {
            self.fan_out(&frames.freeze());
        }
    }

    /// Frames `msg` into `frames` and keeps it as the room's latest.
    fn frame_and_keep(&mut self, frames: &mut BytesMut, msg: Entry) {
        let seq = msg.seq;
        let frame = ServerFrame::Message(msg);
        encode_into(frames, &mut self.scratch, &frame);
        let ServerFrame::Message(msg) = frame else {
            unreachable!()
        };
        self.last_seq = seq;
        // A change (a deletion, an edit, a reaction) shows in its message, and takes no
        // message's place on the page: a burst of reactions leaves the page its messages.
        if let Some(target) = msg.changes() {
            if let Some(changed) = self.recent.iter_mut().find(|m| m.seq == target) {
                msg.apply_to(changed);
            }
            // Replies to it quote its words as they are now.
            if msg.requotes() {
                self.recent.iter_mut().for_each(|m| msg.requote(target, m));
            }
            return;
        }
        if self.recent.len() == RECENT_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(msg);
    }

    /// Delivers what the store has after `last_seq`: a gap that did not close, or what the
    /// bus lost.
    pub(super) async fn fill_from_store(&mut self) {
        loop {
            match self
                .store
                .messages_after(&self.room, self.last_seq, FILL_PAGE)
                .await
            {
                Ok(messages) => {
                    let full = messages.len() == FILL_PAGE as usize;
                    if !messages.is_empty() {
                        tracing::debug!(room = %self.room.name, from = self.last_seq + 1,
                            n = messages.len(), "filled from the store");
                    }
                    self.accept(messages, false);
                    if !full {
                        break;
                    }
                }
                Err(error) => {
                    tracing::error!(%error, room = %self.room.name, "could not fill a gap");
                    self.gap_at = Some(Instant::now() + GAP_WAIT);
                    break;
                }
            }
        }
    }
}
