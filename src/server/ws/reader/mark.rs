//! `received` and `read`: a member's markers, capped, stored only when they rise, and
//! handed to the room to merge into its next `receipts` frame.

use super::Reader;
use crate::{protocol::ErrorCode, validation::RoomName};

impl Reader {
    /// Raises this user's delivered (and, if `read > 0`, read) marker in `room`, which the
    /// socket must have joined. Values are capped at the room's last `seq` first, and only
    /// a real rise is stored and broadcast.
    pub(super) async fn mark(&mut self, room: &str, delivered: u64, read: u64) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, None),
        };
        let joined = self.rooms.get(&room);
        if joined.is_some_and(|j| j.sub.is_gone()) {
            // Removed from the room: it said so once (`removed`); markers still on their
            // way from the client are dropped without a second error.
            return;
        }
        let Some(handle) = joined.map(|j| j.sub.handle().clone()) else {
            return self.error(
                ErrorCode::BadFrame,
                format!("Join #{room} before sending markers for it."),
                None,
            );
        };
        let last = handle.last_seq();
        let read = read.min(last);
        let delivered = delivered.min(last).max(read);
        let prev = joined.map_or((0, 0), |j| j.markers);
        if delivered <= prev.0 && read <= prev.1 {
            return;
        }
        let store = &self.ctx.store;
        // The upsert keeps the higher of old and new values.
        match store
            .raise_markers(&handle.room, &self.user, delivered, read)
            .await
        {
            Ok(None) => {
                // Removed from the room meanwhile.
                if let Some(joined) = self.rooms.get_mut(&room) {
                    joined.markers = (0, 0);
                }
            }
            Ok(Some(change)) => {
                let r = &change.receipt;
                if let Some(joined) = self.rooms.get_mut(&room) {
                    joined.markers = (r.delivered, r.read);
                }
                // Another tab of the same person may have raised them already.
                if change.rose {
                    handle.publish_receipt(change.receipt);
                }
            }
            Err(error) => tracing::error!(%error, "could not store read markers"),
        }
    }
}
