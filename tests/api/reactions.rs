//! Reactions: anyone who may post in a room adds an emoji to a message, once per person
//! and emoji, and takes it back. Each is an entry in the room's sequence: seen live,
//! replayed by `since`, and folded into the message for pages and history, so every client
//! converges. Bad emoji, deleted messages, floods and a message full of reactions are
//! refused to the sender only. (`make test` runs these on SQLite and again on Postgres.)

use cloud_msg::{
    emoji::PALETTE,
    protocol::{ClientFrame, Entry, ErrorCode, ServerFrame, REACTIONS_MAX},
};
use uuid::Uuid;

use crate::{helpers::*, rooms::error_frame};

async fn react(ws: &mut Client, room: &str, seq: u64, emoji: &str, undo: bool) -> Uuid {
    let client_id = Uuid::new_v4();
    react_as(ws, room, seq, client_id, emoji, undo).await;
    client_id
}

async fn react_as(ws: &mut Client, room: &str, seq: u64, id: Uuid, emoji: &str, undo: bool) {
    ws.send_frame(&ClientFrame::React {
        room: room.into(),
        seq,
        client_id: id,
        emoji: emoji.into(),
        undo,
    })
    .await;
}

/// Each chip of `msg`: its emoji and who gave it, by name.
fn chips(msg: &Entry) -> Vec<(String, Vec<String>)> {
    msg.reactions
        .iter()
        .map(|r| (r.emoji.clone(), r.names.clone()))
        .collect()
}

fn chip(emoji: &str, names: &[&str]) -> (String, Vec<String>) {
    (emoji.into(), names.iter().map(|n| n.to_string()).collect())
}

#[tokio::test]
async fn a_reaction_counts_once_per_person_toggles_and_everyone_converges() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    let mut bob = app.client("bob").await;
    ann.join("lobby", None).await;
    bob.join("lobby", None).await;
    ann.say("lobby", "ship it?").await;
    assert_eq!(ack(&mut ann).await, 1);
    assert_eq!(next_message(&mut ann).await.seq, 1);
    assert_eq!(next_message(&mut bob).await.seq, 1);

    // Not a word, not markup, not two emoji with a space, not what is not there.
    for bad in ["yes", "<b>👍</b>", "👍 👍", "", "javascript:alert(1)"] {
        react(&mut bob, "lobby", 1, bad, false).await;
        let (code, why) = error_frame(&mut bob).await;
        assert_eq!(code, ErrorCode::BadReaction, "{bad:?}: {why}");
    }
    react(&mut bob, "lobby", 99, "👍", false).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    react(&mut bob, "Bad Room", 1, "👍", false).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::BadRoom);
    react(&mut bob, "nowhere", 1, "👍", false).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    ann.expect_silence(200).await;

    // Bob's 👍 is the room's next entry, seen live by everyone.
    let given = react(&mut bob, "lobby", 1, "👍", false).await;
    assert_eq!(ack(&mut bob).await, 2);
    let seen = next_message(&mut ann).await;
    assert_eq!(
        (seen.seq, seen.kind.reacts(), seen.text.as_str()),
        (2, Some(1), "👍")
    );
    assert_eq!(
        (seen.author.as_str(), seen.kind.undo(), seen.html),
        ("bob", false, None)
    );
    // A retry is acked with the same seq and stores nothing new; a second 👍 from bob is
    // stored but counts once.
    react_as(&mut bob, "lobby", 1, given, "👍", false).await;
    assert_eq!(ack(&mut bob).await, 2);
    react(&mut bob, "lobby", 1, "👍", false).await;
    assert_eq!(ack(&mut bob).await, 3);
    react(&mut ann, "lobby", 1, "👍", false).await;
    assert_eq!(ack(&mut ann).await, 4);
    react(&mut ann, "lobby", 1, "🎉", false).await;
    assert_eq!(ack(&mut ann).await, 5);
    // A reaction is not a message: nobody reacts to one.
    react(&mut ann, "lobby", 2, "👍", false).await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::NotFound);

    let msgs = history(&app, "lobby").await;
    assert_eq!(
        chips(&msgs[0]),
        [chip("👍", &["bob", "ann"]), chip("🎉", &["ann"])]
    );
    // The page shows each chip by emoji and count, who reacted in its title.
    let html = app.get("/r/lobby").await.text().await.unwrap();
    assert!(html.contains(r#"title="bob, ann""#), "{html}");
    assert!(html.contains("👍 2") && html.contains("🎉 1"), "{html}");

    // Bob takes his back (once is enough; again changes nothing).
    let undo = react(&mut bob, "lobby", 1, "👍", true).await;
    assert_eq!(ack(&mut bob).await, 6);
    react_as(&mut bob, "lobby", 1, undo, "👍", true).await;
    assert_eq!(ack(&mut bob).await, 6);
    react(&mut bob, "lobby", 1, "🙃", true).await;
    assert_eq!(ack(&mut bob).await, 7);
    let msgs = history(&app, "lobby").await;
    let expected = [chip("👍", &["ann"]), chip("🎉", &["ann"])];
    assert_eq!(chips(&msgs[0]), expected);
    let html = app.get("/r/lobby").await.text().await.unwrap();
    assert!(html.contains("👍 1") && !html.contains("👍 2"), "{html}");

    // A client that saw only the message catches up with the entries and ends the same;
    // a new one gets the message with its reactions.
    let mut back = app.client("cat").await;
    back.join("lobby", Some(0)).await;
    let msg = next_message(&mut back).await;
    assert_eq!(chips(&msg), expected);
    let mut cat = app.client("cat2").await;
    cat.join("lobby", Some(1)).await;
    let mut old = msgs[0].clone();
    old.reactions.clear();
    for _ in 2..=7 {
        let entry = next_message(&mut cat).await;
        assert_eq!(entry.changes(), Some(1), "{entry:?}");
        entry.apply_to(&mut old);
    }
    assert_eq!(chips(&old), expected);

    // A deleted message loses its reactions and takes no more.
    ann.send_frame(&ClientFrame::Delete {
        room: "lobby".into(),
        seq: 1,
        client_id: Uuid::new_v4(),
    })
    .await;
    assert_eq!(ack(&mut ann).await, 8);
    react(&mut bob, "lobby", 1, "😢", false).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    assert!(history(&app, "lobby").await[0].reactions.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_message_holds_a_bounded_number_of_reactions_and_floods_are_slowed() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    ann.join("full", None).await;
    ann.say("full", "react to me").await;
    assert_eq!(ack(&mut ann).await, 1);
    for (emoji, _) in PALETTE.iter().take(REACTIONS_MAX) {
        react(&mut ann, "full", 1, emoji, false).await;
        ack(&mut ann).await;
    }
    let extra = PALETTE[REACTIONS_MAX].0;
    react(&mut ann, "full", 1, extra, false).await;
    let (code, why) = error_frame(&mut ann).await;
    assert_eq!(code, ErrorCode::BadReaction, "{why}");
    assert!(why.contains("at most 20"), "{why}");
    // One already there can still be given by someone else, or taken back.
    let mut bob = app.client("bob").await;
    react(&mut bob, "full", 1, PALETTE[0].0, false).await;
    ack(&mut bob).await;
    react(&mut ann, "full", 1, PALETTE[1].0, true).await;
    ack(&mut ann).await;
    let msg = &history(&app, "full").await[0];
    assert_eq!(msg.reactions.len(), REACTIONS_MAX - 1);
    assert_eq!(msg.reactions[0].by.len(), 2);
    app.stop().await;

    // Reactions share the sender's limit with messages: a script is slowed down, told
    // how long to wait, and its socket carries on.
    let app = TestApp::spawn().await;
    let mut bot = app.client("bot").await;
    bot.join("flood", None).await;
    bot.say("flood", "target").await;
    let seq = ack(&mut bot).await;
    for i in 0..100 {
        react(&mut bot, "flood", seq, PALETTE[i % 10].0, i % 20 >= 10).await;
    }
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < 100 {
        match bot.recv().await {
            ServerFrame::Ack { .. } => acked += 1,
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms: Some(_),
                ..
            } => limited += 1,
            ServerFrame::Message(_) | ServerFrame::Receipts { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        limited > 50 && acked > 0,
        "{acked} acked, {limited} limited"
    );
    app.stop().await;
}
