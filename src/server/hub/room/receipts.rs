//! Members' markers in a room's actor: kept (the most recently read first), merged over
//! `RECEIPT_WINDOW`, and sent as one `receipts` frame to everyone.

use bytes::Bytes;
use tokio::time::Instant;

use super::{Room, RECEIPT_WINDOW};
use crate::{
    protocol::{Receipt, ServerFrame},
    server::{store::MAX_RECEIPTS, wire::encode},
};

impl Room {
    /// Keeps a member's new markers and sends them with the window's other changes.
    /// Markers only rise: one that comes late (from another node) lowers nothing.
    pub(super) fn take_receipt(&mut self, mut receipt: Receipt) {
        if let Some(known) = self.receipts.iter().find(|r| r.user == receipt.user) {
            receipt.delivered = receipt.delivered.max(known.delivered);
            receipt.read = receipt.read.max(known.read);
        }
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

    /// Keeps `receipt` in place of the member's older one, most recently read first.
    fn keep_receipt(&mut self, receipt: Receipt) {
        self.receipts.retain(|r| r.user != receipt.user);
        let at = self.receipts.partition_point(|r| r.read >= receipt.read);
        self.receipts.insert(at, receipt);
        self.receipts.truncate(MAX_RECEIPTS as usize);
        self.receipts_frame = None;
    }

    /// Every member's markers as one `receipts` frame (none when nobody has any).
    pub(super) fn receipts_frame(&mut self) -> Option<Bytes> {
        if self.receipts.is_empty() {
            return None;
        }
        let receipts = &self.receipts;
        let room = self.room.name.as_str();
        Some(
            self.receipts_frame
                .get_or_insert_with(|| encode(&ServerFrame::receipts(room, receipts.clone())))
                .clone(),
        )
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
