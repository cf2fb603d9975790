//! The admin (the first account) disables and enables accounts: a disabled person's
//! sockets close with 4003 at once, their sessions stop working, and their password no
//! longer signs them in. (`make test` runs these on SQLite and again on Postgres.)

use cloud_msg::protocol::ApiError;
use serde_json::json;

use crate::helpers::*;

async fn post_as(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_admin_disables_an_account_at_once_and_enables_it_again() {
    let app = TestApp::spawn_unlimited().await;
    let admin = app.sign_up("root").await;
    let bob = app.sign_up("bob").await;
    let mut socket = app
        .connect_with(&[("authorization", format!("Bearer {}", bob.token))])
        .await
        .unwrap();
    socket.join("general", None).await;

    // Nobody but the admin, and never the admin themself.
    let res = post_as(
        &app,
        &bob.token,
        &format!("/api/users/{}/disable", admin.user_id),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = post_as(
        &app,
        &admin.token,
        &format!("/api/users/{}/disable", admin.user_id),
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = post_as(&app, &admin.token, "/api/users/not-an-id/disable").await;
    assert_eq!(res.status(), 400);
    let res = post_as(
        &app,
        &admin.token,
        &format!("/api/users/{}/disable", uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(res.status(), 404);

    let res = post_as(
        &app,
        &admin.token,
        &format!("/api/users/{}/disable", bob.user_id),
    )
    .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        socket.expect_close().await,
        4003,
        "closed at once as disabled"
    );
    let res = app
        .http
        .get(app.url("/api/sessions"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "the session is gone");
    let res = app
        .post_session(json!({"name": "bob", "password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 403);
    assert!(res
        .json::<ApiError>()
        .await
        .unwrap()
        .error
        .contains("disabled"));
    let wrong = app
        .post_session(json!({"name": "bob", "password": "not the password"}))
        .await;
    assert_eq!(wrong.status(), 401, "a stranger learns nothing");

    let res = post_as(
        &app,
        &admin.token,
        &format!("/api/users/{}/enable", bob.user_id),
    )
    .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_session(json!({"name": "bob", "password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}
