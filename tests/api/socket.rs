//! The WebSocket protocol: auth, broadcast, acks, idempotency, catch-up, bad input,
//! persistence and shutdown.

use std::sync::Arc;

use cloud_msg::protocol::{ErrorCode, ServerFrame};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use uuid::Uuid;

use crate::helpers::{message, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_needs_a_session_and_a_trusted_origin() {
    let app = TestApp::spawn().await;
    let status = |r: Result<_, WsError>| match r {
        Err(WsError::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => 101,
    };
    assert_eq!(status(app.connect_with(&[]).await), 401);
    let bogus = [("authorization", "Bearer nope".to_owned())];
    assert_eq!(status(app.connect_with(&bogus).await), 401);

    let token = app.sign_in("alice").await.token;
    let bearer = ("authorization", format!("Bearer {token}"));
    let cookie = ("cookie", format!("cloud_msg_session={token}"));
    assert_eq!(
        status(app.connect_with(std::slice::from_ref(&bearer)).await),
        101
    );
    assert_eq!(
        status(app.connect_with(std::slice::from_ref(&cookie)).await),
        101
    );
    let own = ("origin", format!("http://{}", app.addr));
    assert_eq!(status(app.connect_with(&[cookie.clone(), own]).await), 101);
    let listed = ("origin", "https://allowed.example".to_owned());
    assert_eq!(
        status(app.connect_with(&[cookie.clone(), listed]).await),
        101
    );
    let foreign = ("origin", "https://evil.example".to_owned());
    assert_eq!(status(app.connect_with(&[cookie, foreign]).await), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_see_each_others_messages_in_order() {
    let app = TestApp::spawn().await;
    let (mut alice, mut bob) = (app.client("alice").await, app.client("bob").await);
    // A join is processed in order with later frames on the same socket, but another
    // socket's send may overtake it: each waits for its `joined`.
    alice.join("general", None).await;
    bob.join("general", None).await;

    let id = alice.say("general", "hello :wave:").await;
    let frames = alice.recv_n(2).await;
    assert_eq!(
        frames[0],
        ServerFrame::Ack {
            room: "general".into(),
            client_id: id,
            seq: 1
        }
    );
    let echoed = message(&frames[1]).clone();
    let got = bob.recv().await;
    let m = message(&got);
    assert_eq!(m, &echoed);
    assert_eq!(
        (m.seq, m.author.as_str(), m.text.as_str()),
        (1, "alice", "hello 👋")
    );
    assert_eq!(m.client_id, id);
    assert!((cloud_msg::timestamp::Timestamp::now().millis() - m.ts.millis()).abs() < 10_000);

    bob.say("general", "hi alice").await;
    let got = alice.recv().await;
    assert_eq!(
        (message(&got).seq, message(&got).author.as_str()),
        (2, "bob")
    );
    // Someone in another room hears nothing.
    let mut carol = app.client("carol").await;
    carol.join("random", None).await;
    alice.say("general", "still here").await;
    carol.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_send_is_acked_again_and_stored_once() {
    let app = TestApp::spawn().await;
    let (mut alice, mut bob) = (app.client("alice").await, app.client("bob").await);
    bob.join("general", None).await;
    alice.join("general", None).await;
    let id = Uuid::new_v4();
    alice.say_as("general", id, "only once").await;
    alice.say_as("general", id, "only once").await;
    let mut seen_acks = vec![];
    let mut seen_msgs = 0;
    for frame in alice.recv_n(3).await {
        match frame {
            ServerFrame::Ack { client_id, seq, .. } => seen_acks.push((client_id, seq)),
            ServerFrame::Message(_) => seen_msgs += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(seen_acks, [(id, 1), (id, 1)]);
    assert_eq!(seen_msgs, 1);
    assert_eq!(message(&bob.recv().await).seq, 1);
    bob.expect_silence(300).await;
    // The next message takes the next seq: nothing was stored twice.
    alice.say("general", "next").await;
    assert_eq!(message(&bob.recv().await).seq, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_with_since_replays_exactly_the_missed_messages_then_goes_live() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    for i in 1..=7 {
        alice.say("catchup", &format!("m{i}")).await;
    }
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 7, .. }))
        .await;

    let mut bob = app.client("bob").await;
    bob.join("catchup", Some(4)).await;
    let replayed: Vec<u64> = bob.recv_n(3).await.iter().map(|f| message(f).seq).collect();
    assert_eq!(replayed, [5, 6, 7]);
    alice.say("catchup", "live").await;
    let live = bob.recv().await;
    assert_eq!(
        (message(&live).seq, message(&live).text.as_str()),
        (8, "live")
    );
    bob.expect_silence(200).await;

    // Without since: live only. With since 0: everything.
    let mut carol = app.client("carol").await;
    carol.join("catchup", Some(0)).await;
    let all: Vec<u64> = carol
        .recv_n(8)
        .await
        .iter()
        .map(|f| message(f).seq)
        .collect();
    assert_eq!(all, (1..=8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_during_a_live_burst_has_no_gap_and_no_duplicate() {
    let app = TestApp::spawn_unlimited().await;
    let mut alice = app.client("alice").await;
    // The first message is stored, then bob joins while the other 299 pour in.
    let (started, under_way) = tokio::sync::oneshot::channel();
    let sender = tokio::spawn(async move {
        alice.say("burst", "b0").await;
        alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 1, .. }))
            .await;
        let _ = started.send(());
        for i in 1..300 {
            alice.say("burst", &format!("b{i}")).await;
        }
        alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 300, .. }))
            .await;
    });
    under_way.await.unwrap();
    let mut bob = app.client("bob").await;
    bob.join("burst", Some(0)).await;
    let seqs: Vec<u64> = bob
        .recv_n(300)
        .await
        .iter()
        .map(|f| message(f).seq)
        .collect();
    assert_eq!(seqs, (1..=300).collect::<Vec<_>>());
    sender.await.unwrap();
    bob.expect_silence(200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_specific_error_for_the_sender_only() {
    let app = TestApp::spawn().await;
    let (mut alice, mut bob) = (app.client("alice").await, app.client("bob").await);
    alice.join("general", None).await;
    bob.join("general", None).await;

    let id = Uuid::new_v4();
    let send = |text: String| {
        Message::text(
            serde_json::json!({"type": "send", "room": "general", "client_id": id, "text": text})
                .to_string(),
        )
    };
    let cases: Vec<(Message, ErrorCode, bool)> = vec![
        (send(String::new()), ErrorCode::EmptyText, true),
        (send(" \n\t ".into()), ErrorCode::EmptyText, true),
        (send("x".repeat(4001)), ErrorCode::TextTooLong, true),
        (
            Message::text(r#"{"type":"dance"}"#),
            ErrorCode::BadFrame,
            false,
        ),
        (Message::text("{not json"), ErrorCode::BadFrame, false),
        (
            Message::text(r#"{"type":"send","room":"general","text":"no id"}"#),
            ErrorCode::BadFrame,
            false,
        ),
        (
            Message::binary(vec![1, 2, 3]),
            ErrorCode::BinaryFrame,
            false,
        ),
        (
            Message::text(r#"{"type":"join","room":"Not OK"}"#),
            ErrorCode::BadRoom,
            false,
        ),
        (
            Message::text(
                serde_json::json!({"type":"send","room":"../etc","client_id":id,"text":"hi"})
                    .to_string(),
            ),
            ErrorCode::BadRoom,
            true,
        ),
        (
            Message::text(r#"{"type":"leave","room":""}"#),
            ErrorCode::BadRoom,
            false,
        ),
    ];
    for (frame, code, with_id) in cases {
        let shown = format!("{frame:?}").chars().take(80).collect::<String>();
        alice.send_raw(frame).await;
        match alice.recv().await {
            ServerFrame::Error {
                code: got,
                message,
                client_id,
                ..
            } => {
                assert_eq!(got, code, "{shown}");
                assert!(!message.is_empty());
                assert_eq!(client_id, with_id.then_some(id), "{shown}");
            }
            other => panic!("{shown}: expected an error, got {other:?}"),
        }
    }
    // Exactly 4,000 characters is fine, and the connection still works.
    alice.send_raw(send("y".repeat(4000))).await;
    assert!(matches!(
        alice.recv().await,
        ServerFrame::Ack { seq: 1, .. }
    ));
    // Bob heard only the valid message.
    let got = bob.recv().await;
    assert_eq!(message(&got).text.len(), 4000);
    bob.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_only_that_socket() {
    let app = TestApp::spawn().await;
    let (mut alice, mut bob) = (app.client("alice").await, app.client("bob").await);
    bob.join("general", None).await;
    let huge = format!(
        r#"{{"type":"send","room":"general","client_id":"{}","text":"{}"}}"#,
        Uuid::new_v4(),
        "z".repeat(70 * 1024)
    );
    alice.send_raw(Message::text(huge)).await;
    assert_eq!(alice.expect_close().await, 1009);
    bob.say("general", "still fine").await;
    assert!(matches!(bob.recv().await, ServerFrame::Ack { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_and_sessions_survive_a_restart() {
    let app = TestApp::spawn().await;
    let db = Arc::clone(&app.db);
    let session = app.sign_in("alice").await;
    let mut alice = app
        .connect_with(&[("authorization", format!("Bearer {}", session.token))])
        .await
        .unwrap();
    for text in ["one", "two", "three"] {
        alice.say("keep", text).await;
    }
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 3, .. }))
        .await;
    // A graceful stop closes the socket with 1001 (going away).
    let stopping = tokio::spawn(app.stop());
    assert_eq!(alice.expect_close().await, 1001);
    stopping.await.unwrap();

    let app = TestApp::spawn_in(db).await;
    let mut alice = app
        .connect_with(&[("authorization", format!("Bearer {}", session.token))])
        .await
        .expect("the session is still valid");
    alice.join("keep", Some(0)).await;
    let texts: Vec<String> = alice
        .recv_n(3)
        .await
        .iter()
        .map(|f| message(f).text.clone())
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
    alice.say("keep", "four").await;
    assert!(matches!(
        alice.recv().await,
        ServerFrame::Ack { seq: 4, .. }
    ));
    let html = app.get("/r/keep").await.text().await.unwrap();
    assert!(html.contains("three<") && html.contains("four<"));
}
