//! The incremental layout, checked against what a reader should see.

use super::*;
use crate::protocol::{EntryKind, Receipt};

const MIN: i64 = 60_000;
// 2026-11-24T10:00:00Z
const T0: i64 = 1_795_514_400_000;
const ME: u128 = 1;

fn msg(seq: u64, author: u128, ms: i64) -> Entry {
    Entry {
        room: "r".into(),
        seq,
        id: Uuid::from_u128(seq as u128),
        client_id: Uuid::from_u128(1000 + seq as u128),
        author: format!("u{author}"),
        author_id: Uuid::from_u128(author),
        text: format!("m{seq}"),
        ts: Timestamp::from_millis(ms),
        ..Default::default()
    }
}

/// `D` a day separator, then each group as `u<author>[first..=last]`.
fn shape(view: &LogView) -> String {
    view.rows.with_untracked(|rows| {
        rows.iter()
            .map(|r| match r {
                Row::Day { .. } => "D".to_owned(),
                Row::Group { head, entries, .. } => entries.with_untracked(|e| {
                    let seqs: Vec<u64> = e.iter().map(|e| e.msg.seq).collect();
                    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
                    format!("{}[{}-{}]", head.author, seqs[0], seqs[seqs.len() - 1])
                }),
            })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

fn add(log: &mut RoomLog, view: &mut LogView, m: Entry) {
    log.insert(m);
    view.append_new(log, true);
}

#[test]
fn a_new_message_extends_the_last_group_and_touches_nothing_else() {
    let mut log = RoomLog::new(vec![msg(1, 2, T0), msg(2, 3, T0 + MIN)]);
    let mut view = LogView::new(&log, Some(Uuid::from_u128(ME)));
    assert_eq!(shape(&view), "D u2[1-1] u3[2-2]");
    let before = view.rows.get_untracked();
    add(&mut log, &mut view, msg(3, 3, T0 + 2 * MIN));
    assert_eq!(shape(&view), "D u2[1-1] u3[2-3]");
    let after = view.rows.get_untracked();
    // The same rows, the same group lists: only the last group's list grew.
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.key(), a.key());
        if let (Row::Group { entries: b, .. }, Row::Group { entries: a, .. }) = (b, a) {
            assert!(b == a, "a row was rebuilt");
        }
    }
}

#[test]
fn another_author_or_a_pause_starts_a_group() {
    let mut log = RoomLog::new(vec![msg(1, 2, T0)]);
    let mut view = LogView::new(&log, None);
    add(&mut log, &mut view, msg(2, 3, T0 + MIN));
    add(&mut log, &mut view, msg(3, 3, T0 + 7 * MIN));
    add(&mut log, &mut view, msg(4, 2, T0 + 8 * MIN));
    assert_eq!(shape(&view), "D u2[1-1] u3[2-2] u3[3-3] u2[4-4]");
}

#[test]
fn a_new_day_gets_a_separator() {
    let late = T0 + 13 * 60 * MIN + 58 * MIN; // 23:58 UTC
    let mut log = RoomLog::new(vec![msg(1, 2, late)]);
    let mut view = LogView::new(&log, None);
    add(&mut log, &mut view, msg(2, 2, late + 3 * MIN));
    assert_eq!(shape(&view), "D u2[1-1] D u2[2-2]");
    let keys: Vec<_> = view.rows.get_untracked().iter().map(Row::key).collect();
    let unique: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len());
}

#[test]
fn a_status_change_updates_only_my_rows_whose_status_changed() {
    let me = Uuid::from_u128(ME);
    let mut log = RoomLog::new(vec![msg(1, ME, T0), msg(2, 5, T0), msg(3, ME, T0 + MIN)]);
    let view = LogView::new(&log, Some(me));
    let statuses = || -> Vec<Option<String>> {
        view.rows.with_untracked(|rows| {
            rows.iter()
                .filter_map(|r| match r {
                    Row::Group { entries, .. } => Some(entries.get_untracked()),
                    Row::Day { .. } => None,
                })
                .flatten()
                .map(|e| e.status.map(|s| s.get_untracked().unwrap().label()))
                .collect()
        })
    };
    assert_eq!(
        statuses(),
        [Some("Sent".to_owned()), None, Some("Sent".to_owned())]
    );
    let first = view.rows.with_untracked(|rows| match &rows[1] {
        Row::Group { entries, .. } => entries.get_untracked()[0].status.clone().unwrap(),
        Row::Day { .. } => unreachable!(),
    });
    log.apply_receipt(Receipt {
        room: "r".into(),
        user: Uuid::from_u128(5),
        name: "u5".into(),
        delivered: 3,
        read: 1,
    });
    view.refresh_statuses(&log);
    assert_eq!(
        statuses(),
        [Some("Read".to_owned()), None, Some("Delivered".to_owned())]
    );
    // The same signal, updated in place.
    assert_eq!(first.get_untracked().unwrap().label(), "Read");
}

#[test]
fn the_window_stays_bounded_and_scrolls_back_without_losing_a_row() {
    let mut log = RoomLog::default();
    let mut view = LogView::new(&log, None);
    // A bot's burst: one author, a second apart, 2,000 messages over two days' boundary.
    let start = T0 + 13 * 60 * MIN + 50 * MIN;
    for seq in 1..=2_000u64 {
        add(&mut log, &mut view, msg(seq, 9, start + seq as i64 * 1_000));
        if view.count() > WINDOW + SLACK {
            view.trim_top(WINDOW);
        }
        assert!(view.count() <= WINDOW + SLACK);
    }
    assert!(view.count() >= WINDOW);
    assert!(view
        .rows
        .with_untracked(|r| r.first().is_some_and(Row::is_day)));
    // Groups are bounded too.
    assert!(view
        .rows
        .with_untracked(|rows| rows.iter().all(|r| r.len() <= crate::grouping::GROUP_MAX)));
    // Scrolling back up to the first message, a page at a time, trimming the bottom.
    while view.show_older(&log) > 0 {
        if view.count() > WINDOW_MAX {
            view.trim_bottom(WINDOW_MAX);
        }
        assert!(view.count() <= WINDOW_MAX + PAGE);
    }
    assert_eq!(view.first_seq(), 1);
    assert!(!view.is_attached());
    let s = shape(&view);
    assert!(s.starts_with("D u9[1-"), "{s}");
    assert_eq!(s.matches('D').count(), 2, "one separator per day: {s}");
    // New messages wait outside the window, then it comes back down to the end.
    add(&mut log, &mut view, msg(2_001, 9, start + 2_001_000));
    while view.show_newer(&log) > 0 {
        if view.count() > WINDOW_MAX {
            view.trim_top(WINDOW_MAX);
        }
    }
    assert!(view.is_attached());
    assert!(shape(&view).ends_with("-2001]"));
    // Every message in the window exactly once, in order.
    let seqs: Vec<u64> = view.rows.with_untracked(|rows| {
        rows.iter()
            .filter_map(|r| match r {
                Row::Group { entries, .. } => Some(entries.get_untracked()),
                Row::Day { .. } => None,
            })
            .flatten()
            .map(|e| e.msg.seq)
            .collect()
    });
    assert_eq!(seqs.len(), view.count());
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
}

#[test]
fn a_long_catch_up_is_laid_out_from_its_end() {
    let mut log = RoomLog::new(vec![msg(1, 2, T0)]);
    let mut view = LogView::new(&log, None);
    for seq in 2..=1_000 {
        log.insert(msg(seq, 2 + seq as u128 % 3, T0 + seq as i64));
    }
    view.append_new(&log, true);
    assert_eq!(view.count(), WINDOW);
    assert_eq!(view.first_seq(), 701);
}

#[test]
fn a_reader_scrolled_up_keeps_every_row_and_the_window_stops_growing() {
    let mut log = RoomLog::new(vec![msg(1, 2, T0)]);
    let mut view = LogView::new(&log, None);
    for seq in 2..=1_000 {
        log.insert(msg(seq, 2, T0 + seq as i64));
        view.append_new(&log, false);
    }
    assert_eq!(view.count(), WINDOW_MAX);
    assert_eq!(view.first_seq(), 1, "nothing left at the top");
    assert!(!view.is_attached());
    assert_eq!(view.show_newer(&log), PAGE);
}

#[test]
fn pending_messages_follow_and_settle() {
    let me = Uuid::from_u128(ME);
    let mut log = RoomLog::new(vec![msg(1, 2, T0)]);
    let mut view = LogView::new(&log, Some(me));
    let mut mine = msg(0, ME, T0 + MIN);
    mine.client_id = Uuid::from_u128(77);
    log.add_pending(mine.clone());
    view.sync_pending(&log);
    let status = |view: &LogView| view.pending.get_untracked()[0].status.clone().unwrap();
    view.refresh_statuses(&log);
    assert_eq!(status(&view).get_untracked().unwrap().label(), "Sending");
    log.ack(mine.client_id, 2);
    view.sync_pending(&log);
    view.refresh_statuses(&log);
    assert_eq!(status(&view).get_untracked().unwrap().label(), "Sent");
    mine.seq = 2;
    add(&mut log, &mut view, mine);
    view.sync_pending(&log);
    assert!(view.pending.get_untracked().is_empty());
    assert_eq!(shape(&view), "D u2[1-1] u1[2-2]");
}

#[test]
fn an_edit_changes_its_row_and_adds_none() {
    let mut log = RoomLog::new(vec![msg(1, 2, T0), msg(2, 3, T0 + MIN)]);
    let mut view = LogView::new(&log, Some(Uuid::from_u128(ME)));
    let edit = Entry {
        text: "fixed".into(),
        kind: EntryKind::Edit(1),
        ..msg(3, 2, T0 + 2 * MIN)
    };
    add(&mut log, &mut view, edit);
    assert_eq!(shape(&view), "D u2[1-1] u3[2-2]", "no row of its own");
    let first = view.rows.with_untracked(|rows| match &rows[1] {
        Row::Group { entries, .. } => entries.with_untracked(|e| e[0].msg.clone()),
        Row::Day { .. } => unreachable!(),
    });
    assert_eq!((first.text.as_str(), first.edited), ("fixed", Some(3)));
    // Laid out afresh (a new page), the log holds the edited text too.
    let again = LogView::new(&log, Some(Uuid::from_u128(ME)));
    assert_eq!(shape(&again), "D u2[1-1] u3[2-2]");
}
