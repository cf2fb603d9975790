//! An entry of a room's sequence, and its rules: a message, or a change to one (an edit,
//! a deletion, a reaction), how a change applies to its message and to the quotes of the
//! replies to it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::timestamp::Timestamp;

mod wire;

/// One entry of a room's sequence as it travels to clients: a message, or a change to one
/// (`kind`). `Default` is a plain message: no quote, no reactions, no formatting (ids nil,
/// time the epoch).
///
/// On the wire (docs/protocol.md, and the OpenAPI document's `ChatMessage`) the kind is
/// written as the fields `deletes`, `edits`, `reacts` and `undo`: `entry/wire.rs` reads
/// them (`Entry`'s `Deserialize`) and `EntryKind`'s `Serialize` writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub room: String,
    /// Per-room, gapless, increasing from 1.
    pub seq: u64,
    pub id: Uuid,
    pub client_id: Uuid,
    /// The author's display name at the time of sending.
    pub author: String,
    pub author_id: Uuid,
    /// A message's words; an edit's new words; a reaction's emoji; empty for a deletion.
    pub text: String,
    /// When the server stored it.
    pub ts: Timestamp,
    /// Sent by a bot (shown as "bot" next to its name).
    #[serde(skip_serializing_if = "is_false")]
    pub bot: bool,
    /// What this entry is: a message, or a change to the message stored as its target.
    #[serde(flatten)]
    pub kind: EntryKind,
    /// A message that was deleted: its `text` is empty and it shows as a tombstone.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// A message that was edited: the `seq` of its latest edit (its text is the edited one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited: Option<u64>,
    /// The message this one answers, quoted as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// The reactions the message has now, in the order they were first given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The text formatted as HTML by the server (`None`: plain text, shown as text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

/// What an entry of a room's sequence is. A message shows as a row of its own; the others
/// change the message stored as their target, wherever it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EntryKind {
    /// A message: the entry's `text` is its words.
    #[default]
    Message,
    /// A new text for the message stored as this seq (the entry's `text` and `html`).
    Edit(u64),
    /// The deletion of the message stored as this seq (the entry's `text` is empty).
    Delete(u64),
    /// The author's reaction to the message stored as `of` (the entry's `text` is the
    /// emoji); with `undo`, taken back.
    React { of: u64, undo: bool },
}

impl EntryKind {
    /// The kind that the wire's (and the store's) four fields stand for: at most one of
    /// `deletes`, `edits`, `reacts` is set; `undo` goes with `reacts`.
    pub fn from_fields(
        deletes: Option<u64>,
        edits: Option<u64>,
        reacts: Option<u64>,
        undo: bool,
    ) -> Self {
        match (deletes, edits, reacts) {
            (Some(seq), _, _) => Self::Delete(seq),
            (None, Some(seq), _) => Self::Edit(seq),
            (None, None, Some(of)) => Self::React { of, undo },
            (None, None, None) => Self::Message,
        }
    }

    /// The seq of the message this entry changes; `None` for a message.
    pub fn target(self) -> Option<u64> {
        match self {
            Self::Message => None,
            Self::Edit(seq) | Self::Delete(seq) | Self::React { of: seq, .. } => Some(seq),
        }
    }

    /// The wire's `deletes` field: the message this entry deletes.
    pub fn deletes(self) -> Option<u64> {
        match self {
            Self::Delete(seq) => Some(seq),
            _ => None,
        }
    }

    /// The wire's `edits` field: the message this entry edits.
    pub fn edits(self) -> Option<u64> {
        match self {
            Self::Edit(seq) => Some(seq),
            _ => None,
        }
    }

    /// The wire's `reacts` field: the message this entry reacts to.
    pub fn reacts(self) -> Option<u64> {
        match self {
            Self::React { of, .. } => Some(of),
            _ => None,
        }
    }

    /// The wire's `undo` field: this reaction is taken back.
    pub fn undo(self) -> bool {
        matches!(self, Self::React { undo: true, .. })
    }
}

/// Written into the entry's object (`#[serde(flatten)]`) as its wire fields, only those
/// set: nothing for a message, `"deletes": seq`, `"edits": seq`, or `"reacts": seq` with
/// `"undo": true` when taken back.
impl Serialize for EntryKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        match *self {
            Self::Message => {}
            Self::Delete(seq) => map.serialize_entry("deletes", &seq)?,
            Self::Edit(seq) => map.serialize_entry("edits", &seq)?,
            Self::React { of, undo } => {
                map.serialize_entry("reacts", &of)?;
                if undo {
                    map.serialize_entry("undo", &true)?;
                }
            }
        }
        map.end()
    }
}

impl Entry {
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
        self.kind.target()
    }

    /// Applies this entry (a deletion, an edit or a reaction to `target`) to `target`: a
    /// deleted message stays deleted, with no reactions.
    pub fn apply_to(&self, target: &mut Entry) {
        match self.kind {
            EntryKind::Delete(_) => target.tombstone(),
            // Nothing changes a tombstone.
            _ if target.deleted => {}
            EntryKind::Edit(_) => {
                target.text.clone_from(&self.text);
                target.html.clone_from(&self.html);
                target.edited = Some(self.seq);
            }
            EntryKind::React { undo, .. } => {
                target.react(&self.text, self.author_id, &self.author, undo)
            }
            EntryKind::Message => {}
        }
    }

    /// Whether this entry changes its message's words (a deletion or an edit), and so the
    /// quotes of the replies to it.
    pub fn requotes(&self) -> bool {
        matches!(self.kind, EntryKind::Delete(_) | EntryKind::Edit(_))
    }

    /// Applies this entry (a deletion or an edit of message `target`) to the quote of
    /// `reply`, if it answers that message: its words follow the message's.
    pub fn requote(&self, target: u64, reply: &mut Entry) {
        let Some(quote) = reply.reply_to.as_mut().filter(|q| q.seq == target) else {
            return;
        };
        match self.kind {
            EntryKind::Delete(_) => quote.text.clear(),
            EntryKind::Edit(_) if !quote.text.is_empty() => {
                *quote = Quote::new(target, &quote.author, &self.text);
            }
            _ => {}
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
    pub fn of(msg: &Entry) -> Self {
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
