//! Older messages over HTTP (`GET /api/rooms/<room>/messages`), as the log fetches them
//! when a reader scrolls back past what the page holds, and as an attacker might ask.

use crate::helpers::TestApp;
use cloud_msg::protocol::{ApiError, HistoryPage, ServerFrame};

async fn page(app: &TestApp, query: &str) -> reqwest::Response {
    app.get(&format!("/api/rooms/{query}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_walk_back_to_the_first_message_without_gaps() {
    let app = TestApp::spawn_unlimited().await;
    let mut alice = app.client("alice").await;
    alice.join("old", Some(0)).await;
    for i in 1..=250 {
        alice.say("old", &format!("m{i}")).await;
    }
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 250, .. }))
        .await;
    // The latest first, then back, a page at a time, by anyone (the room page is public).
    let res = page(&app, "old/messages?limit=100").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let latest: HistoryPage = res.json().await.unwrap();
    assert_eq!(latest.messages.first().map(|m| m.seq), Some(151));
    assert_eq!(latest.messages.last().map(|m| m.seq), Some(250));
    let mut before = 151;
    let mut seen = Vec::new();
    loop {
        let res = page(&app, &format!("old/messages?before={before}&limit=100")).await;
        let got: HistoryPage = res.json().await.unwrap();
        if got.messages.is_empty() {
            break;
        }
        before = got.messages[0].seq;
        let mut seqs: Vec<u64> = got.messages.iter().map(|m| m.seq).collect();
        seqs.extend(seen);
        seen = seqs;
    }
    assert_eq!(seen, (1..=150).collect::<Vec<u64>>());
    let first: HistoryPage = page(&app, "old/messages?before=2&limit=5")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first.messages.len(), 1);
    assert_eq!(first.messages[0].text, "m1");
    assert_eq!(first.messages[0].author, "alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_clearly_and_nothing_is_created() {
    let app = TestApp::spawn().await;
    let rooms_before = (&app.state.store).room_count().await.unwrap();
    // A room nobody created: no messages, and still no room.
    let res = page(&app, "nobody-here/messages").await;
    assert_eq!(res.status(), 200);
    let empty: HistoryPage = res.json().await.unwrap();
    assert!(empty.messages.is_empty());
    assert_eq!((&app.state.store).room_count().await.unwrap(), rooms_before);
    for (query, needle) in [
        ("Bad%20Room/messages", "room"),
        ("%3Cscript%3E/messages", "room"),
        ("ok/messages?limit=0", "limit"),
        ("ok/messages?limit=100000", "limit"),
        ("ok/messages?before=-1", "before"),
        ("ok/messages?before=1e99", "before"),
        ("ok/messages?limit=%3Cb%3E", "limit"),
    ] {
        let res = page(&app, query).await;
        assert_eq!(res.status(), 400, "{query}");
        let err: ApiError = res.json().await.unwrap();
        assert!(
            err.error.to_lowercase().contains(needle),
            "{query}: {}",
            err.error
        );
    }
    // A huge `before` is just "the latest".
    let res = page(&app, &format!("ok/messages?before={}", u64::MAX)).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scraper_is_slowed_down_with_retry_after() {
    let app = TestApp::spawn_configured(|c| {
        c.limits = cloud_msg::server::infra::limits::Limits::parse("history=5/1m").unwrap()
    })
    .await;
    for _ in 0..5 {
        assert_eq!(page(&app, "general/messages").await.status(), 200);
    }
    let res = page(&app, "general/messages").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    // Other requests carry on.
    assert_eq!(app.get("/healthz").await.status(), 200);
}
