//! A room's reactive state, shared by the components and the socket: who I am, the log
//! (all that is held, and the window the page shows), the connection, the room list; and
//! what I do to it (send, edit, delete, react, reply, scroll). What the server sends is
//! applied in `inbox`.

use leptos::prelude::*;
use uuid::Uuid;

mod inbox;

use crate::{
    page::{Me, RoomPageData, RoomSummary},
    protocol::{Entry, EntryKind, Quote, ServerFrame},
    room_log::RoomLog,
    state::{
        conn::ConnStatus,
        log_view::{LogView, Row, Shown, WINDOW_MAX},
    },
    timestamp::Timestamp,
    validation::{MessageText, ValidationError},
};

/// One application of queued frames: when it began (`performance.now()`, ms) and how many
/// frames it applied (0: nothing arrived, but the log should follow its end).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Batch {
    pub started_ms: f64,
    pub frames: usize,
    /// New messages of this room came in it.
    pub news: bool,
}

#[derive(Clone, Copy)]
pub struct RoomState {
    pub room: StoredValue<String>,
    /// How the room is named to people: `#room`, or `@name` for a direct conversation.
    pub label: StoredValue<String>,
    pub me: RwSignal<Option<Me>>,
    /// I may delete anyone's message here.
    pub moderator: StoredValue<bool>,
    /// Everything held of the room.
    pub log: StoredValue<RoomLog>,
    /// The part of it in the page.
    pub view: StoredValue<LogView>,
    pub status: RwSignal<ConnStatus>,
    /// The names of the room's members (from the last `presence`), to complete after `@`.
    pub members: StoredValue<Vec<String>>,
    /// The room's topic (empty: none), in the header.
    pub topic: RwSignal<String>,
    /// The rooms in the list, with unread counts.
    pub rooms: RwSignal<Vec<RoomSummary>>,
    /// Whether the reader is looking at the end of the log (then new messages count as read).
    pub at_bottom: RwSignal<bool>,
    /// The last problem to tell the person about (shown with `role="alert"`).
    pub alert: RwSignal<Option<String>>,
    /// Set after every batch applied to the log.
    pub applied: RwSignal<Batch>,
    /// Who is typing, and whether I am.
    pub typing: super::typing::Typing,
    /// The message "New messages" stands above (0: none): the first I had not read when
    /// the page hydrated. It stays there while I am in the room.
    pub first_new: RwSignal<u64>,
    /// What screen readers are told of the last batch: new messages from others, once each
    /// (the log itself is not live: it is laid out again, and older pages come into it).
    pub heard: RwSignal<String>,
    /// The message of mine the composer is editing (0: none).
    pub editing: RwSignal<u64>,
    /// The message my next one answers, quoted above the composer (none: a new message).
    pub replying: RwSignal<Option<Quote>>,
    /// Frames received and not applied yet.
    inbox: StoredValue<Vec<ServerFrame>>,
}

impl RoomState {
    pub fn new(data: RoomPageData) -> Self {
        let viewer = data.viewer;
        let status = if viewer.me.is_some() {
            ConnStatus::Connecting
        } else {
            ConnStatus::ReadOnly
        };
        let mut log = RoomLog::new(data.history);
        data.receipts.into_iter().for_each(|r| log.apply_receipt(r));
        let view = LogView::new(&log, viewer.me.as_ref().map(|me| me.id));
        let label = match &viewer.with {
            Some(with) => format!("@{with}"),
            None => format!("#{}", data.room),
        };
        Self {
            label: StoredValue::new(label),
            room: StoredValue::new(data.room),
            me: RwSignal::new(viewer.me),
            moderator: StoredValue::new(viewer.moderator),
            log: StoredValue::new(log),
            view: StoredValue::new(view),
            status: RwSignal::new(status),
            rooms: RwSignal::new(viewer.rooms),
            topic: RwSignal::new(data.topic),
            members: StoredValue::new(Vec::new()),
            at_bottom: RwSignal::new(true),
            alert: RwSignal::new(None),
            applied: RwSignal::new(Batch::default()),
            typing: Default::default(),
            first_new: RwSignal::new(0),
            heard: RwSignal::new(String::new()),
            editing: RwSignal::new(0),
            replying: RwSignal::new(None),
            inbox: StoredValue::new(Vec::new()),
        }
    }

    /// Changes the page's window of the log (nothing once the room has been left).
    fn update_view<R>(&self, f: impl FnOnce(&mut LogView, &RoomLog) -> R) -> Option<R> {
        self.log
            .with_value(|log| self.view.try_update_value(|v| f(v, log)))
    }

    /// The rows in the page.
    pub fn rows(&self) -> ArcRwSignal<Vec<Row>> {
        self.view.with_value(|v| v.rows.clone())
    }

    /// My messages on their way, shown after the rows.
    pub fn pending(&self) -> ArcRwSignal<Vec<Shown>> {
        self.view.with_value(|v| v.pending.clone())
    }

    /// Queues `text` for sending; the socket delivers it (and again after a reconnect,
    /// with the same `client_id`, until it is stored). The log shows its end.
    pub fn send(&self, text: &str) -> Result<(), ValidationError> {
        let text = MessageText::parse(text)?;
        self.typing.mine(false);
        let quote = self.replying.get_untracked();
        self.replying.set(None);
        if self.queue(text.into_string(), EntryKind::Message, quote) {
            self.show_latest();
        }
        Ok(())
    }

    /// Queues the deletion of the message stored as `seq`; the socket delivers it as it
    /// delivers a message (kept and sent again until stored).
    pub fn delete(&self, seq: u64) {
        self.queue(String::new(), EntryKind::Delete(seq), None);
    }

    /// Queues `text` as the new text of my message stored as `seq`, as `delete` does.
    pub fn edit(&self, seq: u64, text: &str) -> Result<(), ValidationError> {
        let text = MessageText::parse(text)?;
        self.typing.mine(false);
        self.queue(text.into_string(), EntryKind::Edit(seq), None);
        Ok(())
    }

    /// My next message answers the message stored as `seq` (it shows quoted above the
    /// composer until sent or cancelled); an edit in progress stops.
    pub fn reply(&self, seq: u64) {
        let quote = self.log.with_value(|l| l.message(seq).map(Quote::of));
        if quote.is_some() {
            self.editing.set(0);
            self.replying.set(quote);
        }
    }

    /// Queues my reaction `emoji` to the message stored as `seq` (with `undo`, taking it
    /// back), as `delete` does; the chip changes once the room has stored it.
    pub fn react(&self, seq: u64, emoji: &str, undo: bool) {
        self.queue(emoji.to_owned(), EntryKind::React { of: seq, undo }, None);
    }

    /// The text of my message stored as `seq` (0: my latest) that may be edited (see
    /// `RoomLog::editable`).
    pub fn my_text(&self, seq: u64) -> Option<(u64, String)> {
        let me = self.me.get_untracked()?.id;
        self.log
            .with_value(|l| l.editable(me, seq).map(|m| (m.seq, m.text.clone())))
    }

    /// Queues an entry of mine (a message, answering `reply_to` if any, or a change to one)
    /// with a new `client_id`; false when nobody is signed in.
    fn queue(&self, text: String, kind: EntryKind, reply_to: Option<Quote>) -> bool {
        let Some(me) = self.me.get_untracked() else {
            return false;
        };
        let msg = Entry {
            room: self.room.get_value(),
            seq: 0,
            id: Uuid::nil(),
            client_id: Uuid::now_v7(),
            author: me.name,
            author_id: me.id,
            text,
            ts: Timestamp::now(),
            // Written out, not `..Default::default()`: that pulls `Default` into the WASM.
            bot: false,
            kind,
            deleted: false,
            edited: None,
            reply_to,
            reactions: Vec::new(),
            html: None,
        };
        self.add_pending(vec![msg]);
        true
    }

    /// Adds my messages that are not stored yet (a send, or pending messages restored).
    pub fn add_pending(&self, msgs: Vec<Entry>) {
        self.log
            .update_value(|log| msgs.into_iter().for_each(|m| log.add_pending(m)));
        self.update_view(|v, log| {
            v.sync_pending(log);
            v.refresh_statuses(log);
        });
    }

    /// A visitor has signed in: from now on their messages have statuses.
    pub fn signed_in(&self, me: Me) {
        self.view.update_value(|v| v.set_me(me.id));
        self.me.set(Some(me));
    }

    /// Brings the window back to the end of the log and follows it.
    pub fn show_latest(&self) {
        self.update_view(|v, log| {
            if !v.is_attached() {
                v.show_latest(log);
            }
        });
        self.at_bottom.set(true);
        self.applied.update(|b| b.frames = 0);
    }

    /// Times in the reader's zone from now on (after hydration).
    pub fn use_local_time(&self) {
        self.update_view(|v, log| v.set_local(true, log));
    }

    /// Brings back up to a page of older messages above the window, from memory; returns
    /// how many. Rows far below leave the page.
    pub fn show_older(&self) -> usize {
        self.update_view(|v, log| {
            let n = v.show_older(log);
            if v.count() > WINDOW_MAX {
                v.trim_bottom(WINDOW_MAX);
            }
            n
        })
        .unwrap_or(0)
    }

    /// The first `seq` held, when the server may have older messages: fetch before it.
    pub fn older_before(&self) -> Option<u64> {
        self.log
            .with_value(|l| l.has_older().then(|| l.first_seq()))
    }

    /// Older messages fetched from the server (none: there are no more).
    pub fn add_older(&self, msgs: Vec<Entry>) {
        self.log.update_value(|log| {
            if msgs.is_empty() {
                log.reached_start();
            }
            for m in msgs {
                log.insert(m);
            }
        });
    }

    /// Brings back up to a page of newer messages below the window; returns how many. Rows
    /// far above leave the page.
    pub fn show_newer(&self) -> usize {
        self.update_view(|v, log| {
            let n = v.show_newer(log);
            if v.count() > WINDOW_MAX {
                v.trim_top(WINDOW_MAX);
            }
            n
        })
        .unwrap_or(0)
    }
}
