//! Members' markers in a room's actor: kept (the most recently read first), merged over
//! `RECEIPT_WINDOW`, and sent as one `receipts` frame to everyone.

use bytes::Bytes;
use tokio::time::Instant;

use super::{Room, RECEIPT_WINDOW};
use crate::{
    protocol::{Receipt, ServerFrame},
    server::{store::MAX_RECEIPTS, wire::encode},
};

/// Members' markers (at most `MAX_RECEIPTS`, the most recently read first), and the
/// `receipts` frame of them that a socket catching up gets (every one after a restart):
/// made once, until a marker changes.
#[derive(Default)]
pub(super) struct Receipts {
    list: Vec<Receipt>,
    frame: Option<Bytes>,
}

impl Receipts {
    pub(super) fn list(&self) -> &[Receipt] {
        &self.list
    }

    /// In place of all of them (the store's, when the room loads).
    pub(super) fn replace(&mut self, list: Vec<Receipt>) {
        self.list = list;
        self.frame = None;
    }

    /// `user` left the room: their markers go.
    pub(super) fn forget(&mut self, user: uuid::Uuid) {
        self.list.retain(|r| r.user != user);
        self.frame = None;
    }

    /// Keeps `receipt` in place of the member's older one, most recently read first.
    fn keep(&mut self, receipt: Receipt) {
        self.list.retain(|r| r.user != receipt.user);
        let at = self.list.partition_point(|r| r.read >= receipt.read);
        self.list.insert(at, receipt);
        self.list.truncate(MAX_RECEIPTS as usize);
        self.frame = None;
    }

    /// All of them as one `receipts` frame for `room` (none when nobody has any).
    pub(super) fn frame(&mut self, room: &str) -> Option<Bytes> {
        if self.list.is_empty() {
            return None;
        }
        let list = &self.list;
        Some(
            self.frame
                .get_or_insert_with(|| encode(&ServerFrame::receipts(room, list.clone())))
                .clone(),
        )
    }
}

impl Room {
    /// Keeps a member's new markers and sends them with the window's other changes.
    /// Markers only rise: one that comes late (from another node) lowers nothing.
    pub(super) fn take_receipt(&mut self, mut receipt: Receipt) {
        if let Some(known) = self.receipts.list.iter().find(|r| r.user == receipt.user) {
            receipt.delivered = receipt.delivered.max(known.delivered);
            receipt.read = receipt.read.max(known.read);
        }
        self.receipts.keep(receipt.clone());
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

    /// Sends every member's marker changes of the window in one frame.
    pub(super) fn flush_receipts(&mut self) {
        self.flush_at = None;
        if self.unsent_receipts.is_empty() {
            return;
        }
        let receipts = std::mem::take(&mut self.unsent_receipts);
        let frame = encode(&ServerFrame::receipts(self.room.name.as_str(), receipts));
        self.fan_out(&frame);
    }
}
