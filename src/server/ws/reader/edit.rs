//! `edit`: a person gives one of their messages a new text (nobody else may, not even an
//! owner: the words stay the author's). Everyone then sees the new text and "(edited)";
//! the text is checked as a sent one is (see `change` for what edits and deletions share).

use uuid::Uuid;

use super::Reader;
use crate::{
    protocol::ErrorCode,
    server::{domain::shortcodes, hub::Content},
};

impl Reader {
    pub(super) async fn edit(&mut self, room: &str, seq: u64, client_id: Uuid, text: &str) {
        let text = match shortcodes::message_text(text) {
            Ok(text) => text,
            Err(e) => return self.invalid(e, Some(client_id)),
        };
        let Some(target) = self.target(room, seq, client_id).await else {
            return;
        };
        if target.msg.deleted {
            return self.error(
                ErrorCode::NotFound,
                "That message was deleted; it cannot be edited.",
                Some(client_id),
            );
        }
        if target.msg.author_id != self.user.id {
            tracing::info!(user = %self.user.id, "edit refused: not the author");
            return self.error(
                ErrorCode::NotAllowed,
                "You can edit only your own messages.",
                Some(client_id),
            );
        }
        tracing::info!(user = %self.user.id, "message edited");
        self.change(target, client_id, Content::Edit(seq, text))
            .await;
    }
}
