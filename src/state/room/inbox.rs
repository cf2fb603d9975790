//! What comes from the server, applied to the room's state: frames are queued and applied
//! together once per animation frame (or every 200 ms in a hidden tab, which runs no
//! animation frames), so a burst costs one layout and one render, not one per frame; and
//! `presence`, which the socket hands over at once.

use leptos::prelude::*;

use super::{Batch, RoomState};
use crate::{
    page::RoomSummary,
    protocol::{EntryKind, ErrorCode, Presence, ServerFrame},
    room_log::{RoomLog, MAX_HELD},
    state::log_view::{LogView, PAGE, SLACK, WINDOW},
};

/// How the alert for `rate_limited` begins.
const SLOW_DOWN: &str = "Slow down:";

impl RoomState {
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
            // The socket asks for the rest of the history itself, and shows when it is live.
            ServerFrame::More { .. } | ServerFrame::Joined { .. } => {}
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
                    Some(m) => match m.kind {
                        EntryKind::Delete(_) => format!("Not deleted. {message}"),
                        EntryKind::Edit(_) => format!("Not edited. {message}"),
                        EntryKind::React { .. } => format!("No reaction. {message}"),
                        EntryKind::Message => format!("Your message was not sent. {message}"),
                    },
                    None => message,
                }));
            }
        }
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
