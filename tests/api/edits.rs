//! Editing a message: only its author edits it (not an owner, not the admin). Everyone sees
//! the new text and that it was edited live; the page, older history, `since` catch-up and
//! search show the new text, so every client converges. (`make test` runs these on SQLite
//! and again on Postgres.)

use cloud_msg::protocol::{ClientFrame, ErrorCode};
use uuid::Uuid;

use crate::{
    helpers::*,
    rooms::{error_frame, sign_up},
    search::search,
};

async fn edit(ws: &mut Client, room: &str, seq: u64, text: &str) -> Uuid {
    let client_id = Uuid::new_v4();
    edit_as(ws, room, seq, client_id, text).await;
    client_id
}

async fn edit_as(ws: &mut Client, room: &str, seq: u64, client_id: Uuid, text: &str) {
    ws.send_frame(&ClientFrame::Edit {
        room: room.into(),
        seq,
        client_id,
        text: text.into(),
    })
    .await;
}

#[tokio::test]
async fn an_author_edits_their_message_and_everyone_converges() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    let mut bob = app.client("bob").await;
    ann.join("lobby", None).await;
    bob.join("lobby", Some(0)).await;
    ann.say("lobby", "teh plan is <b>secret</b>").await;
    assert_eq!(ack(&mut ann).await, 1);
    bob.say("lobby", "ok").await;
    assert_eq!(ack(&mut bob).await, 2);
    while next_message(&mut bob).await.seq < 2 {}

    // Not someone else's, not what is not there, not a bad text or room.
    edit(&mut bob, "lobby", 1, "mine now").await;
    let (code, why) = error_frame(&mut bob).await;
    assert_eq!(code, ErrorCode::NotAllowed, "{why}");
    edit(&mut ann, "lobby", 99, "x").await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::NotFound);
    edit(&mut ann, "nowhere", 1, "x").await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::NotFound);
    edit(&mut ann, "Bad Room", 1, "x").await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::BadRoom);
    edit(&mut ann, "lobby", 1, "  \n ").await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::EmptyText);
    edit(&mut ann, "lobby", 1, &"x".repeat(5000)).await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::TextTooLong);

    // The author's edit is the room's next entry, seen live by everyone, formatted and
    // never as markup.
    let id = edit(&mut ann, "lobby", 1, "the **plan** is <b>out</b> :tada:").await;
    assert_eq!(ack(&mut ann).await, 3);
    let seen = next_message(&mut bob).await;
    assert_eq!((seen.seq, seen.kind.edits()), (3, Some(1)));
    assert_eq!(seen.text, "the **plan** is <b>out</b> 🎉");
    assert_eq!(
        seen.html.as_deref(),
        Some("<p>the <strong>plan</strong> is &lt;b&gt;out&lt;/b&gt; 🎉</p>")
    );
    // A retry is acked with the same seq and stores nothing new.
    edit_as(
        &mut ann,
        "lobby",
        1,
        id,
        "the **plan** is <b>out</b> :tada:",
    )
    .await;
    assert_eq!(ack(&mut ann).await, 3);
    bob.expect_silence(300).await;
    // Editing an edit is not a thing.
    edit(&mut ann, "lobby", 3, "x").await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::NotFound);
    // A second edit: the latest text wins.
    edit(&mut ann, "lobby", 1, "the **plan** is out").await;
    assert_eq!(ack(&mut ann).await, 4);

    // History and the page show the new text, marked edited.
    let msgs = history(&app, "lobby").await;
    let shape: Vec<(u64, &str, Option<u64>, Option<u64>)> = msgs
        .iter()
        .map(|m| (m.seq, m.text.as_str(), m.kind.edits(), m.edited))
        .collect();
    assert_eq!(
        shape,
        [
            (1, "the **plan** is out", None, Some(4)),
            (2, "ok", None, None),
            (3, "the **plan** is <b>out</b> 🎉", Some(1), None),
            (4, "the **plan** is out", Some(1), None),
        ]
    );
    let html = app.get("/r/lobby").await.text().await.unwrap();
    assert!(html.contains("the <strong>plan</strong> is out"), "{html}");
    assert!(html.contains("(edited)"), "the page says it was edited");
    assert!(
        !html.contains("teh plan") && !html.contains("<b>"),
        "{html}"
    );

    // Search finds the new words, not the old ones.
    let (hits, _) = search(&app, None, "teh").await;
    assert!(hits.is_empty(), "{hits:?}");
    let (hits, html) = search(&app, None, "plan out").await;
    assert_eq!(hits, ["/r/lobby#m-1"]);
    // A hit shows the words as the reader sees them, not their Markdown.
    assert!(
        html.contains("the <mark>plan</mark> is <mark>out</mark>"),
        "{html}"
    );

    // A client that saw the message catches up to the edits; a new one sees the new text.
    let mut back = app.client("cat").await;
    back.join("lobby", Some(1)).await;
    let mut replay = Vec::new();
    for _ in 0..3 {
        let m = next_message(&mut back).await;
        replay.push((m.seq, m.kind.edits()));
    }
    assert_eq!(replay, [(2, None), (3, Some(1)), (4, Some(1))]);
    let mut fresh = app.client("dan").await;
    fresh.join("lobby", Some(0)).await;
    let first = next_message(&mut fresh).await;
    assert_eq!(
        (first.text.as_str(), first.edited),
        ("the **plan** is out", Some(4))
    );

    // A deleted message cannot be edited.
    ann.send_frame(&ClientFrame::Delete {
        room: "lobby".into(),
        seq: 1,
        client_id: Uuid::new_v4(),
    })
    .await;
    assert_eq!(ack(&mut ann).await, 5);
    edit(&mut ann, "lobby", 1, "back again").await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::NotFound);
    let (hits, _) = search(&app, None, "plan").await;
    assert!(hits.is_empty(), "{hits:?}");
    app.stop().await;
}

#[tokio::test]
async fn nobody_edits_someone_elses_message_not_even_the_admin() {
    let app = TestApp::spawn_unlimited().await;
    let mut admin = sign_up(&app, "root").await;
    let mut bob = sign_up(&app, "bob").await;
    bob.ws.join("lobby", None).await;
    admin.ws.join("lobby", None).await;
    bob.ws.say("lobby", "my words").await;
    let seq = ack(&mut bob.ws).await;
    edit(&mut admin.ws, "lobby", seq, "the admin's words").await;
    let (code, why) = error_frame(&mut admin.ws).await;
    assert_eq!(code, ErrorCode::NotAllowed, "{why}");
    assert!(why.contains("only your own"), "{why}");
    assert_eq!(history(&app, "lobby").await[0].text, "my words");
    app.stop().await;
}
