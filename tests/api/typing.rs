//! `typing`: passed on to everyone else in the room (on every node), never to the typer's
//! other tabs, never stored, at most once every 2 s per socket and room, and only in a
//! room the socket joined. (`make test` runs these on SQLite and again on Postgres.)

use cloud_msg::protocol::{ClientFrame, ErrorCode, ServerFrame};

use crate::{helpers::*, rooms::error_frame};

async fn typing(ws: &mut Client, room: &str) {
    ws.send_frame(&ClientFrame::Typing { room: room.into() })
        .await;
}

/// The next `typing` frame (skipping what else arrives).
async fn typer(ws: &mut Client) -> (String, uuid::Uuid, String) {
    match ws
        .recv_until(|f| matches!(f, ServerFrame::Typing { .. }))
        .await
    {
        ServerFrame::Typing { room, user, name } => (room, user, name),
        _ => unreachable!(),
    }
}

/// `ann` says something and everyone given sees it: their subscriptions are live.
async fn in_sync(ann: &mut Client, others: &mut [&mut Client], room: &str, text: &str) {
    ann.say(room, text).await;
    ann.recv_until(|f| matches!(f, ServerFrame::Message(m) if m.text == text))
        .await;
    for c in others.iter_mut() {
        c.recv_until(|f| matches!(f, ServerFrame::Message(m) if m.text == text))
            .await;
    }
}

#[tokio::test]
async fn typing_reaches_the_others_only_and_is_never_stored() {
    let app = TestApp::spawn_unlimited().await;
    let ann_session = app.sign_in("ann").await;
    let auth = [("authorization", format!("Bearer {}", ann_session.token))];
    let mut ann = app.connect_with(&auth).await.unwrap();
    let mut ann_tab = app.connect_with(&auth).await.unwrap();
    let mut bob = app.client("bob").await;
    for c in [&mut ann, &mut ann_tab, &mut bob] {
        c.join("lobby", Some(0)).await;
    }
    in_sync(&mut ann, &mut [&mut ann_tab, &mut bob], "lobby", "hi").await;

    typing(&mut ann, "lobby").await;
    assert_eq!(
        typer(&mut bob).await,
        ("lobby".into(), ann_session.user_id, "ann".into())
    );
    // The typer's own tabs are not told that they are typing.
    ann_tab.expect_silence(300).await;
    ann.expect_silence(100).await;

    // Again at once: refused for now, to the sender only; after the gap it goes through.
    typing(&mut ann, "lobby").await;
    let wait = match ann
        .recv_frame_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            retry_after_ms: Some(ms),
            ..
        } => ms,
        other => panic!("expected rate_limited with a wait, got {other:?}"),
    };
    assert!(wait <= 2_000, "at most the 2 s gap: {wait} ms");
    bob.expect_silence(300).await;
    // What the server said to wait (the rule under test is a time).
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    typing(&mut ann, "lobby").await;
    assert_eq!(typer(&mut bob).await.1, ann_session.user_id);

    // Not in a room one has not joined, not in a bad one.
    typing(&mut bob, "elsewhere").await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::NotFound);
    typing(&mut bob, "Bad Room").await;
    assert_eq!(error_frame(&mut bob).await.0, ErrorCode::BadRoom);

    // Never stored: history and a newcomer's catch-up hold the message only.
    assert_eq!(history(&app, "lobby").await.len(), 1);
    let mut cat = app.client("cat").await;
    cat.join("lobby", Some(0)).await;
    cat.recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    cat.expect_silence(300).await;
    app.stop().await;
}

#[tokio::test]
async fn typing_on_one_node_is_seen_on_another() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let mut ann = a.client("ann").await;
    let mut bob = b.client("bob").await;
    ann.join("lobby", Some(0)).await;
    bob.join("lobby", Some(0)).await;
    in_sync(&mut ann, &mut [&mut bob], "lobby", "hello across").await;
    typing(&mut ann, "lobby").await;
    let (room, _, name) = typer(&mut bob).await;
    assert_eq!((room.as_str(), name.as_str()), ("lobby", "ann"));
    a.stop().await;
    b.stop().await;
}
