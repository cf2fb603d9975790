//! How the message log is laid out: day separators, and runs of messages by one author
//! within five minutes grouped under one name and avatar.

use crate::{protocol::ChatMessage, timestamp::Timestamp};

/// Consecutive messages by one author closer than this share one header.
pub const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A message as the log shows it: stored, or still on its way to the server.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub msg: ChatMessage,
    pub pending: bool,
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A new calendar day begins (in the reader's zone).
    Day { label: String, ts: Timestamp },
    /// Messages by one author, shown under one name and avatar.
    Group { entries: Vec<LogEntry> },
}

impl Row {
    /// A key that changes whenever the row's content does (for keyed rendering).
    pub fn key(&self) -> String {
        match self {
            Row::Day { label, .. } => format!("day:{label}"),
            Row::Group { entries } => {
                let last = entries.last().expect("groups are never empty");
                format!(
                    "group:{}:{}:{}:{}",
                    entries[0].msg.client_id,
                    entries.len(),
                    last.msg.seq,
                    last.pending
                )
            }
        }
    }
}

/// Lay out `entries` (already in display order). `offset_minutes` gives, for an instant,
/// the reader's offset east of UTC; the server renders with UTC, the browser with its zone.
pub fn layout(entries: &[LogEntry], offset_minutes: impl Fn(Timestamp) -> i32) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut last_day = None;
    for entry in entries {
        let ts = entry.msg.ts;
        let offset = offset_minutes(ts);
        let day = ts.day_key(offset);
        let new_day = last_day != Some(day);
        if new_day {
            rows.push(Row::Day {
                label: ts.day_label(offset),
                ts,
            });
            last_day = Some(day);
        }
        let joins_previous = !new_day
            && matches!(rows.last(), Some(Row::Group { entries: prev })
                if prev.last().is_some_and(|p|
                    p.msg.author_id == entry.msg.author_id
                        && (ts.millis() - p.msg.ts.millis()) < GROUP_WINDOW_MS));
        if joins_previous {
            if let Some(Row::Group { entries }) = rows.last_mut() {
                entries.push(entry.clone());
            }
        } else {
            rows.push(Row::Group {
                entries: vec![entry.clone()],
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    const MIN: i64 = 60_000;

    fn entry(seq: u64, author: u128, ts_ms: i64) -> LogEntry {
        LogEntry {
            msg: ChatMessage {
                room: "r".into(),
                seq,
                id: Uuid::from_u128(seq as u128),
                client_id: Uuid::from_u128(1000 + seq as u128),
                author: format!("user{author}"),
                author_id: Uuid::from_u128(author),
                text: format!("message {seq}"),
                ts: Timestamp::from_millis(ts_ms),
            },
            pending: false,
        }
    }

    fn shape(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Day { label, .. } => format!("day {label}"),
                Row::Group { entries } => format!(
                    "{}: {:?}",
                    entries[0].msg.author,
                    entries.iter().map(|e| e.msg.seq).collect::<Vec<_>>()
                ),
            })
            .collect()
    }

    // 2026-11-24T10:00:00Z
    const T0: i64 = 1_795_514_400_000;

    #[test]
    fn groups_consecutive_messages_within_five_minutes() {
        let entries = [
            entry(1, 1, T0),
            entry(2, 1, T0 + MIN),
            entry(3, 1, T0 + 5 * MIN), // 4 min after the previous one: same group
            entry(4, 2, T0 + 6 * MIN),
            entry(5, 1, T0 + 7 * MIN),
            entry(6, 1, T0 + 12 * MIN), // exactly 5 minutes later: new group
        ];
        assert_eq!(
            shape(&layout(&entries, |_| 0)),
            [
                "day Tuesday, 24 November 2026",
                "user1: [1, 2, 3]",
                "user2: [4]",
                "user1: [5]",
                "user1: [6]"
            ]
        );
    }

    #[test]
    fn a_day_change_gets_a_separator_and_breaks_the_group() {
        // 23:58 and 00:01 UTC: three minutes apart but on two days.
        let late = T0 + 13 * 60 * MIN + 58 * MIN;
        let entries = [entry(1, 1, late), entry(2, 1, late + 3 * MIN)];
        assert_eq!(
            shape(&layout(&entries, |_| 0)),
            [
                "day Tuesday, 24 November 2026",
                "user1: [1]",
                "day Wednesday, 25 November 2026",
                "user1: [2]"
            ]
        );
        // For a reader two hours behind UTC both are on the 24th, so they group.
        assert_eq!(
            shape(&layout(&entries, |_| -120)),
            ["day Tuesday, 24 November 2026", "user1: [1, 2]"]
        );
    }

    #[test]
    fn keys_change_when_a_group_grows() {
        let a = layout(&[entry(1, 1, T0)], |_| 0);
        let b = layout(&[entry(1, 1, T0), entry(2, 1, T0 + MIN)], |_| 0);
        assert_eq!(a[0].key(), b[0].key());
        assert_ne!(a[1].key(), b[1].key());
        assert!(layout(&[], |_| 0).is_empty());
    }
}
