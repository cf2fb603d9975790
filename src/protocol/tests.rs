use super::*;
use crate::timestamp::Timestamp;
use uuid::Uuid;

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
    let mut msg: Entry = serde_json::from_str(
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
    let mut reply = Entry {
        seq: 5,
        reply_to: Some(Quote::new(1, "ann", "old words")),
        ..msg.clone()
    };
    let edit = |of: u64| Entry {
        seq: 6,
        kind: EntryKind::Edit(of),
        text: "new words\nmore".into(),
        ..msg.clone()
    };
    edit(2).requote(2, &mut reply);
    assert_eq!(reply.reply_to.as_ref().unwrap().text, "old words");
    edit(1).requote(1, &mut reply);
    assert_eq!(reply.reply_to, Some(Quote::new(1, "ann", "new words")));
    let deletion = Entry {
        seq: 7,
        kind: EntryKind::Delete(1),
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
    let msg = Entry {
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
    let bot = Entry {
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
    let back: ServerFrame = serde_json::from_str(&serde_json::to_string(&ack).unwrap()).unwrap();
    assert_eq!(back, ack);
}

#[test]
fn each_kind_of_entry_is_written_as_documented_and_read_back() {
    let entry = |kind, edited| Entry {
        room: "r".into(),
        seq: 4,
        text: "👍".into(),
        bot: true,
        kind,
        edited,
        ..Default::default()
    };
    let nil = Uuid::nil();
    let head = format!(
        r#"{{"type":"message","room":"r","seq":4,"id":"{nil}","client_id":"{nil}","author":"","author_id":"{nil}","text":"👍","ts":"1970-01-01T00:00:00.000Z","bot":true"#
    );
    for (kind, edited, fields) in [
        (EntryKind::Message, None, ""),
        (EntryKind::Message, Some(7), r#","edited":7"#),
        (EntryKind::Edit(2), None, r#","edits":2"#),
        (EntryKind::Delete(2), None, r#","deletes":2"#),
        (
            EntryKind::React { of: 2, undo: false },
            None,
            r#","reacts":2"#,
        ),
        (
            EntryKind::React { of: 2, undo: true },
            None,
            r#","reacts":2,"undo":true"#,
        ),
    ] {
        let frame = ServerFrame::Message(entry(kind, edited));
        let wire = serde_json::to_string(&frame).unwrap();
        assert_eq!(wire, format!("{head}{fields}}}"));
        assert_eq!(serde_json::from_str::<ServerFrame>(&wire).unwrap(), frame);
        let alone: Entry =
            serde_json::from_str(&serde_json::to_string(&entry(kind, edited)).unwrap()).unwrap();
        assert_eq!(alone.kind, kind);
        assert_eq!(alone.changes(), kind.target());
    }
    // `undo` means nothing without `reacts`: the entry is a message.
    let stray = format!(r#"{head},"undo":true}}"#).replace(r#""type":"message","#, "");
    assert_eq!(
        serde_json::from_str::<Entry>(&stray).unwrap().kind,
        EntryKind::Message
    );
}
