//! `delete`: a person deletes one of their messages; a room's owners (and the admin, in a
//! public room) delete anyone's. Everyone then sees a tombstone: the message keeps its
//! place, its text is gone (see `change` for what deletions and edits share).

use uuid::Uuid;

use super::Reader;
use crate::{protocol::ErrorCode, server::hub::Content};

impl Reader {
    pub(super) async fn delete(&mut self, room: &str, seq: u64, client_id: Uuid) {
        let Some(target) = self.target(room, seq, client_id).await else {
            return;
        };
        let by_author = target.msg.author_id == self.user.id;
        // A retry of this deletion finds the message deleted: the room acks it again.
        if !by_author && !target.access.may_moderate() {
            tracing::info!(user = %self.user.id, "delete refused: not the author or an owner");
            return self.error(
                ErrorCode::NotAllowed,
                "You can delete only your own messages (owners can delete any).",
                Some(client_id),
            );
        }
        tracing::info!(user = %self.user.id, by_author, "message deleted");
        self.change(target, client_id, Content::Delete(seq)).await;
    }
}
