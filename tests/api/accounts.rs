//! Accounts over HTTP: sign up, sign in with a password, guests and account names, the
//! registration policy. (`make test` runs these on SQLite and again on Postgres.)

use std::time::{Duration, Instant};

use cloud_msg::{
    protocol::{ApiError, ServerFrame, SessionResponse},
    server::domain::accounts::Registration,
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
    // The margin is wide, so that a loaded machine does not fail it.
    let min = |v: &[Duration]| v.iter().min().copied().unwrap();
    assert!(
        min(&unknown) * 4 > min(&wrong),
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
        ("davethedave", "davethedave1", "too easy to guess"),
        ("dave", "aaaaaaaaaa", "Repeats"),
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

#[tokio::test]
async fn my_sessions_are_listed_one_can_be_ended_and_a_new_password_ends_the_others() {
    let app = TestApp::spawn().await;
    let made: SessionResponse = post(
        &app,
        "/api/accounts",
        json!({"name": "judy", "password": GOOD}),
    )
    .await
    .json()
    .await
    .unwrap();
    let other: SessionResponse = app
        .http
        .post(app.url("/api/session"))
        .header("user-agent", "Phone browser")
        .json(&json!({"name": "judy", "password": GOOD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let third: SessionResponse = post(
        &app,
        "/api/session",
        json!({"name": "judy", "password": GOOD}),
    )
    .await
    .json()
    .await
    .unwrap();
    let bearer = |t: &str| format!("Bearer {t}");
    let list = |token: String| {
        let app = &app;
        async move {
            app.http
                .get(app.url("/api/sessions"))
                .header("authorization", bearer(&token))
                .send()
                .await
                .unwrap()
        }
    };
    let res = list(made.token.clone()).await;
    assert_eq!(res.status(), 200);
    let sessions: Vec<cloud_msg::protocol::SessionEntry> = res.json().await.unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    let phone = sessions
        .iter()
        .find(|s| s.device == "Phone browser")
        .expect("the phone");

    // Ending the phone's session closes its socket with 4001 at once.
    let mut phone_ws = app
        .connect_with(&[("authorization", bearer(&other.token))])
        .await
        .unwrap();
    let res = app
        .http
        .delete(app.url(&format!("/api/sessions/{}", phone.id)))
        .header("authorization", bearer(&made.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(phone_ws.expect_close().await, 4001);
    assert_eq!(list(other.token.clone()).await.status(), 401);
    // Someone else's session (or none) is a 404.
    let stranger = app.sign_in("stranger").await;
    let res = app
        .http
        .delete(app.url(&format!("/api/sessions/{}", phone.id)))
        .header("authorization", bearer(&stranger.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // A new password: the wrong current one is refused; then every other session ends.
    let change = |current: &str, new: &str| {
        let (app, token) = (&app, made.token.clone());
        let body = json!({"current": current, "new": new});
        async move {
            app.http
                .post(app.url("/api/password"))
                .header("authorization", bearer(&token))
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        change("wrong one here", "a brand new secret")
            .await
            .status(),
        401
    );
    assert_eq!(change(GOOD, "short").await.status(), 400);
    let mut third_ws = app
        .connect_with(&[("authorization", bearer(&third.token))])
        .await
        .unwrap();
    assert_eq!(change(GOOD, "a brand new secret").await.status(), 204);
    assert_eq!(third_ws.expect_close().await, 4001);
    assert_eq!(
        list(made.token.clone()).await.status(),
        200,
        "this session stays"
    );
    assert_eq!(list(third.token.clone()).await.status(), 401);
    let old = post(
        &app,
        "/api/session",
        json!({"name": "judy", "password": GOOD}),
    )
    .await;
    assert_eq!(old.status(), 401);
    let new = post(
        &app,
        "/api/session",
        json!({"name": "judy", "password": "a brand new secret"}),
    )
    .await;
    assert_eq!(new.status(), 200);
    // A guest has no password to change.
    let res = app
        .http
        .post(app.url("/api/password"))
        .header("authorization", bearer(&stranger.token))
        .json(&json!({"current": "x", "new": "a brand new secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
