//! Tried as an attacker would: markup in URLs and data, reads that would create state,
//! cross-site forms, look-alike names, stolen or stale sessions, abused markers and
//! replays. Each is refused clearly and costs the server nothing lasting.

use std::time::Duration;

use cloud_msg::protocol::{ApiError, ClientFrame, ErrorCode, ServerFrame};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{eventually, message, ServerProcess, TestApp};

/// The nonce in a `script-src` of a CSP header.
fn csp_nonce(csp: &str) -> String {
    let at = csp.find("'nonce-").expect("a nonce in the policy") + 7;
    csp[at..].split('\'').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_in_the_url_never_reaches_the_page() {
    let app = TestApp::spawn().await;
    let res = app
        .get("/r/%3C%2Ftitle%3E%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E")
        .await;
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("<title>No such room · cloud_msg</title>"));
    // Elsewhere in the URL too.
    let res = app
        .get("/%3Cscript%3Ealert(1)%3C/script%3E?x=%22%3E%3Cimg")
        .await;
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert") && !html.contains("\"><img"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_has_a_strict_policy_with_a_nonce_of_its_own() {
    let app = TestApp::spawn().await;
    let mut seen = Vec::new();
    for path in ["/r/general", "/r/general", "/r/NOPE", "/nowhere"] {
        let res = app.get(path).await;
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval' 'nonce-",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        let nonce = csp_nonce(&csp);
        let html = res.text().await.unwrap();
        // Every script the page runs carries this response's nonce; a room's data is in a
        // script that does not run.
        let data = html
            .matches("<script type=\"application/json\" id=\"page-data\">")
            .count();
        assert_eq!(data, usize::from(path == "/r/general"), "{path}");
        let scripts = html.matches("<script").count() - data;
        assert!(scripts > 0, "{path}");
        assert_eq!(
            html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + html.matches(&format!("<script nonce=\"{nonce}\"")).count(),
            scripts,
            "{path}: {html}"
        );
        seen.push(nonce);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 4, "a new nonce every time");
    // Plain data needs no policy, but gets the other headers.
    let res = app.get("/healthz").await;
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_text_and_names_are_text_never_html() {
    let app = TestApp::spawn().await;
    let mut mallory = app.client("<b>mallory</b>").await;
    mallory.join("lobby", None).await;
    mallory
        .say(
            "lobby",
            "<img src=x onerror=alert(1)><script>alert(2)</script>",
        )
        .await;
    mallory
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let html = app.get("/r/lobby").await.text().await.unwrap();
    assert!(!html.contains("<img src=x"), "{html}");
    assert!(!html.contains("<script>alert(2)"));
    assert!(!html.contains("<b>mallory"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_never_creates_rooms_or_memberships() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("reader").await.token;
    for i in 0..50 {
        let path = format!("/r/ghost-{i}");
        assert_eq!(app.get(&path).await.status(), 200);
        let head = app.http.head(app.url(&path)).send().await.unwrap();
        assert_eq!(head.status(), 200);
        // Signed in, too.
        let res = app
            .http
            .get(app.url(&path))
            .header("cookie", format!("cloud_msg_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // Markers and leaves for rooms the socket never joined.
    let mut c = app.client("marker").await;
    c.send_frame(&ClientFrame::Read {
        room: "ghost-marker".into(),
        seq: 5,
    })
    .await;
    match c.recv().await {
        ServerFrame::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::BadFrame);
            assert!(message.contains("Join"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    c.send_frame(&ClientFrame::Leave {
        room: "ghost-leave".into(),
    })
    .await;
    c.expect_silence(200).await;
    assert_eq!((&app.state.store).room_count().await.unwrap(), 0);
    assert_eq!(app.state.hub.open_rooms(), 0);
    // Joining is what makes a room.
    c.join("real", None).await;
    c.expect_silence(100).await;
    assert_eq!((&app.state.store).room_count().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_visits_to_new_names_cost_under_5_mb() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path()).await;
    let http = reqwest::Client::new();
    let visit = |i: usize| {
        let http = http.clone();
        let url = format!("http://{}/r/never-made-{i}", server.addr);
        async move {
            let res = http.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.bytes().await.unwrap();
        }
    };
    // Warm up: the first renders allocate what every render reuses.
    for i in 0..100 {
        visit(i).await;
    }
    let before = server.rss_kib();
    for chunk in (100..2100).collect::<Vec<_>>().chunks(8) {
        futures::future::join_all(chunk.iter().map(|i| visit(*i))).await;
    }
    let after = server.rss_kib();
    let grown = after.saturating_sub(before);
    println!("2,000 visits: RSS {before} KiB -> {after} KiB (+{grown} KiB)");
    assert!(grown < 5 * 1024, "grew by {grown} KiB");
    let db = format!("sqlite://{}/chat.db?mode=ro", dir.path().display());
    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    let (rooms,): (i64,) = sqlx::query_as("SELECT count(*) FROM rooms")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rooms, 0, "nothing was added to the database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_nobody_uses_gives_its_memory_back_and_comes_back_on_use() {
    let app =
        TestApp::spawn_configured(|c| c.timeouts.room_idle = Duration::from_millis(150)).await;
    let mut alice = app.client("alice").await;
    alice.join("quiet", None).await;
    alice.say("quiet", "before the nap").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 1, .. }))
        .await;
    // Someone is in it: it stays, however long it is quiet (time passing is the test).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.state.hub.open_rooms(), 1);
    alice
        .send_frame(&ClientFrame::Leave {
            room: "quiet".into(),
        })
        .await;
    eventually("the idle room's task ended", || async {
        (app.state.hub.open_rooms() == 0).then_some(())
    })
    .await;
    // It starts again on the next use, where it left off.
    let mut bob = app.client("bob").await;
    bob.join("quiet", Some(0)).await;
    assert_eq!(message(&bob.recv().await).text, "before the nap");
    bob.say("quiet", "after").await;
    let ack = bob
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    assert!(matches!(ack, ServerFrame::Ack { seq: 2, .. }), "{ack:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_forms_cannot_sign_anyone_in_or_out() {
    let app = TestApp::spawn().await;
    let form = [("name", "attacker"), ("room", "general")];
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("origin", "null"),
    ] {
        let res = app
            .http
            .post(app.url("/join"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{header}: {value}");
        assert!(res.headers().get("set-cookie").is_none());
    }
    let res = app
        .http
        .post(app.url("/join"))
        .header("origin", format!("http://{}", app.addr))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Sign-out is guarded the same way.
    let token = app.sign_in("victim").await.token;
    let res = app
        .http
        .delete(app.url("/api/session"))
        .header("cookie", format!("cloud_msg_session={token}"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // JSON only for the sign-in API (a form cannot send it).
    let res = app
        .http
        .post(app.url("/api/session"))
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_and_invisible_names_are_refused_or_normalised() {
    let app = TestApp::spawn().await;
    for bad in [
        "al\u{200B}ice",
        "\u{202E}ecila",
        "\u{3164}",
        "\u{2800}\u{2800}",
        "bob\u{2066}",
        "!!!",
    ] {
        let res = app.post_session(json!({ "name": bad })).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        let err: ApiError = res.json().await.unwrap();
        assert!(err.error.ends_with('.'), "a sentence: {}", err.error);
    }
    assert_eq!(app.sign_in("ａｌｉｃｅ").await.name, "alice");
    // A message of invisible characters only is empty.
    let mut c = app.client("carol").await;
    c.say("general", "\u{200B}\u{2800}\u{FEFF}").await;
    match c.recv().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::EmptyText),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_and_closes_its_sockets_only() {
    let app = TestApp::spawn().await;
    let mine = app.sign_in("dora").await.token;
    let other = app.sign_in("dora on her phone").await.token;
    let bearer = |t: &str| [("authorization", format!("Bearer {t}"))];
    let mut tab = app.connect_with(&bearer(&mine)).await.unwrap();
    let mut phone = app.connect_with(&bearer(&other)).await.unwrap();
    tab.join("general", None).await;
    phone.join("general", None).await;
    let res = app
        .http
        .delete(app.url("/api/session"))
        .header("cookie", format!("cloud_msg_session={mine}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(tab.expect_close().await, 4001);
    // The token is dead everywhere; the other session lives on.
    assert!(app.connect_with(&bearer(&mine)).await.is_err());
    let res = app
        .http
        .delete(app.url("/api/session"))
        .header("authorization", format!("Bearer {mine}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    phone.say("general", "still on").await;
    assert!(matches!(
        phone
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
            .await,
        ServerFrame::Ack { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_after_30_idle_days() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("sleeper").await.token;
    let hash = cloud_msg::server::infra::session::hash_token(&token);
    let bearer = [("authorization", format!("Bearer {token}"))];
    assert!(app.connect_with(&bearer).await.is_ok());
    let now = cloud_msg::timestamp::Timestamp::now().millis();
    let store = &app.state.store;
    // 29 days idle: still good (and now refreshed).
    store
        .backdate_session(&hash, now - 29 * 24 * 3600 * 1000)
        .await
        .unwrap();
    assert!(app.connect_with(&bearer).await.is_ok());
    store
        .backdate_session(&hash, now - 31 * 24 * 3600 * 1000)
        .await
        .unwrap();
    assert!(app.connect_with(&bearer).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_tls_the_cookie_is_secure_and_pages_carry_hsts() {
    let app = TestApp::spawn_configured(|c| {
        c.public_url = Some("https://chat.example.com".into());
    })
    .await;
    let res = app.post_session(json!({ "name": "tls" })).await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let token: serde_json::Value = res.json().await.unwrap();
    let page = app
        .http
        .get(app.url("/r/general"))
        .header(
            "cookie",
            format!("cloud_msg_session={}", token["token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert!(page.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
    assert_eq!(page.headers()["cache-control"], "private, no-store");
    // Behind TLS the public origin is the one origin: its scheme, host and port (issue 24:
    // the scheme was ignored, so a page on http:// of the same host passed).
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    let socket_from = |origin: &'static str| {
        let headers = [
            ("authorization", bearer.clone()),
            ("origin", origin.to_owned()),
            ("host", "chat.example.com".to_owned()),
        ];
        let app = &app;
        async move { app.connect_with(&headers).await }
    };
    assert!(socket_from("https://chat.example.com").await.is_ok());
    for other in [
        "http://chat.example.com",
        "https://chat.example.com:8443",
        "https://chat.example.com.evil.example",
    ] {
        assert!(socket_from(other).await.is_err(), "{other}");
    }
    // Without TLS: neither.
    let plain = TestApp::spawn().await;
    let res = plain.post_session(json!({ "name": "plain" })).await;
    assert!(!res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
    assert!(res.headers().get("strict-transport-security").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_client_id_with_other_text_is_refused_and_the_original_stays() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    let id = Uuid::new_v4();
    alice.say_as("ids", id, "the original").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    // The same text again: a plain re-send, acked with the same seq.
    alice.say_as("ids", id, "the original").await;
    assert!(matches!(
        alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. } | ServerFrame::Error { .. }))
            .await,
        ServerFrame::Ack { seq: 1, .. }
    ));
    alice.say_as("ids", id, "something else").await;
    match alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. } | ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Error {
            code, client_id, ..
        } => {
            assert_eq!(code, ErrorCode::ClientIdReused);
            assert_eq!(client_id, Some(id));
        }
        other => panic!("{other:?}"),
    }
    let mut bob = app.client("bob").await;
    bob.join("ids", Some(0)).await;
    assert_eq!(message(&bob.recv().await).text, "the original");
    bob.expect_silence(200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_replays_a_bounded_window_and_says_there_is_more() {
    let app = TestApp::spawn_unlimited().await;
    let mut alice = app.client("alice").await;
    for i in 1..=1200 {
        alice.say("long", &format!("m{i}")).await;
    }
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 1200, .. }))
        .await;
    let mut bob = app.client("bob").await;
    let mut since = 0;
    let mut seqs = Vec::new();
    let mut windows = 0;
    bob.join("long", Some(since)).await;
    loop {
        match bob.recv().await {
            ServerFrame::Message(m) => {
                assert_eq!(m.seq, since + 1, "no gap, no duplicate");
                since = m.seq;
                seqs.push(m.seq);
                if m.seq == 1200 {
                    break;
                }
            }
            ServerFrame::More { room, since: next } => {
                assert_eq!((room.as_str(), next), ("long", since));
                windows += 1;
                bob.join("long", Some(next)).await;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(windows, 2, "500 + 500 + 200");
    assert_eq!(seqs.len(), 1200);
    // After the last window, live messages flow.
    alice.say("long", "live").await;
    assert_eq!(message(&bob.recv().await).text, "live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markers_are_clamped_stored_once_and_merged_for_the_room() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    alice.join("marks", None).await;
    alice.say("marks", "one").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    // 500 markers far past the end: one change, one receipt.
    let mut mallory = app.client("mallory").await;
    mallory.join("marks", None).await;
    for _ in 0..500 {
        mallory
            .send_raw(tokio_tungstenite::tungstenite::Message::text(
                r#"{"type":"received","room":"marks","seq":1000000000000000}"#,
            ))
            .await;
    }
    // The one change arrives (capped), and nothing more follows it for a while.
    let first = alice
        .recv_frame_until(|f| {
            matches!(f, ServerFrame::Receipts { receipts, .. }
                if receipts.iter().any(|r| r.name == "mallory"))
        })
        .await;
    let ServerFrame::Receipts { receipts: r, .. } = first else {
        unreachable!("matched above")
    };
    assert!(r.iter().all(|r| r.delivered <= 1), "{r:?}");
    let mut receipts = 1;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(800);
    while let Ok(frame) = tokio::time::timeout_at(deadline, alice.recv_frame()).await {
        if let ServerFrame::Receipts { receipts: r, .. } = frame {
            receipts += r.iter().filter(|r| r.name == "mallory").count();
        }
    }
    assert_eq!(receipts, 1, "one receipt for one real change");

    // Ten readers reading at once: their changes travel together.
    let mut readers = Vec::new();
    for i in 0..10 {
        let mut r = app.client(&format!("reader {i}")).await;
        r.join("marks", None).await;
        readers.push(r);
    }
    for r in &mut readers {
        r.send_frame(&ClientFrame::Read {
            room: "marks".into(),
            seq: 1,
        })
        .await;
    }
    // Until every reader's change has come (each reader once: a second would be a bug).
    let (mut frames, mut changes) = (0, 0);
    while changes < 10 {
        if let ServerFrame::Receipts { receipts, .. } = alice.recv_frame().await {
            frames += 1;
            changes += receipts.len();
        }
    }
    assert_eq!(changes, 10, "every reader's change arrives once");
    assert!(frames <= 3, "merged into few frames, got {frames}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_out_button_works_without_javascript_and_not_from_other_sites() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("erin").await.token;
    let cookie = format!("cloud_msg_session={token}");
    let form = [("room", "general")];
    let res = app
        .http
        .post(app.url("/signout"))
        .header("cookie", &cookie)
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a foreign page cannot sign anyone out");
    let mut tab = app
        .connect_with(&[("authorization", format!("Bearer {token}"))])
        .await
        .unwrap();
    let res = app
        .http
        .post(app.url("/signout"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/r/general");
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(tab.expect_close().await, 4001);
    // The page is a visitor's again.
    let html = app.page_with_cookie("/r/general", &cookie).await;
    assert!(html.contains("Join chat"));
}
