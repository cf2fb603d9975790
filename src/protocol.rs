//! The public wire protocol: JSON text frames on `/ws` and the `/api/session` bodies.
//!
//! These types are the single definition shared by the server and the browser client;
//! `docs/protocol.md` describes them for bots and other clients. Inbound strings stay raw
//! here (`String`) so that the server can answer a bad room or text with a specific error
//! code instead of a generic parse failure; `crate::validation` turns them into newtypes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::timestamp::Timestamp;

mod read_frame;

/// A frame sent by a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Subscribe to a room. With `since`, every stored message with a higher `seq` is
    /// replayed first, in order, before live messages.
    Join {
        room: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
    },
    /// Unsubscribe from a room.
    Leave { room: String },
    /// Post a message. `client_id` makes the send idempotent. With `reply_to`, it answers
    /// the message stored as that `seq`, which it quotes.
    Send {
        room: String,
        client_id: Uuid,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
    },
    /// Delete the message stored as `seq` (one's own; any, for the room's owners and the
    /// admin). Everyone sees a tombstone: the message keeps its place, its text is gone.
    /// `client_id` makes it idempotent, as for `send`.
    Delete {
        room: String,
        seq: u64,
        client_id: Uuid,
    },
    /// Replace the text of my message stored as `seq` (only its author may). Everyone sees
    /// the new text and that it was edited; `client_id` makes it idempotent, as for `send`.
    Edit {
        room: String,
        seq: u64,
        client_id: Uuid,
        text: String,
    },
    /// Add my reaction `emoji` to the message stored as `seq` (with `undo`, take it back).
    /// Each person counts once per emoji; adding twice or taking back what is not there
    /// changes nothing. `client_id` makes it idempotent, as for `send`.
    React {
        room: String,
        seq: u64,
        client_id: Uuid,
        emoji: String,
        #[serde(default, skip_serializing_if = "is_false")]
        undo: bool,
    },
    /// Every message up to `seq` has reached this user's client.
    Received { room: String, seq: u64 },
    /// This user has seen every message up to `seq`.
    Read { room: String, seq: u64 },
    /// I am typing in `room` (a joined room). Never stored: the others in the room get a
    /// `typing` frame, and forget it after a few seconds unless another comes.
    Typing { room: String },
}

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

fn is_false(b: &bool) -> bool {
    !b
}

/// A frame sent by the server. It is read by `read_frame` (`"type"` first, never buffered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Message(ChatMessage),
    /// The message with this `client_id` is stored under `seq`.
    Ack {
        room: String,
        client_id: Uuid,
        seq: u64,
    },
    /// Members' delivery and read markers in a room (never lower than before): every change
    /// since the last such frame, merged over a short window, in one frame.
    Receipts {
        room: String,
        receipts: Vec<Receipt>,
    },
    /// The answer to a `join`: the membership is stored and the socket is subscribed. With
    /// `since`, everything it missed up to `seq` (the room's last) was queued before this
    /// frame; every message after `seq` comes live. A refused join gets an `error` instead,
    /// and a replay that stopped at a page boundary gets `more`.
    Joined {
        room: String,
        seq: u64,
    },
    /// The replay after `join` with `since` stopped at a page boundary: there is more
    /// history. Join again with this `since` to get the rest (and then live messages).
    More {
        room: String,
        since: u64,
    },
    /// `user` (called `name`) is typing in `room`: shown for `TYPING_SHOWN_MS` unless
    /// another comes, and until their next message. Never sent to the typer.
    Typing {
        room: String,
        user: Uuid,
        name: String,
    },
    /// Who is in a room: sent to a socket once it joins, and to everyone in the room when
    /// someone comes online or goes offline there (on any node).
    Presence(Presence),
    /// A member set the room's topic (empty: cleared); the room's header shows it.
    Topic {
        room: String,
        topic: String,
    },
    /// Something the client sent was refused; only the sender receives this.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<Uuid>,
        /// With `rate_limited`: send again after this many milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
        /// Set when the error refuses a `join`: the room it asked for (the join's answer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
    },
}

impl ServerFrame {
    /// A `receipts` frame for `room`; the entries leave their room out (the frame names it).
    pub fn receipts(room: impl Into<String>, mut receipts: Vec<Receipt>) -> Self {
        receipts.iter_mut().for_each(|r| r.room.clear());
        Self::Receipts {
            room: room.into(),
            receipts,
        }
    }

    /// An `error` frame without a wait.
    pub fn error(code: ErrorCode, message: impl Into<String>, client_id: Option<Uuid>) -> Self {
        Self::Error {
            code,
            message: message.into(),
            client_id,
            retry_after_ms: None,
            room: None,
        }
    }
}

/// A room's members: the first `online` are online in it now (a person with several
/// sockets, on one node or several, once), the rest joined it before and are offline; each
/// part by name, at most `PRESENCE_MAX` people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub room: String,
    pub online: usize,
    pub members: Vec<String>,
}

impl Presence {
    /// Each member's name and whether they are online.
    pub fn people(&self) -> impl Iterator<Item = (&str, bool)> {
        self.members
            .iter()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i < self.online))
    }
}

/// Most people a `presence` frame lists.
pub const PRESENCE_MAX: usize = 200;

/// How far one member of a room has received and read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Left out inside a `receipts` frame, which names the room once for all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub room: String,
    /// The member's user id.
    pub user: Uuid,
    /// The member's display name.
    pub name: String,
    /// Highest `seq` that reached one of the member's clients.
    pub delivered: u64,
    /// Highest `seq` the member has seen (`read <= delivered`).
    pub read: u64,
}

/// Machine-readable error codes of `error` frames (and of 4xx bodies where they apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not JSON or not one of the known frame types.
    BadFrame,
    /// Binary frames are not part of the protocol.
    BinaryFrame,
    /// The room name is not 1–64 characters of `[a-z0-9_-]`.
    BadRoom,
    /// The text is empty or only whitespace.
    EmptyText,
    /// The text is longer than 4,000 characters.
    TextTooLong,
    /// The text holds a control character other than a new line or a tab (a NUL, an
    /// escape…); the message says which.
    BadText,
    /// Too many requests: wait `retry_after_ms`, then send the same frame again.
    RateLimited,
    /// This `client_id` was already used for a message with another text; the stored
    /// message stays as it was.
    ClientIdReused,
    /// The server could not store the message; retry with the same `client_id`.
    Internal,
    /// No such room, or a private room you are not in (the two look the same).
    NotFound,
    /// You are banned from this room.
    Banned,
    /// You were removed from the room (kicked or banned): its frames stop.
    Removed,
    /// Not yours to do (deleting someone else's message without being an owner).
    NotAllowed,
    /// A reaction is one emoji (or a short emoji sequence), and a message holds at most
    /// `REACTIONS_MAX` different ones.
    BadReaction,
}

/// Body of `POST /api/session`: a guest's display name, or an account's name and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// One of my sessions, in `GET /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// What `DELETE /api/sessions/<id>` takes.
    pub id: String,
    /// The browser or client it was made with (its User-Agent).
    pub device: String,
    pub created_at: Timestamp,
    /// When it was last used (recorded at most once a day).
    pub last_seen: Timestamp,
    /// The session this request was made with.
    pub current: bool,
}

/// Body of `POST /api/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Body of `POST /api/accounts`: sign up (or, signed in as a guest of that name, claim it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRequest {
    pub name: String,
    pub password: String,
    /// The token of an invite link (`/invite/<token>`): required when the server admits
    /// by invitation; a room's link also makes the new account a member of the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// Answer of `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub user_id: Uuid,
    pub name: String,
    pub token: String,
}

/// `GET /api/rooms/<room>/messages?before=<seq>&limit=<n>`: up to `limit` (at most
/// `HISTORY_PAGE_MAX`) messages just before `before` (or the latest without it), oldest
/// first. An empty list: there is nothing older.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    pub messages: Vec<ChatMessage>,
}

/// How long a `typing` frame shows its typer, in ms (a typing client sends one every
/// `TYPING_EVERY_MS` at most, while it types).
pub const TYPING_SHOWN_MS: f64 = 5000.0;
/// A client sends `typing` at most this often while it types (the server passes on at
/// most one every 2 s per socket and room).
pub const TYPING_EVERY_MS: f64 = 3000.0;

/// The most different emoji one message may hold.
pub const REACTIONS_MAX: usize = 20;

/// The most messages one history page holds.
pub const HISTORY_PAGE_MAX: u32 = 200;

/// `POST /api/bots` (the admin only): makes a bot account called `name`. The answer is a
/// [`SessionResponse`] whose `token` the bot signs in with (`Authorization: Bearer`); it
/// is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BotRequest {
    /// 1–32 characters; owned like an account's name (no look-alikes).
    pub name: String,
}

/// `POST /api/rooms/<room>/messages`: posts `text` to the room, as the `send` frame does,
/// with the same idempotency (the same `client_id` again answers the same `seq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Chosen by the sender, new for each message (a UUID).
    pub client_id: Uuid,
    /// 1–4,000 characters; `:shortcodes:` become emoji.
    pub text: String,
    /// The `seq` of the message this one answers (it is quoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
}

/// The answer to `POST /api/rooms/<room>/messages`: where the message is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Posted {
    /// The message's place in the room (per room, gapless, from 1).
    pub seq: u64,
}

/// Body of every 4xx/5xx answer of the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_frames_round_trip_with_documented_shape() {
        let id = Uuid::nil();
        let cases = [
            (
                ClientFrame::Join {
                    room: "general".into(),
                    since: Some(7),
                },
                r#"{"type":"join","room":"general","since":7}"#,
            ),
            (
                ClientFrame::Join {
                    room: "general".into(),
                    since: None,
                },
                r#"{"type":"join","room":"general"}"#,
            ),
            (
                ClientFrame::Leave { room: "x".into() },
                r#"{"type":"leave","room":"x"}"#,
            ),
            (
                ClientFrame::Send {
                    room: "x".into(),
                    client_id: id,
                    text: "hi".into(),
                    reply_to: None,
                },
                r#"{"type":"send","room":"x","client_id":"00000000-0000-0000-0000-000000000000","text":"hi"}"#,
            ),
            (
                ClientFrame::Send {
                    room: "x".into(),
                    client_id: id,
                    text: "yes".into(),
                    reply_to: Some(4),
                },
                r#"{"type":"send","room":"x","client_id":"00000000-0000-0000-0000-000000000000","text":"yes","reply_to":4}"#,
            ),
            (
                ClientFrame::React {
                    room: "x".into(),
                    seq: 4,
                    client_id: id,
                    emoji: "👍".into(),
                    undo: true,
                },
                r#"{"type":"react","room":"x","seq":4,"client_id":"00000000-0000-0000-0000-000000000000","emoji":"👍","undo":true}"#,
            ),
        ];
        for (frame, json) in cases {
            assert_eq!(serde_json::to_string(&frame).unwrap(), json);
            assert_eq!(serde_json::from_str::<ClientFrame>(json).unwrap(), frame);
        }
    }

    #[test]
    fn a_reaction_counts_once_per_person_and_a_quote_is_a_first_line() {
        let (ann, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut msg: ChatMessage = serde_json::from_str(
            r#"{"room":"r","seq":1,"id":"00000000-0000-0000-0000-000000000000",
                "client_id":"00000000-0000-0000-0000-000000000000","author":"ann",
                "author_id":"00000000-0000-0000-0000-000000000001",
                "text":"  > **first** ~~line~~\nsecond","ts":"2026-11-28T00:00:00.000Z"}"#,
        )
        .unwrap();
        msg.react("👍", bob, "bob", false);
        msg.react("👍", bob, "bob", false);
        msg.react("👍", ann, "ann", false);
        msg.react("🎉", ann, "ann", true);
        assert_eq!(msg.reactions.len(), 1);
        assert_eq!(
            (msg.reactions[0].by.clone(), msg.reactions[0].names.clone()),
            (vec![bob, ann], vec!["bob".to_string(), "ann".to_string()])
        );
        msg.react("👍", bob, "bob", true);
        msg.react("👍", ann, "ann", true);
        assert!(
            msg.reactions.is_empty(),
            "the last one taken back takes the chip"
        );
        msg.react("👍", bob, "bob", false);
        let quote = Quote::of(&msg);
        assert_eq!(
            (quote.seq, quote.author.as_str(), quote.text.as_str()),
            (1, "ann", "first line")
        );
        msg.tombstone();
        assert!(msg.reactions.is_empty() && Quote::of(&msg).text.is_empty());
        msg.text = "é".repeat(QUOTE_CHARS + 5);
        assert_eq!(Quote::of(&msg).text.chars().count(), QUOTE_CHARS + 1);

        // A reply's quote follows an edit and a deletion of its message (not of another).
        let mut reply = ChatMessage {
            seq: 5,
            reply_to: Some(Quote::new(1, "ann", "old words")),
            ..msg.clone()
        };
        let edit = |of: u64| ChatMessage {
            seq: 6,
            edits: Some(of),
            text: "new words\nmore".into(),
            ..msg.clone()
        };
        edit(2).requote(2, &mut reply);
        assert_eq!(reply.reply_to.as_ref().unwrap().text, "old words");
        edit(1).requote(1, &mut reply);
        assert_eq!(reply.reply_to, Some(Quote::new(1, "ann", "new words")));
        let deletion = ChatMessage {
            seq: 7,
            deletes: Some(1),
            ..msg.clone()
        };
        deletion.requote(1, &mut reply);
        edit(1).requote(1, &mut reply);
        assert_eq!(reply.reply_to.unwrap().text, "", "deleted stays deleted");
    }

    #[test]
    fn unknown_and_malformed_client_frames_are_rejected() {
        for bad in [
            r#"{"type":"dance","room":"x"}"#,
            r#"{"room":"x"}"#,
            r#"{"type":"send","room":"x","text":"no id"}"#,
            r#"{"type":"send","room":"x","client_id":"nope","text":"t"}"#,
            r#"{"type":"join","room":"x","extra":1}"#,
            "not json",
        ] {
            assert!(serde_json::from_str::<ClientFrame>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_frames_round_trip_with_documented_shape() {
        let msg = ChatMessage {
            room: "general".into(),
            seq: 3,
            id: Uuid::nil(),
            client_id: Uuid::nil(),
            author: "alice".into(),
            author_id: Uuid::nil(),
            text: "<b>hi</b>".into(),
            ts: Timestamp::from_millis(1_700_000_000_123),
            ..Default::default()
        };
        let json = serde_json::to_value(ServerFrame::Message(msg.clone())).unwrap();
        assert_eq!(json["type"], "message");
        assert_eq!(json["seq"], 3);
        assert_eq!(json["ts"], "2023-11-14T22:13:20.123Z");
        assert_eq!(json["text"], "<b>hi</b>");
        assert!(
            json.get("bot").is_none(),
            "a person's message says nothing of bots"
        );
        let bot = ChatMessage {
            bot: true,
            ..msg.clone()
        };
        let bot_json = serde_json::to_value(ServerFrame::Message(bot.clone())).unwrap();
        assert_eq!(bot_json["bot"], true);
        // Read back from the text on the wire ("type" first; a `Value` sorts its keys).
        let wire = |f: &ServerFrame| serde_json::to_string(f).unwrap();
        let bot = ServerFrame::Message(bot);
        assert_eq!(
            serde_json::from_str::<ServerFrame>(&wire(&bot)).unwrap(),
            bot
        );
        let msg = ServerFrame::Message(msg);
        assert_eq!(
            serde_json::from_str::<ServerFrame>(&wire(&msg)).unwrap(),
            msg
        );
        let _ = json;

        let err = ServerFrame::error(ErrorCode::TextTooLong, "too long", None);
        assert_eq!(
            serde_json::to_string(&err).unwrap(),
            r#"{"type":"error","code":"text_too_long","message":"too long"}"#
        );
        let limited = ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: "Slow down".into(),
            client_id: Some(Uuid::nil()),
            retry_after_ms: Some(250),
            room: None,
        };
        assert_eq!(
            serde_json::to_string(&limited).unwrap(),
            r#"{"type":"error","code":"rate_limited","message":"Slow down","client_id":"00000000-0000-0000-0000-000000000000","retry_after_ms":250}"#
        );
        // A refused join names its room, and reads back the same.
        let refused = ServerFrame::Error {
            code: ErrorCode::NotFound,
            message: "There is no room called #secret.".into(),
            client_id: None,
            retry_after_ms: None,
            room: Some("secret".into()),
        };
        let wire = serde_json::to_string(&refused).unwrap();
        assert_eq!(
            wire,
            r#"{"type":"error","code":"not_found","message":"There is no room called #secret.","room":"secret"}"#
        );
        assert_eq!(serde_json::from_str::<ServerFrame>(&wire).unwrap(), refused);
        let receipts = ServerFrame::Receipts {
            room: "r".into(),
            receipts: vec![Receipt {
                room: String::new(),
                user: Uuid::nil(),
                name: "bob".into(),
                delivered: 5,
                read: 4,
            }],
        };
        assert_eq!(
            serde_json::to_string(&receipts).unwrap(),
            r#"{"type":"receipts","room":"r","receipts":[{"user":"00000000-0000-0000-0000-000000000000","name":"bob","delivered":5,"read":4}]}"#
        );
        assert_eq!(
            serde_json::to_string(&ServerFrame::More {
                room: "r".into(),
                since: 500
            })
            .unwrap(),
            r#"{"type":"more","room":"r","since":500}"#
        );
        let ack = ServerFrame::Ack {
            room: "r".into(),
            client_id: Uuid::nil(),
            seq: 9,
        };
        let back: ServerFrame =
            serde_json::from_str(&serde_json::to_string(&ack).unwrap()).unwrap();
        assert_eq!(back, ack);
    }
}

/// Body of `POST /api/rooms`: a new room, public unless `private`, with a `topic` if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRequest {
    pub name: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub topic: String,
}

/// Answer of `POST /api/rooms` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomCreated {
    pub name: String,
    pub private: bool,
    /// The topic as kept (trimmed, one line; "" for none).
    #[serde(default)]
    pub topic: String,
}

/// Body and answer of `PUT /api/rooms/<room>/topic`: the room's topic ("" clears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRequest {
    pub topic: String,
}

/// Body of `POST /api/rooms/<room>/members`: the account to add, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRequest {
    pub name: String,
}

/// Body of `POST /api/rooms/<room>/bans`: the person to ban, by id (as in receipts and
/// messages: guests' names are not unique).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRequest {
    pub user_id: Uuid,
}

/// One member, in `GET /api/rooms/<room>/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    pub user_id: Uuid,
    pub name: String,
    /// `owner` or `member`.
    pub role: String,
}
