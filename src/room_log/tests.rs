use super::*;
use crate::protocol::EntryKind;
use crate::timestamp::Timestamp;

fn msg(seq: u64, client: u128) -> Entry {
    Entry {
        room: "r".into(),
        seq,
        id: Uuid::from_u128(seq as u128),
        client_id: Uuid::from_u128(client),
        author: "me".into(),
        author_id: Uuid::from_u128(7),
        text: format!("m{seq}"),
        ts: Timestamp::from_millis(0),
        ..Default::default()
    }
}

fn seqs(log: &RoomLog) -> Vec<(u64, bool)> {
    let stored = log.after(0, usize::MAX).iter().map(|m| (m.seq, false));
    stored
        .chain(log.pending().iter().map(|m| (m.seq, true)))
        .collect()
}

#[test]
fn stored_messages_are_ordered_and_unique() {
    let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
    log.insert(msg(4, 4));
    log.insert(msg(3, 3));
    log.insert(msg(2, 2)); // replayed twice
    assert_eq!(seqs(&log), [(1, false), (2, false), (3, false), (4, false)]);
    assert_eq!(log.last_seq(), 4);
}

#[test]
fn a_deletion_makes_a_tombstone_once_it_arrives() {
    let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
    // My deletion waits like a send, then its echo settles it and applies it.
    let mut deletion = Entry {
        seq: 0,
        text: String::new(),
        kind: EntryKind::Delete(1),
        ..msg(0, 9)
    };
    log.add_pending(deletion.clone());
    assert_eq!(
        log.after(0, 1)[0].text,
        "m1",
        "nothing changes before it is stored"
    );
    deletion.seq = 3;
    assert!(log.insert(deletion.clone()));
    assert!(log.pending().is_empty());
    let first = &log.after(0, 1)[0];
    assert!(first.deleted && first.text.is_empty());
    // Replayed again (a catch-up), it changes nothing more.
    assert!(!log.insert(deletion));
    assert_eq!(log.last_seq(), 3);
}

#[test]
fn an_edit_gives_its_message_the_new_text_and_a_deleted_one_stays_deleted() {
    let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
    let edit = |seq: u64, of: u64, text: &str| Entry {
        text: text.into(),
        html: Some(format!("<p>{text}</p>")),
        kind: EntryKind::Edit(of),
        ..msg(seq, 10 + seq as u128)
    };
    // Pending, it changes nothing; its echo applies it.
    log.add_pending(edit(0, 1, "early"));
    assert_eq!(log.after(0, 1)[0].text, "m1");
    assert!(log.insert(edit(3, 1, "better")));
    assert!(log.insert(edit(4, 1, "best")));
    let first = &log.after(0, 1)[0];
    assert_eq!(
        (first.text.as_str(), first.html.as_deref(), first.edited),
        ("best", Some("<p>best</p>"), Some(4))
    );
    // Replayed (a catch-up), an older edit changes nothing.
    assert!(!log.insert(edit(3, 1, "better")));
    assert_eq!(log.after(0, 1)[0].text, "best");
    // An edit that arrives after its message's deletion does not bring it back.
    let deletion = Entry {
        text: String::new(),
        kind: EntryKind::Delete(2),
        ..msg(5, 2)
    };
    assert!(log.insert(deletion));
    assert!(log.insert(edit(6, 2, "back?")));
    let second = &log.after(1, 1)[0];
    assert!(second.deleted && second.text.is_empty() && second.edited.is_none());
}

#[test]
fn my_latest_to_edit_is_stored_mine_and_not_one_still_on_its_way() {
    let me = Uuid::from_u128(7);
    let theirs = Entry {
        author_id: Uuid::from_u128(8),
        ..msg(3, 3)
    };
    let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2), theirs]);
    // Mine, the latest: 2 (3 is someone else's); or the one asked for.
    assert_eq!(log.editable(me, 0).map(|m| m.seq), Some(2));
    assert_eq!(log.editable(me, 1).map(|m| m.seq), Some(1));
    assert_eq!(log.editable(me, 3).map(|m| m.seq), None);
    assert_eq!(log.editable(Uuid::from_u128(8), 0).map(|m| m.seq), Some(3));
    // A message of mine on its way is my latest: Up arrow must not pick the one before.
    log.add_pending(msg(0, 9));
    assert_eq!(log.editable(me, 0), None);
    assert_eq!(log.editable(me, 2).map(|m| m.seq), Some(2));
    // Acked, not yet echoed: still not stored here.
    log.ack(Uuid::from_u128(9), 4);
    assert_eq!(log.editable(me, 0), None);
    // Its echo stores it: now it is the one.
    log.insert(msg(4, 9));
    assert_eq!(log.editable(me, 0).map(|m| m.seq), Some(4));
    // A deleted message is not edited; the one before it is.
    log.insert(Entry {
        text: String::new(),
        kind: EntryKind::Delete(4),
        ..msg(5, 10)
    });
    assert_eq!(log.editable(me, 0).map(|m| m.seq), Some(2));
    // An edit of mine on its way does not stop Up arrow.
    log.add_pending(Entry {
        kind: EntryKind::Edit(2),
        ..msg(0, 11)
    });
    assert_eq!(log.editable(me, 0).map(|m| m.seq), Some(2));
}

#[test]
fn a_pending_send_is_settled_by_its_echo() {
    let mut log = RoomLog::new(vec![msg(1, 1)]);
    log.add_pending(msg(0, 50));
    log.add_pending(msg(0, 51));
    assert_eq!(seqs(&log), [(1, false), (0, true), (0, true)]);
    log.ack(Uuid::from_u128(50), 2);
    assert_eq!(seqs(&log), [(1, false), (2, true), (0, true)]);
    log.insert(msg(2, 50));
    assert_eq!(seqs(&log), [(1, false), (2, false), (0, true)]);
    assert_eq!(log.pending().len(), 1);
    assert_eq!(
        log.fail(Uuid::from_u128(51)).map(|m| m.client_id),
        Some(Uuid::from_u128(51))
    );
    assert!(log.pending().is_empty());
    assert_eq!(log.fail(Uuid::from_u128(51)), None);
}

#[test]
fn a_restored_outbox_does_not_duplicate_what_is_stored() {
    let mut log = RoomLog::new(vec![msg(1, 1)]);
    log.add_pending(msg(0, 1)); // stored already
    log.add_pending(msg(0, 2));
    log.add_pending(msg(0, 2)); // twice
    assert_eq!(seqs(&log), [(1, false), (0, true)]);
    // A retry of something stored before the reload is acked without an echo.
    let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
    log.pending.push(msg(0, 2));
    log.ack(Uuid::from_u128(2), 2);
    assert!(log.pending().is_empty());
}

#[test]
fn the_first_unread_is_someone_elses_message_after_my_read_marker() {
    let me = Uuid::from_u128(99);
    let mut log = RoomLog::new((1..=5).map(|s| msg(s, s as u128)).collect());
    assert_eq!(log.first_unread(me), None, "not a member: no marker");
    let mut mine = msg(6, 6);
    mine.author_id = me;
    log.insert(mine);
    let marker = |read| Receipt {
        room: String::new(),
        user: me,
        name: "me".into(),
        delivered: read,
        read,
    };
    log.apply_receipt(marker(2));
    assert_eq!(log.first_unread(me), Some(3));
    log.apply_receipt(marker(5));
    assert_eq!(log.first_unread(me), None, "what is left is my own");
}

#[test]
fn receipts_only_rise_and_drive_statuses() {
    use crate::protocol::Receipt;
    let me = Uuid::from_u128(7);
    let bob = Uuid::from_u128(8);
    let mut log = RoomLog::new(vec![msg(1, 1), msg(2, 2)]);
    log.add_pending(msg(0, 3));
    let r = |d, rd| Receipt {
        room: "r".into(),
        user: bob,
        name: "bob".into(),
        delivered: d,
        read: rd,
    };
    log.apply_receipt(r(2, 1));
    log.apply_receipt(r(1, 0)); // late, lower: ignored
    assert_eq!(log.status(1, me).label(), "Read");
    assert_eq!(log.status(2, me).label(), "Delivered");
    assert_eq!(log.status(log.pending()[0].seq, me).label(), "Sending");
}

#[test]
fn windows_of_the_history_and_forgetting() {
    let mut log = RoomLog::new((5..=20).map(|s| msg(s, s as u128)).collect());
    let seqs = |m: &[Entry]| m.iter().map(|m| m.seq).collect::<Vec<_>>();
    assert_eq!(seqs(log.before(8, 2)), [6, 7]);
    assert_eq!(seqs(log.before(6, 10)), [5]);
    assert_eq!(seqs(log.after(18, 10)), [19, 20]);
    assert_eq!(seqs(log.latest(3)), [18, 19, 20]);
    assert!(log.has_older(), "seq 5 is not the first of the room");
    assert!(log.insert(msg(4, 4)), "an older page goes in front");
    assert!(!log.insert(msg(4, 4)));
    log.forget_before(10);
    assert_eq!(log.len(), 11);
    assert_eq!(seqs(log.latest(1)), [20]);
    let mut start = RoomLog::new(vec![msg(1, 1)]);
    assert!(!start.has_older());
    start.insert(msg(3, 3));
    start.forget_before(3);
    assert!(start.has_older());
    start.reached_start();
    assert!(!start.has_older());
}

#[test]
fn pending_changes_are_counted() {
    let mut log = RoomLog::new(vec![msg(1, 1)]);
    let c0 = log.pending_changes();
    log.add_pending(msg(0, 9));
    log.ack(Uuid::from_u128(9), 2);
    log.insert(msg(2, 9));
    assert_eq!(log.pending_changes(), c0 + 3);
    log.insert(msg(3, 3)); // not mine: no change
    assert_eq!(log.pending_changes(), c0 + 3);
}
