//! Replies: a message may answer another of its room (`reply_to`), which it quotes: the
//! author and first line of that message as it is now, so an edit shows in the quote and a
//! deletion leaves no words behind. Over the socket and over HTTP; a reply to what is not
//! a message of the room, or to a room one may not post in, is refused and reads nothing.
//! (`make test` runs these on SQLite and again on Postgres.)

use cloud_msg::protocol::{ClientFrame, ErrorCode, Quote};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::*,
    rooms::{call, error_frame, sign_up},
};

async fn reply(ws: &mut Client, room: &str, to: u64, text: &str) {
    ws.send_frame(&ClientFrame::Send {
        room: room.into(),
        client_id: Uuid::new_v4(),
        text: text.into(),
        reply_to: Some(to),
    })
    .await;
}

fn quote(seq: u64, author: &str, text: &str) -> Option<Quote> {
    Some(Quote {
        seq,
        author: author.into(),
        text: text.into(),
    })
}

#[tokio::test]
async fn a_reply_quotes_its_message_as_it_is_now() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    let mut bob = app.client("bob").await;
    ann.join("lobby", None).await;
    bob.join("lobby", None).await;
    ann.say("lobby", "lunch at <b>noon</b>?\nor at one").await;
    assert_eq!(ack(&mut ann).await, 1);

    // bob answers: everyone sees the quote (the first line, as typed: clients show it as
    // text).
    reply(&mut bob, "lobby", 1, "noon works").await;
    assert_eq!(ack(&mut bob).await, 2);
    let seen = loop {
        let m = next_message(&mut ann).await;
        if m.seq == 2 {
            break m;
        }
    };
    assert_eq!(seen.reply_to, quote(1, "ann", "lunch at <b>noon</b>?"));
    let page = app.get("/r/lobby").await.text().await.unwrap();
    assert!(page.contains("Go to ann"), "{page}");
    assert!(!page.contains("<b>noon"), "the quote is text: {page}");

    // Not what is not there, not a reaction, not in a bad room.
    reply(&mut bob, "lobby", 99, "to nothing").await;
    let (code, why) = error_frame(&mut bob).await;
    assert_eq!(code, ErrorCode::NotFound, "{why}");
    assert!(why.contains("to reply to"), "{why}");
    bob.send_frame(&ClientFrame::React {
        room: "lobby".into(),
        seq: 1,
        client_id: Uuid::new_v4(),
        emoji: "👍".into(),
        undo: false,
    })
    .await;
    assert_eq!(ack(&mut bob).await, 3);
    reply(&mut bob, "lobby", 3, "to a reaction").await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);

    // Over HTTP too.
    let token = app.sign_in("cat").await.token;
    let post = |body: serde_json::Value| {
        app.http
            .post(app.url("/api/rooms/lobby/messages"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let res = post(json!({"client_id": Uuid::new_v4(), "text": "me too", "reply_to": 2}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = post(json!({"client_id": Uuid::new_v4(), "text": "x", "reply_to": 99}))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // An edit shows in the quotes; so does a deletion, which leaves no words behind.
    ann.send_frame(&ClientFrame::Edit {
        room: "lobby".into(),
        seq: 1,
        client_id: Uuid::new_v4(),
        text: "lunch at one".into(),
    })
    .await;
    ack(&mut ann).await;
    let msgs = history(&app, "lobby").await;
    let replies: Vec<_> = msgs.iter().filter(|m| m.reply_to.is_some()).collect();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].reply_to, quote(1, "ann", "lunch at one"));
    assert_eq!(replies[1].reply_to, quote(2, "bob", "noon works"));
    ann.send_frame(&ClientFrame::Delete {
        room: "lobby".into(),
        seq: 1,
        client_id: Uuid::new_v4(),
    })
    .await;
    ack(&mut ann).await;
    assert_eq!(
        history(&app, "lobby").await[1].reply_to,
        quote(1, "ann", "")
    );
    let page = app.get("/r/lobby").await.text().await.unwrap();
    assert!(!page.contains("lunch"), "{page}");
    // A deleted message takes no replies; a new client catching up gets the quotes.
    reply(&mut bob, "lobby", 1, "too late").await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    let mut dan = app.client("dan").await;
    dan.join("lobby", Some(1)).await;
    let caught = next_message(&mut dan).await;
    assert_eq!((caught.seq, caught.reply_to), (2, quote(1, "ann", "")));
    app.stop().await;
}

#[tokio::test]
async fn nobody_reads_a_private_room_by_replying_into_it() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = sign_up(&app, "ann").await;
    let res = call(
        &app,
        Some(&ann),
        Method::POST,
        "/api/rooms",
        Some(json!({"name": "vault", "private": true})),
    )
    .await;
    assert_eq!(res.status(), 201);
    ann.ws.join("vault", None).await;
    ann.ws.say("vault", "the combination is 1234").await;
    let seq = ack(&mut ann.ws).await;
    let mut eve = app.client("eve").await;
    reply(&mut eve, "vault", seq, "what is it?").await;
    let (code, why) = error_frame(&mut eve).await;
    assert_eq!(code, ErrorCode::NotFound);
    assert!(!why.contains("1234"), "{why}");
    eve.expect_silence(200).await;
    app.stop().await;
}
