//! The HTTP side: sign-in, health, the server-rendered room page.

use crate::helpers::TestApp;
use cloud_msg::protocol::{ApiError, ServerFrame};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_returns_a_session_and_an_http_only_cookie() {
    let app = TestApp::spawn().await;
    let res = app.post_session(json!({ "name": "  alice  " })).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cloud_msg_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["name"], "alice");
    assert_eq!(body["token"].as_str().unwrap().len(), 64);
    assert!(body["user_id"]
        .as_str()
        .unwrap()
        .parse::<uuid::Uuid>()
        .is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_names_get_a_400_with_a_reason() {
    let app = TestApp::spawn().await;
    for (body, needle) in [
        (json!({ "name": "" }), "enter a display name"),
        (json!({ "name": "   " }), "enter a display name"),
        (json!({ "name": "x".repeat(33) }), "at most 32"),
        (json!({ "name": "bell\u{7}" }), "control characters"),
        (json!({ "nom": "alice" }), "name"),
    ] {
        let res = app.post_session(body.clone()).await;
        assert_eq!(res.status(), 400, "{body}");
        let err: ApiError = res.json().await.unwrap();
        assert!(err.error.contains(needle), "{body}: {}", err.error);
    }
    let res = app
        .http
        .post(app.url("/api/session"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_redirect_and_not_found() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = app.get("/").await;
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/r/general");
    assert_eq!(app.get("/r/Not%20A%20Room").await.status(), 404);
    assert_eq!(app.get("/nowhere").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_page_carries_the_last_50_messages_as_escaped_html() {
    let app = TestApp::spawn_unlimited().await;
    let mut alice = app.client("alice").await;
    alice.join("lobby", None).await;
    for i in 1..=59 {
        alice.say("lobby", &format!("note-{i:03}")).await;
    }
    alice
        .say("lobby", "<script>alert('x')</script><b>bold</b>")
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { seq: 60, .. }))
        .await;

    let res = app.get("/r/lobby").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains(r#"role="log""#) && html.contains(r#"aria-label="Messages""#));
    assert!(!html.contains("note-010<"), "only the last 50 are rendered");
    for i in 11..=59 {
        assert!(
            html.contains(&format!("note-{i:03}<")),
            "note-{i:03} missing"
        );
    }
    assert!(
        html.contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;")
            || html.contains("&lt;script&gt;alert('x')&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"),
        "HTML in a message is text"
    );
    assert!(
        !html.contains("<script>alert("),
        "no live script from a message"
    );
    assert!(
        html.contains("<time datetime=\""),
        "timestamps are <time datetime>"
    );
    assert!(
        html.contains("Messages from alice"),
        "messages are grouped by author"
    );
    // A visitor without a session sees the join form.
    assert!(html.contains("Display name") && html.contains("Join chat"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_page_shows_the_composer_and_the_form_post_signs_in() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .post(app.url("/join"))
        .form(&[("name", "carol"), ("room", "lobby")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/r/lobby");
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let html = app.page_with_cookie("/r/lobby", &cookie).await;
    assert!(html.contains(r#"for="message""#), "composer is shown");
    assert!(!html.contains("Join chat"));
}
