//! Deleting a message: the author deletes their own, a room's owners (and the admin, in a
//! public room) anyone's. Everyone sees the deletion live; the page, older history and
//! `since` catch-up show the tombstone, so every client converges. (`make test` runs these
//! on SQLite and again on Postgres.)

use cloud_msg::protocol::{ClientFrame, ErrorCode};
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::*,
    rooms::{ban, error_frame, post_as, sign_up},
};

async fn delete(ws: &mut Client, room: &str, seq: u64) -> Uuid {
    let client_id = Uuid::new_v4();
    delete_as(ws, room, seq, client_id).await;
    client_id
}

async fn delete_as(ws: &mut Client, room: &str, seq: u64, client_id: Uuid) {
    ws.send_frame(&ClientFrame::Delete {
        room: room.into(),
        seq,
        client_id,
    })
    .await;
}

#[tokio::test]
async fn an_author_deletes_their_message_and_everyone_converges() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    let mut bob = app.client("bob").await;
    // ann makes the room (its owner) before bob joins: two joins at once race for it.
    ann.join("lobby", None).await;
    ann.presence().await;
    bob.join("lobby", Some(0)).await;
    ann.say("lobby", "my password is hunter2").await;
    assert_eq!(ack(&mut ann).await, 1);
    bob.say("lobby", "ha").await;
    assert_eq!(ack(&mut bob).await, 2);
    while next_message(&mut bob).await.seq < 2 {}

    // Not someone else's, not what is not there, not a deletion.
    delete(&mut bob, "lobby", 1).await;
    let (code, why) = error_frame(&mut bob).await;
    assert_eq!(code, ErrorCode::NotAllowed, "{why}");
    delete(&mut bob, "lobby", 99).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    delete(&mut bob, "nowhere", 1).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    delete(&mut bob, "Bad Room", 1).await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::BadRoom);

    // The author's deletion is the room's next entry, seen live by everyone.
    let id = delete(&mut ann, "lobby", 1).await;
    assert_eq!(ack(&mut ann).await, 3);
    let seen = next_message(&mut bob).await;
    assert_eq!(
        (seen.seq, seen.kind.deletes(), seen.text.as_str()),
        (3, Some(1), "")
    );
    // A retry is acked with the same seq and stores nothing new.
    delete_as(&mut ann, "lobby", 1, id).await;
    assert_eq!(ack(&mut ann).await, 3);
    bob.expect_silence(300).await;
    // Deleting a deletion is not a thing.
    delete(&mut ann, "lobby", 3).await;
    assert_eq!(error_frame(&mut ann).await.0, ErrorCode::NotFound);

    // History and the page keep the place, not the text.
    let msgs = history(&app, "lobby").await;
    let shape: Vec<(u64, bool, Option<u64>, &str)> = msgs
        .iter()
        .map(|m| (m.seq, m.deleted, m.kind.deletes(), m.text.as_str()))
        .collect();
    assert_eq!(
        shape,
        [
            (1, true, None, ""),
            (2, false, None, "ha"),
            (3, false, Some(1), "")
        ]
    );
    let html = app.get("/r/lobby").await.text().await.unwrap();
    assert!(!html.contains("hunter2"), "the page no longer has the text");
    assert!(
        html.contains("Message deleted"),
        "the page shows a tombstone"
    );

    // A client that saw the message catches up to the deletion; a new one sees the tombstone.
    let mut back = app.client("cat").await;
    back.join("lobby", Some(1)).await;
    let replay: Vec<(u64, Option<u64>)> =
        [next_message(&mut back).await, next_message(&mut back).await]
            .iter()
            .map(|m| (m.seq, m.kind.deletes()))
            .collect();
    assert_eq!(replay, [(2, None), (3, Some(1))]);
    let mut fresh = app.client("dan").await;
    fresh.join("lobby", Some(0)).await;
    let first = next_message(&mut fresh).await;
    assert!(first.deleted && first.text.is_empty() && first.author == "ann");
    app.stop().await;
}

#[tokio::test]
async fn owners_and_the_admin_delete_anyones_message_members_do_not() {
    let app = TestApp::spawn_unlimited().await;
    let mut admin = sign_up(&app, "root").await;
    let mut owner = sign_up(&app, "olga").await;
    let mut bob = sign_up(&app, "bob").await;
    let ops = json!({"name": "ops", "private": true});
    assert_eq!(post_as(&app, &owner, "/api/rooms", Some(ops)).await, 201);
    let bob_in = Some(json!({"name": "bob"}));
    assert_eq!(
        post_as(&app, &owner, "/api/rooms/ops/members", bob_in).await,
        204
    );
    owner.ws.join("ops", None).await;
    bob.ws.join("ops", None).await;
    owner.ws.say("ops", "the plan").await;
    assert_eq!(ack(&mut owner.ws).await, 1);
    bob.ws.say("ops", "spam spam spam").await;
    assert_eq!(ack(&mut bob.ws).await, 2);

    // A member cannot delete the owner's; the owner deletes the member's.
    delete(&mut bob.ws, "ops", 1).await;
    assert_eq!(error_frame(&mut bob.ws).await.0, ErrorCode::NotAllowed);
    delete(&mut owner.ws, "ops", 2).await;
    assert_eq!(ack(&mut owner.ws).await, 3);
    // The admin is not in this private room: it does not exist for them.
    delete(&mut admin.ws, "ops", 1).await;
    assert_eq!(error_frame(&mut admin.ws).await.0, ErrorCode::NotFound);

    // In a public room the admin moderates: they delete anyone's.
    bob.ws.join("lobby", None).await;
    bob.ws.say("lobby", "more spam").await;
    let seq = ack(&mut bob.ws).await;
    delete(&mut admin.ws, "lobby", seq).await;
    assert_eq!(ack(&mut admin.ws).await, seq + 1);
    let msgs = history(&app, "lobby").await;
    assert!(msgs[0].deleted && msgs[0].text.is_empty());
    // The page offers Delete where it may be used (the buttons come with hydration; the
    // page's data says whether the reader moderates): the admin (a member of the public
    // room) on everyone's messages, someone else on none of others'.
    owner.ws.join("lobby", None).await;
    owner.ws.say("lobby", "hello lobby").await;
    ack(&mut owner.ws).await;
    admin.ws.join("lobby", None).await;
    admin.ws.say("lobby", "welcome").await;
    ack(&mut admin.ws).await;
    let moderates = |html: &str| html.contains(r#""moderator":true"#);
    let html = app.page_with_cookie("/r/lobby", &admin.cookie()).await;
    assert!(moderates(&html), "{html}");
    let eve = app.sign_up("eve").await;
    let html = app
        .page_with_cookie("/r/lobby", &format!("cloud_msg_session={}", eve.token))
        .await;
    assert!(!moderates(&html) && html.contains(r#""moderator":false"#));
    // A banned person cannot delete even their own.
    assert_eq!(ban(&app, &admin, "lobby", bob.id()).await, 204);
    delete(&mut bob.ws, "lobby", seq).await;
    let (code, _) = error_frame(&mut bob.ws).await;
    assert!(
        matches!(code, ErrorCode::Banned | ErrorCode::Removed),
        "{code:?}"
    );
    app.stop().await;
}
