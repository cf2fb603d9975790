//! An entry of a room's sequence, and its rules: a message, or a change to one (an edit,
//! a deletion, a reaction), how a change applies to its message and to the quotes of the
//! replies to it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::timestamp::Timestamp;

/// A stored chat message as it travels to clients. `Default` is a plain message: no
/// flags, no quote, no reactions, no formatting (ids nil, time the epoch).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    pub room: String,
    /// Per-room, gapless, increasing from 1.
    pub seq: u64,
    pub id: Uuid,
    pub client_id: Uuid,
    /// The author's display name at the time of sending.
    pub author: String,
    pub author_id: Uuid,
    pub text: String,
    /// When the server stored it (RFC 3339, UTC, milliseconds).
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub ts: Timestamp,
    /// Sent by a bot (shown as "bot" next to its name); absent for people.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bot: bool,
    /// This entry of the room's sequence is not a message but the deletion of the message
    /// stored as this `seq` (its `text` is empty). Clients apply it and show nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletes: Option<u64>,
    /// The message was deleted: its `text` is empty and it shows as a tombstone.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// This entry of the room's sequence is not a message but an edit of the message stored
    /// as this `seq`: its `text` (and `html`) are that message's new text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edits: Option<u64>,
    /// The message was edited: the `seq` of its latest edit (its text is the edited one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<u64>,
    /// This entry of the room's sequence is not a message but the author's reaction to the
    /// message stored as this `seq`: its `text` is the emoji (with `undo`, taken back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reacts: Option<u64>,
    /// With `reacts`: the author takes this reaction back.
    #[serde(default, skip_serializing_if = "is_false")]
    pub undo: bool,
    /// The message this one answers, quoted as it is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// The reactions the message has now, in the order they were first given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The text formatted (a safe Markdown subset, bare URLs as links) as HTML made by the
    /// server from a short list of elements; absent when the text is plain, which is then
    /// shown as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

impl ChatMessage {
    /// Makes this message the tombstone of a deleted one: its place stays, its text goes.
    pub fn tombstone(&mut self) {
        self.text.clear();
        self.html = None;
        self.edited = None;
        self.reactions.clear();
        self.deleted = true;
    }

    /// The `seq` of the message this entry changes (a deletion, an edit or a reaction);
    /// `None` for a message, which shows as a row of its own.
    pub fn changes(&self) -> Option<u64> {
        self.deletes.or(self.edits).or(self.reacts)
    }

    /// Applies this entry (a deletion, an edit or a reaction to `target`) to `target`: a
    /// deleted message stays deleted, with no reactions.
    pub fn apply_to(&self, target: &mut ChatMessage) {
        if self.deletes.is_some() {
            target.tombstone();
        } else if target.deleted {
            // Nothing changes a tombstone.
        } else if self.edits.is_some() {
            target.text.clone_from(&self.text);
            target.html.clone_from(&self.html);
            target.edited = Some(self.seq);
        } else if self.reacts.is_some() {
            target.react(&self.text, self.author_id, &self.author, self.undo);
        }
    }

    /// Whether this entry changes its message's words (a deletion or an edit), and so the
    /// quotes of the replies to it.
    pub fn requotes(&self) -> bool {
        self.deletes.is_some() || self.edits.is_some()
    }

    /// Applies this entry (a deletion or an edit of message `target`) to the quote of
    /// `reply`, if it answers that message: its words follow the message's.
    pub fn requote(&self, target: u64, reply: &mut ChatMessage) {
        let Some(quote) = reply.reply_to.as_mut().filter(|q| q.seq == target) else {
            return;
        };
        if self.deletes.is_some() {
            quote.text.clear();
        } else if self.edits.is_some() && !quote.text.is_empty() {
            *quote = Quote::new(target, &quote.author, &self.text);
        }
    }

    /// Adds (or with `undo` takes back) `who`'s reaction `emoji`: once per person.
    pub fn react(&mut self, emoji: &str, who: Uuid, name: &str, undo: bool) {
        let at = self.reactions.iter().position(|r| r.emoji == emoji);
        match (at, undo) {
            (Some(at), true) => {
                let r = &mut self.reactions[at];
                if let Some(i) = r.by.iter().position(|id| *id == who) {
                    r.by.remove(i);
                    if i < r.names.len() {
                        r.names.remove(i);
                    }
                }
                if r.by.is_empty() {
                    self.reactions.remove(at);
                }
            }
            (Some(at), false) => {
                let r = &mut self.reactions[at];
                if !r.by.contains(&who) {
                    r.by.push(who);
                    r.names.push(name.to_owned());
                }
            }
            (None, false) => self.reactions.push(Reaction {
                emoji: emoji.to_owned(),
                by: vec![who],
                names: vec![name.to_owned()],
            }),
            (None, true) => {}
        }
    }
}

/// The message a reply answers, as it is now: its author and its first line (at most
/// `QUOTE_CHARS` characters); `text` is empty when it was deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Quote {
    pub seq: u64,
    pub author: String,
    pub text: String,
}

/// Most characters a quote keeps of its message's first line.
pub const QUOTE_CHARS: usize = 100;

impl Quote {
    /// The quote of `msg` (a deleted one's text is empty already).
    pub fn of(msg: &ChatMessage) -> Self {
        Self::new(msg.seq, &msg.author, &msg.text)
    }

    /// The quote of message `seq` by `author` saying `text`: its first line without
    /// Markdown's marks (`*`, `~~`, `` ` ``, a leading `>`), cut.
    pub fn new(seq: u64, author: &str, text: &str) -> Self {
        let line = text.trim().lines().next().unwrap_or_default();
        let line = line.trim_start_matches(['>', ' ']).replace("~~", "");
        let line = line.replace(['*', '`'], "");
        let line = line.trim();
        let mut text: String = line.chars().take(QUOTE_CHARS).collect();
        if line.chars().nth(QUOTE_CHARS).is_some() {
            text.push('…');
        }
        Self {
            seq,
            author: author.to_owned(),
            text,
        }
    }
}

/// One emoji given to a message, and by whom (ids and names, in the same order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Reaction {
    pub emoji: String,
    pub by: Vec<Uuid>,
    pub names: Vec<String>,
}

/// The most different emoji one message may hold.
pub const REACTIONS_MAX: usize = 20;

pub(super) fn is_false(b: &bool) -> bool {
    !b
}
