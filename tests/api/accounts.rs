//! Accounts over HTTP: sign up, sign in with a password, guests and account names, the
//! registration policy. (`make test` runs these on SQLite and again on Postgres.)

use std::time::{Duration, Instant};

use cloud_msg::{
    protocol::{ApiError, ServerFrame, SessionResponse},
    server::accounts::Registration,
};
use serde_json::json;

use crate::helpers::*;

async fn post(app: &TestApp, path: &str, body: serde_json::Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .expect("POST")
}

async fn error_of(res: reqwest::Response) -> String {
    res.json::<ApiError>().await.expect("an error body").error
}

const GOOD: &str = "correct horse battery";

#[tokio::test]
async fn sign_up_then_sign_in_with_the_password_as_the_same_person() {
    let app = TestApp::spawn().await;
    let res = post(
        &app,
        "/api/accounts",
        json!({"name": "Alice", "password": GOOD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cloud_msg_session=") && cookie.contains("HttpOnly"));
    let made: SessionResponse = res.json().await.unwrap();
    assert_eq!(made.name, "Alice");

    // The new session works on the socket.
    let mut ws = app
        .connect_with(&[("authorization", format!("Bearer {}", made.token))])
        .await
        .unwrap();
    ws.say("general", "hello as an account").await;
    assert!(matches!(ws.recv().await, ServerFrame::Ack { .. }));

    // Signing in (with another case) is the same user, with a new session.
    let res = post(
        &app,
        "/api/session",
        json!({"name": "alice", "password": GOOD}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let again: SessionResponse = res.json().await.unwrap();
    assert_eq!(
        (again.user_id, again.name.as_str()),
        (made.user_id, "Alice")
    );
    assert_ne!(again.token, made.token);
}

#[tokio::test]
async fn an_unknown_name_and_a_wrong_password_get_the_same_answer_in_the_same_time() {
    let app = TestApp::spawn().await;
    let res = post(
        &app,
        "/api/accounts",
        json!({"name": "bob", "password": GOOD}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let res = post(
            &app,
            "/api/session",
            json!({"name": "bob", "password": "not the password"}),
        )
        .await;
        wrong.push(t.elapsed());
        assert_eq!(res.status(), 401);
        assert_eq!(error_of(res).await, "Wrong name or password.");
        let t = Instant::now();
        let res = post(
            &app,
            "/api/session",
            json!({"name": "nobody-here", "password": "not the password"}),
        )
        .await;
        unknown.push(t.elapsed());
        assert_eq!(res.status(), 401);
        assert_eq!(error_of(res).await, "Wrong name or password.");
    }
    // Both run the same argon2id check (tens of ms); an early return would take ~1 ms.
    let min = |v: &[Duration]| v.iter().min().copied().unwrap();
    assert!(
        min(&unknown) * 2 > min(&wrong),
        "unknown {unknown:?} vs wrong {wrong:?}"
    );
}

#[tokio::test]
async fn a_taken_or_lookalike_name_is_a_409_and_a_weak_password_a_400_with_a_reason() {
    let app = TestApp::spawn().await;
    assert_eq!(
        post(
            &app,
            "/api/accounts",
            json!({"name": "carol", "password": GOOD})
        )
        .await
        .status(),
        201
    );
    for name in ["carol", "CAROL", "\u{0441}arol"] {
        // The last one starts with a Cyrillic с.
        let res = post(
            &app,
            "/api/accounts",
            json!({"name": name, "password": GOOD}),
        )
        .await;
        assert_eq!(res.status(), 409, "{name}");
        assert!(error_of(res).await.contains("taken by an account"));
    }
    let cases = [
        ("dave", "short", "at least 10"),
        ("dave", "Password123", "most common"),
        ("davethedave", "DaveTheDave", "your name"),
    ];
    for (name, password, why) in cases {
        let res = post(
            &app,
            "/api/accounts",
            json!({"name": name, "password": password}),
        )
        .await;
        assert_eq!(res.status(), 400, "{password}");
        assert!(error_of(res).await.contains(why), "{password}");
    }
    let res = post(
        &app,
        "/api/accounts",
        json!({"name": "\u{202E}evil", "password": GOOD}),
    )
    .await;
    assert_eq!(res.status(), 400, "a bad name is refused as for guests");
    let res = post(&app, "/api/accounts", json!({"name": "erin"})).await;
    assert_eq!(res.status(), 400, "no password");
}

#[tokio::test]
async fn a_guest_cannot_take_an_account_name_but_can_claim_their_own() {
    let app = TestApp::spawn().await;
    assert_eq!(
        post(
            &app,
            "/api/accounts",
            json!({"name": "frank", "password": GOOD})
        )
        .await
        .status(),
        201
    );
    let res = app.post_session(json!({"name": "Frank"})).await;
    assert_eq!(res.status(), 409);
    assert!(error_of(res).await.contains("belongs to an account"));

    // Grace is a guest who has written something; she sets a password and stays herself.
    let grace = app.sign_in("grace").await;
    let mut ws = app
        .connect_with(&[("authorization", format!("Bearer {}", grace.token))])
        .await
        .unwrap();
    ws.say("lobby", "written as a guest").await;
    assert!(matches!(ws.recv().await, ServerFrame::Ack { .. }));
    let res = app
        .http
        .post(app.url("/api/accounts"))
        .header("authorization", format!("Bearer {}", grace.token))
        .json(&json!({"name": "grace", "password": GOOD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let claimed: SessionResponse = res.json().await.unwrap();
    assert_eq!(
        claimed.user_id, grace.user_id,
        "the same person, messages kept"
    );
    let signed_in: SessionResponse = post(
        &app,
        "/api/session",
        json!({"name": "grace", "password": GOOD}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(signed_in.user_id, grace.user_id);
    // Another guest cannot take it now, nor claim it twice.
    assert_eq!(
        app.post_session(json!({"name": "grace"})).await.status(),
        409
    );
}

#[tokio::test]
async fn closed_registration_admits_existing_accounts_only() {
    let open = TestApp::spawn().await;
    assert_eq!(
        post(
            &open,
            "/api/accounts",
            json!({"name": "heidi", "password": GOOD})
        )
        .await
        .status(),
        201
    );
    let db = open.db.clone();
    open.stop().await;
    let closed = TestApp::spawn_with(db, |c| c.registration = Registration::Closed).await;
    let res = post(
        &closed,
        "/api/accounts",
        json!({"name": "ivan", "password": GOOD}),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert!(error_of(res).await.contains("Registration is closed"));
    let res = closed.post_session(json!({"name": "ivan"})).await;
    assert_eq!(res.status(), 403, "no guests either");
    let res = post(
        &closed,
        "/api/session",
        json!({"name": "heidi", "password": GOOD}),
    )
    .await;
    assert_eq!(res.status(), 200, "an account still signs in");
}
