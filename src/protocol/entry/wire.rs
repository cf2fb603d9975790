//! An entry as the wire writes it, field by field (docs/protocol.md): what `Entry` is read
//! from, and its OpenAPI schema (`ChatMessage`). The kind's four fields become one
//! `EntryKind` here.

use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::{Entry, EntryKind, Quote, Reaction};
use crate::timestamp::Timestamp;

/// A stored chat message (or a change to one) as it travels to clients.
#[derive(Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema), schema(as = ChatMessage))]
pub struct EntryIn {
    room: String,
    /// Per-room, gapless, increasing from 1.
    seq: u64,
    id: Uuid,
    client_id: Uuid,
    /// The author's display name at the time of sending.
    author: String,
    author_id: Uuid,
    text: String,
    /// When the server stored it (RFC 3339, UTC, milliseconds).
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    ts: Timestamp,
    /// Sent by a bot (shown as "bot" next to its name); absent for people.
    #[serde(default)]
    bot: bool,
    /// This entry of the room's sequence is not a message but the deletion of the message
    /// stored as this `seq` (its `text` is empty). Clients apply it and show nothing.
    #[serde(default)]
    deletes: Option<u64>,
    /// The message was deleted: its `text` is empty and it shows as a tombstone.
    #[serde(default)]
    deleted: bool,
    /// This entry of the room's sequence is not a message but an edit of the message stored
    /// as this `seq`: its `text` (and `html`) are that message's new text.
    #[serde(default)]
    edits: Option<u64>,
    /// The message was edited: the `seq` of its latest edit (its text is the edited one).
    #[serde(default)]
    edited: Option<u64>,
    /// This entry of the room's sequence is not a message but the author's reaction to the
    /// message stored as this `seq`: its `text` is the emoji (with `undo`, taken back).
    #[serde(default)]
    reacts: Option<u64>,
    /// With `reacts`: the author takes this reaction back.
    #[serde(default)]
    undo: bool,
    /// The message this one answers, quoted as it is now.
    #[serde(default)]
    reply_to: Option<Quote>,
    /// The reactions the message has now, in the order they were first given.
    #[serde(default)]
    reactions: Vec<Reaction>,
    /// The text formatted (a safe Markdown subset, bare URLs as links) as HTML made by the
    /// server from a short list of elements; absent when the text is plain, which is then
    /// shown as text.
    #[serde(default)]
    html: Option<String>,
}

/// An entry is read as its wire form, then made one (as serde's `from` would).
impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EntryIn::deserialize(d).map(Self::from)
    }
}

impl From<EntryIn> for Entry {
    fn from(w: EntryIn) -> Self {
        Self {
            room: w.room,
            seq: w.seq,
            id: w.id,
            client_id: w.client_id,
            author: w.author,
            author_id: w.author_id,
            text: w.text,
            ts: w.ts,
            bot: w.bot,
            kind: EntryKind::from_fields(w.deletes, w.edits, w.reacts, w.undo),
            deleted: w.deleted,
            edited: w.edited,
            reply_to: w.reply_to,
            reactions: w.reactions,
            html: w.html,
        }
    }
}

/// An `Entry`'s schema is its wire form's.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Entry {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <EntryIn as utoipa::PartialSchema>::schema()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Entry {
    fn name() -> std::borrow::Cow<'static, str> {
        <EntryIn as utoipa::ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <EntryIn as utoipa::ToSchema>::schemas(schemas);
    }
}
