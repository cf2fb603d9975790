//! Limits as an abuser meets them: floods of sends, joins, new rooms, sign-ins and
//! sockets, slow and silent connections. Each is answered clearly, the connection (and
//! everyone else) carries on, and nothing accepted is lost.

use std::time::Duration;

use cloud_msg::protocol::{ClientFrame, ErrorCode, ServerFrame};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::helpers::{eventually, message, next_message, TestApp, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_sending_300_at_once_is_slowed_down_and_loses_nothing() {
    let app = TestApp::spawn().await;
    let mut bot = app.client("bot").await;
    let ids: Vec<Uuid> = (0..300).map(|_| Uuid::new_v4()).collect();
    for (i, id) in ids.iter().enumerate() {
        bot.say_as("flood", *id, &format!("m{i}")).await;
    }
    let (mut acked, mut limited) = (Vec::new(), Vec::new());
    let mut wait = 0;
    while acked.len() + limited.len() < ids.len() {
        match bot.recv().await {
            ServerFrame::Ack { client_id, .. } => acked.push(client_id),
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                client_id: Some(id),
                retry_after_ms: Some(ms),
                message,
                room: None,
            } => {
                assert!(message.contains("Slow down"), "{message}");
                wait = ms;
                limited.push(id);
            }
            ServerFrame::Message(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // The default burst lets a person's pace through, not a script's.
    assert!((20..=40).contains(&acked.len()), "{} acked", acked.len());
    assert!(wait > 0 && wait <= 10_000, "retry_after_ms {wait}");
    // The socket is still open: after the wait, the same message goes through. A retry
    // that comes a moment before its token is told to wait again, as a client would be.
    let mut tries = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(wait)).await;
        bot.say_as("flood", limited[0], "m-again").await;
        match bot
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. } | ServerFrame::Error { .. }))
            .await
        {
            ServerFrame::Ack { client_id, .. } => {
                assert_eq!(client_id, limited[0]);
                break;
            }
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms: Some(ms),
                ..
            } if tries < 3 => {
                tries += 1;
                wait = ms;
            }
            other => panic!("expected the ack after the wait, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_typing_is_never_limited() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    // 40 messages, one every 250 ms would take 10 s; the first 25 at a brisk typist's
    // pace (100 ms apart) are well inside the bucket.
    for i in 0..25 {
        alice.say("typing", &format!("line {i}")).await;
        match alice
            .recv_until(|f| !matches!(f, ServerFrame::Message(_)))
            .await
        {
            ServerFrame::Ack { .. } => {}
            other => panic!("message {i}: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_rooms_and_joins_are_limited_per_user() {
    let app = TestApp::spawn_configured(|c| {
        c.limits.create_room = "3/1h".parse().unwrap();
        c.limits.join = "6/1m".parse().unwrap();
    })
    .await;
    let mut alice = app.client("alice").await;
    for room in ["r1", "r2", "r3"] {
        alice.join(room, None).await;
    }
    alice.join("r4", None).await;
    match alice.recv().await {
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message,
            retry_after_ms: Some(_),
            ..
        } => assert!(message.contains("new rooms"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!((&app.state.store).room_count().await.unwrap(), 3);
    // Joining rooms that exist still works, until the join bucket is empty.
    alice.join("r1", None).await;
    alice.join("r2", None).await;
    alice.join("r3", None).await;
    match alice.recv().await {
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message,
            ..
        } => assert!(message.contains("joins"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Another person is not affected.
    let mut bob = app.client("bob").await;
    bob.join("r4", None).await;
    bob.say("r4", "mine").await;
    assert!(matches!(
        bob.recv().await,
        ServerFrame::Ack { .. } | ServerFrame::Message(_)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_of_50_signs_in_but_a_script_gets_429() {
    let app = TestApp::spawn().await;
    for i in 0..50 {
        let res = app
            .post_session(json!({ "name": format!("person {i}") }))
            .await;
        assert_eq!(res.status(), 200, "sign-in {i}");
    }
    let res = app.post_session(json!({ "name": "one too many" })).await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // The form path shares the bucket.
    let res = app
        .http
        .post(app.url("/join"))
        .form(&[("name", "form"), ("room", "general")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_may_hold_32_sockets_and_the_33rd_gets_429() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("tabs").await.token;
    let bearer = ("authorization", format!("Bearer {token}"));
    let mut open = Vec::new();
    for _ in 0..32 {
        open.push(app.connect_with(&[bearer.clone()]).await.expect("socket"));
    }
    match app.connect_with(&[bearer.clone()]).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status(), 429);
            assert!(res.headers().contains_key("retry-after"));
        }
        other => panic!("expected 429, got {:?}", other.map(|_| ())),
    }
    // Someone else still gets in; and closing one makes room again.
    let mut other = app.client("other").await;
    other.join("general", None).await;
    drop(open.pop());
    let again = eventually("a closed socket frees its place", || async {
        app.connect_with(&[bearer.clone()]).await.ok()
    })
    .await;
    open.push(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_connections_are_cut_off_and_do_not_lock_anyone_out() {
    // Here the lorises and the people share 127.0.0.1, so the cap per address (which shuts
    // one address's flood out of the server: `endurance::one_address_cannot_hold…`) is
    // raised: this test is about the header deadline.
    let app = TestApp::spawn_configured(|c| {
        c.timeouts.request_headers = Duration::from_millis(800);
        c.limits.connections_per_ip = 10_000;
    })
    .await;
    // 2,000 connections that send half a request line, or nothing at all.
    let mut lorises = Vec::new();
    for i in 0..2000 {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /r/general HT").await.unwrap();
        }
        lorises.push(s);
    }
    // A normal person signs in and chats meanwhile.
    let mut alice = app.client("alice").await;
    let mut bob = app.client("bob").await;
    // With `since`, bob gets the message however late the busy server takes his join.
    alice.join("general", Some(0)).await;
    bob.join("general", Some(0)).await;
    alice.say("general", "still here").await;
    assert_eq!(message(&bob.recv().await).text, "still here");
    // Every loris is closed once its headers are late.
    let until = tokio::time::Instant::now() + WAIT;
    for (i, s) in lorises.iter_mut().enumerate() {
        let mut buf = [0u8; 512];
        let read = tokio::time::timeout_at(until, s.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("connection {i} still open"));
        // Closed, perhaps after a 408.
        if let Ok(n) = read {
            if n > 0 {
                let head = String::from_utf8_lossy(&buf[..n]);
                assert!(head.starts_with("HTTP/1.1 408"), "{head}");
            }
        }
    }
}

/// Reads from `s` until a whole response head has come.
async fn response_head(s: &mut tokio::net::TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("a read");
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_that_comes_in_parts_is_answered() {
    let app = TestApp::spawn().await;
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr);
    for part in [&head[..5], &head[5..20], &head[20..]] {
        s.write_all(part.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let answer = response_head(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Only the first request of a connection takes one of the places for requests in
/// progress, and gives it back once answered: more idle keep-alive connections than there
/// are places keep nobody waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_hold_no_place_among_requests_in_progress() {
    use cloud_msg::server::infra::serve::REQUESTS_AT_ONCE;
    let app = TestApp::spawn_configured(|c| {
        c.timeouts.request_headers = Duration::from_secs(60);
        c.limits.connections_per_ip = 10_000;
    })
    .await;
    let head = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr);
    let mut idle = Vec::new();
    for i in 0..REQUESTS_AT_ONCE + 50 {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        let answer = response_head(&mut s).await;
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "connection {i}: {answer}"
        );
        idle.push(s);
    }
    // All of them still open, a newcomer's request and a socket are answered.
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    assert!(response_head(&mut s).await.starts_with("HTTP/1.1 200"));
    let mut alice = app.client("alice").await;
    alice.join("general", Some(0)).await;
    alice.say("general", "still room").await;
    assert_eq!(next_message(&mut alice).await.text, "still room");
    // And the first of the idle ones asks again on its open connection.
    idle[0].write_all(head.as_bytes()).await.unwrap();
    assert!(response_head(&mut idle[0])
        .await
        .starts_with("HTTP/1.1 200"));
}

/// Requests whose bodies never come hold their places among the requests in progress a
/// second at most: more of them than there are places keep a newcomer waiting that long,
/// not until their 60 s deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_never_come_do_not_keep_a_newcomer_out() {
    use cloud_msg::server::infra::serve::REQUESTS_AT_ONCE;
    let app = TestApp::spawn_configured(|c| {
        c.timeouts.request = Duration::from_secs(60);
        c.limits.connections_per_ip = 10_000;
    })
    .await;
    let head = format!(
        "POST /api/accounts HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{",
        app.addr
    );
    let mut stalled = Vec::new();
    for _ in 0..REQUESTS_AT_ONCE + 10 {
        let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        stalled.push(s);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let get = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr);
    s.write_all(get.as_bytes()).await.unwrap();
    assert!(response_head(&mut s).await.starts_with("HTTP/1.1 200"));
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app =
        TestApp::spawn_configured(|c| c.timeouts.request_headers = Duration::from_millis(500))
            .await;
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr).as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Then silence: the server hangs up.
    let started = std::time::Instant::now();
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the idle connection stayed open");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_off_lets_a_load_test_through() {
    let app = TestApp::spawn_unlimited().await;
    let mut bot = app.client("bench").await;
    for i in 0..200 {
        bot.send_frame(&ClientFrame::Send {
            room: "bench".into(),
            client_id: Uuid::new_v4(),
            text: format!("{i}"),
            reply_to: None,
        })
        .await;
    }
    let mut acks = 0;
    while acks < 200 {
        if let ServerFrame::Ack { .. } = bot.recv().await {
            acks += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed() {
    let app =
        TestApp::spawn_configured(|c| c.timeouts.request_headers = Duration::from_millis(300))
            .await;
    let mut s = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let mut buf = [0u8; 64];
    let started = std::time::Instant::now();
    let read = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
}
