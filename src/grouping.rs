//! How the message log is laid out: day separators, and runs of messages by one author
//! within five minutes grouped under one name and avatar. The rule looks only at the last
//! group, so adding a message to the log is constant work however long the log is.

use uuid::Uuid;

use crate::timestamp::Timestamp;

/// Consecutive messages by one author closer than this share one header.
pub const GROUP_WINDOW_MS: i64 = 5 * 60 * 1000;

/// A group holds at most this many messages; the next one starts a new group under the
/// same name. A bot's burst becomes many small groups, so adding to one stays cheap.
pub const GROUP_MAX: usize = 50;

/// A calendar day in the reader's zone: (year, day of the year).
pub type Day = (i32, u16);

/// What the last group of the log ends with: all the next message's place depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    pub author_id: Uuid,
    /// The time of the group's last message.
    pub ts: Timestamp,
    pub day: Day,
    /// Messages in the group.
    pub len: usize,
}

/// Where the next message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// After a day separator, in a new group.
    NewDay,
    /// In a new group under its author's name.
    NewGroup,
    /// At the end of the last group.
    SameGroup,
}

/// The place of a message by `author_id` at `ts` (on `day` in the reader's zone) after
/// the group that ends as `tail` (none: the log is empty).
pub fn place(tail: Option<&Tail>, author_id: Uuid, ts: Timestamp, day: Day) -> Place {
    match tail {
        None => Place::NewDay,
        Some(t) if t.day != day => Place::NewDay,
        Some(t)
            if t.author_id == author_id
                && ts.millis() - t.ts.millis() < GROUP_WINDOW_MS
                && t.len < GROUP_MAX =>
        {
            Place::SameGroup
        }
        Some(_) => Place::NewGroup,
    }
}

impl Tail {
    /// The tail after a message placed at `place`.
    pub fn after(
        tail: Option<Tail>,
        place: Place,
        author_id: Uuid,
        ts: Timestamp,
        day: Day,
    ) -> Tail {
        match (place, tail) {
            (Place::SameGroup, Some(t)) => Tail {
                ts,
                len: t.len + 1,
                ..t
            },
            _ => Tail {
                author_id,
                ts,
                day,
                len: 1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    // 2026-11-24T10:00:00Z
    const T0: i64 = 1_795_514_400_000;

    /// Lays out (author, ms) pairs with `place`, as the log does: "D" a day, "|" a new
    /// group, "+" the same group.
    fn shape(msgs: &[(u128, i64)], offset: i32) -> String {
        let mut tail = None;
        let mut out = String::new();
        for &(author, ms) in msgs {
            let (author, ts) = (Uuid::from_u128(author), Timestamp::from_millis(ms));
            let day = ts.day_key(offset);
            let p = place(tail.as_ref(), author, ts, day);
            out.push_str(match p {
                Place::NewDay => "D|",
                Place::NewGroup => "|",
                Place::SameGroup => "+",
            });
            tail = Some(Tail::after(tail, p, author, ts, day));
        }
        out
    }

    #[test]
    fn groups_consecutive_messages_within_five_minutes() {
        let msgs = [
            (1, T0),
            (1, T0 + MIN),
            (1, T0 + 5 * MIN), // 4 min after the previous one: same group
            (2, T0 + 6 * MIN), // another author
            (1, T0 + 7 * MIN),
            (1, T0 + 12 * MIN), // exactly 5 minutes later: new group
        ];
        assert_eq!(shape(&msgs, 0), "D|++|||");
    }

    #[test]
    fn a_day_change_gets_a_separator_and_breaks_the_group() {
        // 23:58 and 00:01 UTC: three minutes apart but on two days.
        let late = T0 + 13 * 60 * MIN + 58 * MIN;
        assert_eq!(shape(&[(1, late), (1, late + 3 * MIN)], 0), "D|D|");
        // For a reader two hours behind UTC both are on the 24th, so they group.
        assert_eq!(shape(&[(1, late), (1, late + 3 * MIN)], -120), "D|+");
    }

    #[test]
    fn a_long_run_is_cut_into_groups_of_bounded_size() {
        let run: Vec<_> = (0..GROUP_MAX as i64 * 2 + 1).map(|i| (1, T0 + i)).collect();
        let s = shape(&run, 0);
        assert_eq!(s.matches('|').count(), 3);
        assert_eq!(s.matches('+').count(), GROUP_MAX * 2 + 1 - 3);
    }
}
