//! A room's reactive state, shared by the components and the socket: who I am, the log
//! (all that is held, and the window the page shows), the connection, the room list.
//!
//! Frames from the server are queued and applied together once per animation frame (or
//! every 200 ms in a hidden tab, which runs no animation frames): a burst costs one layout
//! and one render, not one per frame received.

use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    page::{Me, RoomPageData, RoomSummary},
    protocol::{ChatMessage, ErrorCode, Presence, Quote, ServerFrame},
    room_log::{RoomLog, MAX_HELD},
    state::{
        conn::ConnStatus,
        log_view::{Entry, LogView, Row, PAGE, SLACK, WINDOW, WINDOW_MAX},
    },
    timestamp::Timestamp,
    validation::{MessageText, ValidationError},
};

/// How the alert for `rate_limited` begins.
const SLOW_DOWN: &str = "Slow down:";

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
    pub fn pending(&self) -> ArcRwSignal<Vec<Entry>> {
        self.view.with_value(|v| v.pending.clone())
    }

    /// Queues `text` for sending; the socket delivers it (and again after a reconnect,
    /// with the same `client_id`, until it is stored). The log shows its end.
    pub fn send(&self, text: &str) -> Result<(), ValidationError> {
        let text = MessageText::parse(text)?;
        self.typing.mine(false);
        let quote = self.replying.get_untracked();
        self.replying.set(None);
        if self.queue(text.into_string(), |m| m.reply_to = quote) {
            self.show_latest();
        }
        Ok(())
    }

    /// Queues the deletion of the message stored as `seq`; the socket delivers it as it
    /// delivers a message (kept and sent again until stored).
    pub fn delete(&self, seq: u64) {
        self.queue(String::new(), |m| m.deletes = Some(seq));
    }

    /// Queues `text` as the new text of my message stored as `seq`, as `delete` does.
    pub fn edit(&self, seq: u64, text: &str) -> Result<(), ValidationError> {
        let text = MessageText::parse(text)?;
        self.typing.mine(false);
        self.queue(text.into_string(), |m| m.edits = Some(seq));
        Ok(())
    }

    /// A room's `presence`: for a direct conversation, whether its other person is online
    /// now (a dot in the room list).
    pub fn presence(&self, p: &Presence) {
        let online = |r: &RoomSummary| {
            let with = r.with.as_deref();
            p.people().any(|(name, on)| on && Some(name) == with)
        };
        let changed = self.rooms.with_untracked(|rooms| {
            rooms
                .iter()
                .any(|r| r.name == p.room && r.with.is_some() && r.online != online(r))
        });
        if changed {
            self.rooms.update(|rooms| {
                if let Some(r) = rooms.iter_mut().find(|r| r.name == p.room) {
                    r.online = online(r);
                }
            });
        }
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
        self.queue(emoji.to_owned(), |m| {
            m.reacts = Some(seq);
            m.undo = undo;
        });
    }

    /// The text of my message stored as `seq` (0: my latest) that may be edited (see
    /// `RoomLog::editable`).
    pub fn my_text(&self, seq: u64) -> Option<(u64, String)> {
        let me = self.me.get_untracked()?.id;
        self.log
            .with_value(|l| l.editable(me, seq).map(|m| (m.seq, m.text.clone())))
    }

    /// Queues a message of mine with a new `client_id` (`change` makes it a deletion, an
    /// edit or a reaction); false when nobody is signed in.
    fn queue(&self, text: String, change: impl FnOnce(&mut ChatMessage)) -> bool {
        let Some(me) = self.me.get_untracked() else {
            return false;
        };
        let mut msg = ChatMessage {
            room: self.room.get_value(),
            seq: 0,
            id: Uuid::nil(),
            client_id: Uuid::now_v7(),
            author: me.name,
            author_id: me.id,
            text,
            ts: Timestamp::now(),
            bot: false,
            deletes: None,
            deleted: false,
            edits: None,
            edited: None,
            reacts: None,
            undo: false,
            reply_to: None,
            reactions: Vec::new(),
            html: None,
        };
        change(&mut msg);
        self.add_pending(vec![msg]);
        true
    }

    /// Adds my messages that are not stored yet (a send, or an outbox restored).
    pub fn add_pending(&self, msgs: Vec<ChatMessage>) {
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

    /// Queues a frame from the server; queued frames are applied together.
    pub fn receive(&self, frame: ServerFrame) {
        let first = self
            .inbox
            .try_update_value(|q| {
                q.push(frame);
                q.len() == 1
            })
            .unwrap_or(false);
        if first {
            self.schedule_flush();
        }
    }

    #[cfg(feature = "hydrate")]
    fn schedule_flush(self) {
        request_animation_frame(move || self.flush());
        // A hidden tab runs no animation frames; the browser throttles this instead.
        set_timeout(move || self.flush(), std::time::Duration::from_millis(200));
    }

    #[cfg(not(feature = "hydrate"))]
    fn schedule_flush(self) {
        self.flush();
    }

    /// Applies every queued frame, then updates the page once.
    pub fn flush(&self) {
        let Some(frames) = self.inbox.try_update_value(std::mem::take) else {
            return; // the room has been left
        };
        if frames.is_empty() {
            return;
        }
        let started_ms = now_ms();
        let count = frames.len();
        let pending_before = self.log.with_value(RoomLog::pending_changes);
        let mut oldest_new = u64::MAX;
        let mut news = Vec::new();
        let mut receipts = false;
        let mut unread = Vec::new();
        let room = self.room.get_value();
        for frame in frames {
            let seen = (&mut oldest_new, &mut news);
            self.apply(&room, frame, seen, &mut receipts, &mut unread);
        }
        if !unread.is_empty() {
            self.rooms.update(|rooms| {
                for (name, for_me) in unread {
                    if let Some(r) = rooms.iter_mut().find(|r| r.name == name) {
                        r.unread += 1;
                        r.mentions += u64::from(for_me);
                    }
                }
            });
        }
        let pending_changed = self.log.with_value(RoomLog::pending_changes) != pending_before;
        let following = self.at_bottom.get_untracked();
        self.update_view(|v, log| {
            if oldest_new <= v.last_seq() {
                // A gap inside the window was filled (rare): lay it out afresh.
                v.show_latest(log);
            } else {
                v.append_new(log, following);
            }
            if pending_changed {
                v.sync_pending(log);
            }
            if pending_changed || receipts {
                v.refresh_statuses(log);
            }
            if following && v.is_attached() && v.count() > WINDOW + SLACK {
                v.trim_top(WINDOW);
            }
        });
        self.forget_unseen();
        self.clear_slow_down_when_sent();
        self.applied.set(Batch {
            started_ms,
            frames: count,
            news: !news.is_empty(),
        });
        self.hear(news);
    }

    /// Tells screen readers what others said in a batch: each message once, or how many
    /// when there are more than a few.
    fn hear(&self, news: Vec<String>) {
        let said: Vec<String> = news.into_iter().filter(|s| !s.is_empty()).collect();
        if said.is_empty() {
            return;
        }
        let mut text = if said.len() > 3 {
            format!("{} new messages", said.len())
        } else {
            said.join("\n")
        };
        // The same words again still count as new to a live region.
        if self
            .heard
            .with_untracked(|h| h.trim_end_matches('\u{200B}') == text)
        {
            text = self.heard.get_untracked() + "\u{200B}";
        }
        self.heard.set(text);
    }

    /// Applies one frame to the log (the page is updated after the whole batch).
    fn apply(
        &self,
        room: &str,
        frame: ServerFrame,
        (oldest_new, news): (&mut u64, &mut Vec<String>),
        receipts: &mut bool,
        unread: &mut Vec<(String, bool)>,
    ) {
        match frame {
            ServerFrame::Message(msg) if msg.room == room => {
                let seq = msg.seq;
                self.typing.stopped(msg.author_id);
                let said = (msg.changes().is_none() && !msg.deleted)
                    .then(|| format!("{}: {}", msg.author, msg.text));
                let mine = self
                    .me
                    .with_untracked(|me| me.as_ref().is_some_and(|me| me.id == msg.author_id));
                if self.log.try_update_value(|l| l.insert(msg)) == Some(true) {
                    *oldest_new = (*oldest_new).min(seq);
                    // My own count as news (the log follows them), but are not read out.
                    news.extend(said.map(|s| if mine { String::new() } else { s }));
                }
            }
            // A message in another room I am in: one more unread there (and one more
            // mention, if it calls me).
            ServerFrame::Message(msg) => {
                let (mine, for_me) = self.me.with_untracked(|me| match me {
                    Some(me) => (me.id == msg.author_id, crate::mention::calls(me, &msg)),
                    None => (false, false),
                });
                if !mine && msg.changes().is_none() {
                    unread.push((msg.room, for_me));
                }
            }
            ServerFrame::Ack {
                room: r,
                client_id,
                seq,
            } if r == room => self.log.update_value(|l| l.ack(client_id, seq)),
            ServerFrame::Receipts {
                room: r,
                receipts: rs,
            } if r == room => {
                self.log
                    .update_value(|l| rs.into_iter().for_each(|r| l.apply_receipt(r)));
                *receipts = true;
            }
            ServerFrame::Typing {
                room: r,
                user,
                name,
            } if r == room => self.typing.seen(user, name, now_ms()),
            ServerFrame::Ack { .. }
            | ServerFrame::Receipts { .. }
            | ServerFrame::Typing { .. }
            // The socket writes these into the page (`client::members`, the topic).
            | ServerFrame::Presence(_)
            | ServerFrame::Topic { .. } => {}
            // The socket asks for the rest of the history itself.
            ServerFrame::More { .. } => {}
            // Nothing is lost: the socket sends the message again after the wait.
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms,
                ..
            } => {
                let secs = retry_after_ms.unwrap_or(1000).div_ceil(1000);
                self.alert.set(Some(format!(
                    "{SLOW_DOWN} you are sending faster than the room allows. \
                     Your message goes out in {secs} s."
                )));
            }
            ServerFrame::Error {
                message, client_id, ..
            } => {
                let failed =
                    client_id.and_then(|id| self.log.try_update_value(|l| l.fail(id)).flatten());
                self.alert.set(Some(match failed {
                    Some(m) if m.deletes.is_some() => format!("Not deleted. {message}"),
                    Some(m) if m.edits.is_some() => format!("Not edited. {message}"),
                    Some(m) if m.reacts.is_some() => format!("No reaction. {message}"),
                    Some(_) => format!("Your message was not sent. {message}"),
                    None => message,
                }));
            }
        }
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
    pub fn add_older(&self, msgs: Vec<ChatMessage>) {
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

    /// Keeps memory bounded: stored messages above the window beyond `MAX_HELD` are
    /// forgotten (scrolling back fetches them again).
    fn forget_unseen(&self) {
        let first = self.view.with_value(LogView::first_seq);
        self.log.update_value(|log| {
            if log.len() > MAX_HELD + PAGE {
                let keep = log.latest(MAX_HELD).first().map_or(0, |m| m.seq);
                log.forget_before(keep.min(first));
            }
        });
    }

    /// Once everything held back by "Slow down" is stored, the alert is stale.
    fn clear_slow_down_when_sent(&self) {
        let slowed = self
            .alert
            .with_untracked(|a| a.as_deref().is_some_and(|a| a.starts_with(SLOW_DOWN)));
        if slowed && self.log.with_value(|l| l.pending().is_empty()) {
            self.alert.set(None);
        }
    }
}

/// `performance.now()` in the browser, for measuring batches.
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    return window().performance().map_or(0.0, |p| p.now());
    #[cfg(not(feature = "hydrate"))]
    0.0
}
