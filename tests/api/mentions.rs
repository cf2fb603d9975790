//! Mentions: `@name` and `@room` are marked in a message's HTML, and the room list counts,
//! apart from the unread messages, those that mention the reader.

use cloud_msg::protocol::ServerFrame;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_are_marked_and_the_room_list_counts_those_that_call_me() {
    let app = TestApp::spawn_unlimited().await;
    let bob = app.sign_in("bob").await;
    let bob_cookie = format!("cloud_msg_session={}", bob.token);
    let mut bob_ws = app
        .connect_with(&[("authorization", format!("Bearer {}", bob.token))])
        .await
        .unwrap();
    bob_ws.join("lobby", None).await;
    bob_ws.join("other", None).await;
    bob_ws.presence().await;
    let mut ann = app.client("ann").await;
    ann.join("other", None).await;
    for text in [
        "@bob look at this",
        "hi @bobby",
        "write to bob@example.com",
        "@ROOM standup",
        "`@bob` in code",
        "plain words",
    ] {
        ann.say("other", text).await;
        ann.recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
            .await;
    }
    // The message's HTML marks the mention (for every reader).
    let first = history(&app, "other").await;
    assert_eq!(
        first[0].html.as_deref(),
        Some(r#"<p><span class="mention">@bob</span> look at this</p>"#)
    );
    assert_eq!(first[2].html, None, "an address is no mention");
    // bob, in #lobby: #other has 6 unread, and 3 of them call him: @bob, @ROOM, and the
    // one with `@bob` in code (the count reads the text as typed); not @bobby, nor an
    // address.
    let html = app.page_with_cookie("/r/lobby", &bob_cookie).await;
    assert!(
        html.contains(r#"aria-label="other, 6 unread, 3 mentioning you""#),
        "{html}"
    );
    assert!(html.contains(r#"<span class="count mentions">@3<!></span>"#));
    // A reaction is no message: the counts stay.
    ann.send_frame(&cloud_msg::protocol::ClientFrame::React {
        room: "other".into(),
        seq: 1,
        client_id: uuid::Uuid::new_v4(),
        emoji: "👀".into(),
        undo: false,
    })
    .await;
    ann.recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let html = app.page_with_cookie("/r/lobby", &bob_cookie).await;
    assert!(
        html.contains(r#"aria-label="other, 6 unread, 3 mentioning you""#),
        "{html}"
    );
    // His own message calling himself, and a read room, count nothing.
    bob_ws.say("other", "note to self @bob").await;
    bob_ws
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let html = app.page_with_cookie("/r/lobby", &bob_cookie).await;
    assert!(html.contains("3 mentioning you"), "{html}");
    bob_ws.read_up_to("other", 8, "bob").await;
    let html = app.page_with_cookie("/r/lobby", &bob_cookie).await;
    assert!(
        !html.contains("mentioning you") && !html.contains("count mentions"),
        "read: nothing counted: {html}"
    );
}
