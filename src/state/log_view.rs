//! The log as the page shows it: a window of a few hundred stored messages, laid out in
//! day separators and author groups, plus my messages still on their way.
//!
//! The work per message is constant: a new message extends the last group (one push into
//! that group's list) or starts a new row; no earlier row is laid out, cloned or compared
//! again. Each of my messages has its own status signal, set only when its status changes.
//! Rows leave the window at the top while the reader follows the end, at the bottom while
//! they read older messages, and come back (from memory or from the server) on scrolling.

use std::sync::Arc;

use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    delivery::DeliveryStatus,
    grouping::{place, Day, Place, Tail},
    protocol::Entry,
    room_log::RoomLog,
    timestamp::{reader_offset, Timestamp},
};

/// Messages kept in the page while the reader follows the end of the log.
pub const WINDOW: usize = 300;
/// Trimming waits until this many more have arrived, so it happens once in a while.
pub const SLACK: usize = 100;
/// Messages in the page at most, wherever the reader is.
pub const WINDOW_MAX: usize = 600;
/// Messages brought back at a time when the reader scrolls past an end of the window.
pub const PAGE: usize = 100;

/// The delivery status of one of my messages.
pub type Status = ArcRwSignal<Option<DeliveryStatus>>;

/// One message in the page.
#[derive(Clone)]
pub struct Shown {
    pub msg: Arc<Entry>,
    /// Only my messages have one.
    pub status: Option<Status>,
}

/// Identifies a row while the layout lasts: a new layout (`epoch`) renders every row anew.
pub type RowKey = (u32, u64);

/// One row of the log.
#[derive(Clone)]
pub enum Row {
    /// A new calendar day begins (in the reader's zone).
    Day {
        key: RowKey,
        day: Day,
        ts: Timestamp,
        local: bool,
    },
    /// Messages by one author, under one name and avatar.
    Group {
        key: RowKey,
        head: Arc<Entry>,
        local: bool,
        entries: ArcRwSignal<Vec<Shown>>,
    },
}

impl Row {
    pub fn key(&self) -> RowKey {
        match self {
            Row::Day { key, .. } | Row::Group { key, .. } => *key,
        }
    }

    /// Messages in the row.
    fn len(&self) -> usize {
        match self {
            Row::Day { .. } => 0,
            Row::Group { entries, .. } => entries.with_untracked(Vec::len),
        }
    }

    fn is_day(&self) -> bool {
        matches!(self, Row::Day { .. })
    }
}

/// The window and its rows.
pub struct LogView {
    /// The rows in the page, oldest first.
    pub rows: ArcRwSignal<Vec<Row>>,
    /// My messages not stored yet, shown after the rows.
    pub pending: ArcRwSignal<Vec<Shown>>,
    me: Option<Uuid>,
    /// Times in the reader's zone (after hydration) rather than UTC.
    local: bool,
    epoch: u32,
    /// How the last group ends.
    tail: Option<Tail>,
    /// `seq` of the first and last message in the window (0 when it is empty).
    first: u64,
    last: u64,
    /// Messages in the window.
    count: usize,
    /// The window reaches the end of the log: new messages join it.
    attached: bool,
}

impl LogView {
    /// The end of `log`, laid out in UTC (as the server renders it).
    pub fn new(log: &RoomLog, me: Option<Uuid>) -> Self {
        let mut view = Self {
            rows: ArcRwSignal::new(Vec::new()),
            pending: ArcRwSignal::new(Vec::new()),
            me,
            local: false,
            epoch: 0,
            tail: None,
            first: 0,
            last: 0,
            count: 0,
            attached: true,
        };
        view.show_latest(log);
        view.sync_pending(log);
        view
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn is_attached(&self) -> bool {
        self.attached
    }

    /// `seq` of the first message in the window (0 when it is empty).
    pub fn first_seq(&self) -> u64 {
        self.first
    }

    /// The person signed in (a visitor who joined): their new messages get statuses.
    pub fn set_me(&mut self, me: Uuid) {
        self.me = Some(me);
    }

    /// Switches to the reader's zone (days and times may move): a new layout.
    pub fn set_local(&mut self, local: bool, log: &RoomLog) {
        if self.local != local {
            self.local = local;
            self.show_latest(log);
        }
    }

    /// A new layout of the last `WINDOW` messages.
    pub fn show_latest(&mut self, log: &RoomLog) {
        self.epoch += 1;
        self.tail = None;
        self.count = 0;
        self.first = 0;
        self.last = 0;
        let mut rows = Vec::new();
        let msgs = log.latest(WINDOW);
        let mut tail = None;
        self.lay_out(&mut tail, &mut rows, msgs, log);
        self.tail = tail;
        self.took(msgs);
        self.attached = true;
        self.rows.set(rows);
    }

    /// Shows the messages stored after the window, if it reaches the end of the log. Only
    /// new rows and the group that grows are touched. While the reader is `following` the
    /// end, a long catch-up is laid out from its end; otherwise the window grows to
    /// `WINDOW_MAX` and then stops at the bottom (no row the reader may see is removed).
    pub fn append_new(&mut self, log: &RoomLog, following: bool) {
        if !self.attached {
            return;
        }
        let new = log.after(self.last, usize::MAX);
        if new.is_empty() {
            return;
        }
        if following {
            if new.len() > WINDOW {
                return self.show_latest(log);
            }
            self.push_back(new, log);
        } else {
            let room = WINDOW_MAX.saturating_sub(self.count).min(new.len());
            self.push_back(&new[..room], log);
            self.attached = room == new.len();
        }
    }

    /// `seq` of the last message in the window (0 when it is empty).
    pub fn last_seq(&self) -> u64 {
        self.last
    }

    /// Shows up to `PAGE` more messages after the window (the reader scrolls down past its
    /// end); returns how many.
    pub fn show_newer(&mut self, log: &RoomLog) -> usize {
        if self.attached {
            return 0;
        }
        let msgs = log.after(self.last, PAGE);
        self.push_back(msgs, log);
        if log.last_seq() == self.last {
            self.attached = true;
        }
        msgs.len()
    }

    fn push_back(&mut self, msgs: &[Entry], log: &RoomLog) {
        let mut tail = self.tail;
        let rows = self.rows.clone();
        rows.maybe_update(|rows| {
            let before = rows.len();
            self.lay_out(&mut tail, rows, msgs, log);
            rows.len() != before
        });
        self.tail = tail;
        self.took(msgs);
    }

    /// Shows up to `PAGE` messages held before the window (the reader scrolls up past its
    /// start); returns how many.
    pub fn show_older(&mut self, log: &RoomLog) -> usize {
        let msgs = log.before(self.first, PAGE);
        if msgs.is_empty() {
            return 0;
        }
        let mut older = Vec::new();
        let mut tail = None;
        self.lay_out(&mut tail, &mut older, msgs, log);
        self.rows.update(|rows| {
            // One separator for a day that continues into the window.
            if let (Some(t), Some(Row::Day { day, .. })) = (tail, rows.first()) {
                if t.day == *day {
                    rows.remove(0);
                }
            }
            older.append(rows);
            *rows = older;
        });
        if self.count == 0 {
            self.tail = tail;
            self.last = msgs[msgs.len() - 1].seq;
        }
        self.first = msgs[0].seq;
        self.count += msgs.len();
        msgs.len()
    }

    /// Drops whole groups from the top while at least `keep` messages remain.
    pub fn trim_top(&mut self, keep: usize) {
        let mut count = self.count;
        let rows = self.rows.clone();
        rows.maybe_update(|rows| {
            let mut cut = 0;
            for (i, row) in rows.iter().enumerate() {
                let len = row.len();
                if row.is_day() {
                    continue;
                }
                if count - len < keep {
                    break;
                }
                count -= len;
                cut = i + 1;
            }
            if cut == 0 {
                return false;
            }
            // The first group left keeps its day separator.
            match rows[cut..].first() {
                Some(row) if !row.is_day() => {
                    let day = rows[..cut].iter().rposition(Row::is_day).unwrap_or(0);
                    rows.drain(day + 1..cut);
                    rows.drain(..day);
                }
                _ => {
                    rows.drain(..cut);
                }
            }
            true
        });
        self.count = count;
        self.first = rows.with_untracked(|rows| {
            rows.iter()
                .find_map(|r| match r {
                    Row::Group { entries, .. } => {
                        entries.with_untracked(|e| e.first().map(|e| e.msg.seq))
                    }
                    Row::Day { .. } => None,
                })
                .unwrap_or(0)
        });
    }

    /// Drops whole groups from the bottom while at least `keep` messages remain; the window
    /// no longer reaches the end of the log.
    pub fn trim_bottom(&mut self, keep: usize) {
        let mut count = self.count;
        let rows = self.rows.clone();
        rows.maybe_update(|rows| {
            let before = rows.len();
            while let Some(row) = rows.last() {
                let len = row.len();
                if !row.is_day() && count - len < keep {
                    break;
                }
                count -= len;
                rows.pop();
            }
            rows.len() != before
        });
        if count == self.count {
            return;
        }
        self.count = count;
        self.attached = false;
        // The new last group is the tail.
        let (tail, last) = self.rows.with_untracked(|rows| match rows.last() {
            Some(Row::Group { head, entries, .. }) => entries.with_untracked(|e| {
                let end = &e[e.len() - 1].msg;
                let day = end.ts.day_key(self.offset(end.ts));
                (
                    Some(Tail {
                        author_id: head.author_id,
                        ts: end.ts,
                        day,
                        len: e.len(),
                    }),
                    end.seq,
                )
            }),
            _ => (None, 0),
        });
        self.tail = tail;
        self.last = last;
    }

    /// Sets the status of my messages in the window whose status changed (after acks and
    /// receipts); other rows are not touched.
    pub fn refresh_statuses(&self, log: &RoomLog) {
        let Some(me) = self.me else { return };
        let set = |e: &Shown| {
            if let Some(status) = &e.status {
                let now = log.status(e.msg.seq, me);
                if status.with_untracked(|s| s.as_ref() != Some(&now)) {
                    status.set(Some(now));
                }
            }
        };
        self.rows.with_untracked(|rows| {
            for row in rows {
                if let Row::Group { entries, .. } = row {
                    entries.with_untracked(|e| e.iter().for_each(set));
                }
            }
        });
        self.pending.with_untracked(|e| e.iter().for_each(set));
    }

    /// Mirrors my pending messages (after a send, an ack, an echo or a refusal).
    pub fn sync_pending(&mut self, log: &RoomLog) {
        let old = self.pending.get_untracked();
        let entries = log
            .pending()
            .iter()
            .filter(|m| m.changes().is_none())
            .map(|m| {
                old.iter()
                    .find(|e| e.msg.client_id == m.client_id && e.msg.seq == m.seq)
                    .cloned()
                    .unwrap_or_else(|| Shown {
                        msg: Arc::new(m.clone()),
                        status: Some(ArcRwSignal::new(None)),
                    })
            })
            .collect();
        self.pending.set(entries);
    }

    fn offset(&self, ts: Timestamp) -> i32 {
        reader_offset(self.local, ts)
    }

    fn entry(&self, msg: &Entry, log: &RoomLog) -> Shown {
        let mine = self.me.filter(|me| *me == msg.author_id);
        Shown {
            msg: Arc::new(msg.clone()),
            status: mine.map(|me| ArcRwSignal::new(Some(log.status(msg.seq, me)))),
        }
    }

    /// Places `msgs` (in order, after `tail`) at the end of `rows`.
    fn lay_out(&self, tail: &mut Option<Tail>, rows: &mut Vec<Row>, msgs: &[Entry], log: &RoomLog) {
        for msg in msgs {
            // A deletion or an edit shows in its message, not as a row of its own.
            if let Some(target) = msg.changes() {
                change(rows, target, msg);
                continue;
            }
            let offset = self.offset(msg.ts);
            let day = msg.ts.day_key(offset);
            let at = place(tail.as_ref(), msg.author_id, msg.ts, day);
            if at == Place::NewDay {
                rows.push(Row::Day {
                    key: (self.epoch, 1 << 63 | (day.0 as u64) << 16 | day.1 as u64),
                    day,
                    ts: msg.ts,
                    local: self.local,
                });
            }
            let entry = self.entry(msg, log);
            match (at, rows.last()) {
                (Place::SameGroup, Some(Row::Group { entries, .. })) => {
                    entries.update(|e| e.push(entry));
                }
                _ => rows.push(Row::Group {
                    key: (self.epoch, msg.seq),
                    head: entry.msg.clone(),
                    local: self.local,
                    entries: ArcRwSignal::new(vec![entry]),
                }),
            }
            *tail = Some(Tail::after(*tail, at, msg.author_id, msg.ts, day));
        }
    }

    /// Counts `msgs`, just laid out after the window, into it.
    fn took(&mut self, msgs: &[Entry]) {
        if let (Some(first), Some(last)) = (msgs.first(), msgs.last()) {
            if self.count == 0 {
                self.first = first.seq;
            }
            self.last = last.seq;
            self.count += msgs.len();
        }
    }
}

/// Applies `change` (a deletion, an edit or a reaction) to the message stored as `seq`, if
/// a row in `rows` holds it, and to the quotes of the replies to it.
fn change(rows: &[Row], seq: u64, change: &Entry) {
    if change.requotes() {
        for row in rows {
            let Row::Group { entries, .. } = row else {
                continue;
            };
            let quotes = |e: &Shown| e.msg.reply_to.as_ref().is_some_and(|q| q.seq == seq);
            if entries.with_untracked(|e| e.iter().any(quotes)) {
                entries.update(|e| {
                    e.iter_mut()
                        .filter(|e| quotes(e))
                        .for_each(|e| change.requote(seq, Arc::make_mut(&mut e.msg)));
                });
            }
        }
    }
    for row in rows.iter().rev() {
        let Row::Group { entries, .. } = row else {
            continue;
        };
        let Some(at) = entries.with_untracked(|e| e.iter().position(|e| e.msg.seq == seq)) else {
            continue;
        };
        entries.update(|e| {
            change.apply_to(Arc::make_mut(&mut e[at].msg));
        });
        return;
    }
}

#[cfg(test)]
mod tests;
