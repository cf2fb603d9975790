//! Members' markers in a room's actor: kept (the most recently read first), merged over
//! `RECEIPT_WINDOW`, and sent as one `receipts` frame to everyone.

use bytes::Bytes;
use tokio::time::{Duration, Instant};

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
    /// Markers changed and not yet broadcast, one per member, and when they go out.
    unsent: Vec<Receipt>,
    flush_at: Option<Instant>,
}

/// Receipts are merged over this window: one frame per window carries every member's
/// change, so N readers cost O(N) frames per message, not O(N²).
pub const RECEIPT_WINDOW: Duration = Duration::from_millis(150);

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
        self.unsent.retain(|r| r.user != user);
        self.frame = None;
    }

    /// When the window's changes go out (none waiting: `None`).
    pub(super) fn flush_at(&self) -> Option<Instant> {
        self.flush_at
    }

    /// Keeps a member's new markers, to be sent with the window's other changes.
    /// Markers only rise: one that comes late (from another node) lowers nothing.
    pub(super) fn take(&mut self, mut receipt: Receipt) {
        if let Some(known) = self.list.iter().find(|r| r.user == receipt.user) {
            receipt.delivered = receipt.delivered.max(known.delivered);
            receipt.read = receipt.read.max(known.read);
        }
        self.keep(receipt.clone());
        match self.unsent.iter_mut().find(|r| r.user == receipt.user) {
            Some(unsent) => *unsent = receipt,
            None => self.unsent.push(receipt),
        }
        if self.flush_at.is_none() {
            self.flush_at = Some(Instant::now() + RECEIPT_WINDOW);
        }
    }

    /// The window's marker changes, to be sent as one frame; the window closes.
    pub(super) fn take_unsent(&mut self) -> Vec<Receipt> {
        self.flush_at = None;
        std::mem::take(&mut self.unsent)
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
