//! Invite links: the admin's to the server, an owner's to a room; uses and expiry; the
//! invitation-only server (`CLOUD_MSG_REGISTRATION=invite`). (`make test` runs these on
//! SQLite and again on Postgres.)

use cloud_msg::{
    protocol::{ApiError, SessionResponse},
    server::{domain::accounts::Registration, infra::limits::Limits},
};
use serde_json::{json, Value};

use crate::helpers::*;

async fn sign_up(app: &TestApp, name: &str, invite: Option<&str>) -> reqwest::Response {
    app.http
        .post(app.url("/api/accounts"))
        .json(&json!({"name": name, "password": PASSWORD, "invite": invite}))
        .send()
        .await
        .unwrap()
}

async fn invite(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url("/api/invites"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The token of an invite's `url` (`/invite/<token>`).
async fn token_of(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 201);
    let made: Value = res.json().await.unwrap();
    let url = made["url"].as_str().unwrap();
    url.strip_prefix("/invite/").unwrap().to_owned()
}

#[tokio::test]
async fn an_invitation_only_server_admits_each_link_as_often_as_it_says() {
    // The admin's account is made while the server is open; then it goes invitation-only.
    let open = TestApp::spawn_unlimited().await;
    let admin: SessionResponse = open.sign_up("root").await;
    let member: SessionResponse = open.sign_up("mia").await;
    let db = open.db.clone();
    open.stop().await;
    let app = TestApp::spawn_with(db, |c| {
        c.registration = Registration::Invite;
        c.limits = Limits::parse("off").unwrap();
    })
    .await;

    // No guests, no sign-up without a link.
    let guest = app.post_session(json!({"name": "guest"})).await;
    assert_eq!(guest.status(), 403);
    let res = sign_up(&app, "nolink", None).await;
    assert_eq!(res.status(), 403);
    assert!(res
        .json::<ApiError>()
        .await
        .unwrap()
        .error
        .contains("invite link"));
    let res = sign_up(&app, "forged", Some("not-a-token")).await;
    assert_eq!(res.status(), 403);

    // Only the admin makes links to the server.
    let res = invite(&app, &member.token, json!({})).await;
    assert_eq!(res.status(), 403);
    for bad in [
        json!({"uses": 0}),
        json!({"uses": 1001}),
        json!({"hours": 0}),
        json!({"hours": 721}),
    ] {
        assert_eq!(
            invite(&app, &admin.token, bad.clone()).await.status(),
            400,
            "{bad}"
        );
    }
    let twice = token_of(invite(&app, &admin.token, json!({"uses": 2})).await).await;

    // A bad password does not spend a use.
    let weak = app
        .http
        .post(app.url("/api/accounts"))
        .json(&json!({"name": "ann", "password": "short", "invite": twice}))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), 400);
    // A taken name gives its use back.
    assert_eq!(sign_up(&app, "MIA", Some(&twice)).await.status(), 409);
    assert_eq!(sign_up(&app, "ann", Some(&twice)).await.status(), 201);
    assert_eq!(sign_up(&app, "ben", Some(&twice)).await.status(), 201);
    let res = sign_up(&app, "cat", Some(&twice)).await;
    assert_eq!(res.status(), 403, "used up");
    assert!(res
        .json::<ApiError>()
        .await
        .unwrap()
        .error
        .contains("used up"));
    let page = app.get(&format!("/invite/{twice}")).await;
    assert_eq!(page.status(), 404);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("expired or been used up"));

    // Signing in still works for accounts.
    let res = app
        .post_session(json!({"name": "ann", "password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_room_owners_link_makes_new_people_members_of_the_private_room() {
    let app = TestApp::spawn_unlimited().await;
    let _admin: SessionResponse = app.sign_up("root").await;
    let owner: SessionResponse = app.sign_up("olga").await;
    let other: SessionResponse = app.sign_up("otto").await;
    let res = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&owner.token)
        .json(&json!({"name": "inner", "private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // An outsider cannot make a link to it (nor learn it exists); a non-admin not to the server.
    let res = invite(&app, &other.token, json!({"room": "inner"})).await;
    assert_eq!(res.status(), 404);
    assert_eq!(invite(&app, &owner.token, json!({})).await.status(), 403);

    let token =
        token_of(invite(&app, &owner.token, json!({"room": "inner", "uses": 1})).await).await;
    let page = app.get(&format!("/invite/{token}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("You are invited to #inner"));
    assert!(html.contains(&format!(r#"name="invite" value="{token}""#)));

    let res = sign_up(&app, "newbie", Some(&token)).await;
    assert_eq!(res.status(), 201);
    let newbie: SessionResponse = res.json().await.unwrap();
    let members = app
        .http
        .get(app.url("/api/rooms/inner/members"))
        .bearer_auth(&newbie.token)
        .send()
        .await
        .unwrap();
    assert_eq!(members.status(), 200, "the link made newbie a member");
    assert_eq!(sign_up(&app, "second", Some(&token)).await.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn an_expired_link_admits_nobody() {
    let app = TestApp::spawn_unlimited().await;
    let admin: SessionResponse = app.sign_up("root").await;
    let token = token_of(invite(&app, &admin.token, json!({"uses": 5, "hours": 1})).await).await;
    // An hour passes (the store's clock is the wall clock: the link is moved back instead).
    app.state
        .store
        .create_invite(
            cloud_msg::server::infra::session::hash_token("old"),
            admin.user_id,
            None,
            5,
            cloud_msg::timestamp::Timestamp::now().millis() - 1,
        )
        .await
        .unwrap();
    assert_eq!(sign_up(&app, "late", Some("old")).await.status(), 403);
    assert_eq!(app.get("/invite/old").await.status(), 404);
    assert_eq!(sign_up(&app, "early", Some(&token)).await.status(), 201);
    app.stop().await;
}

/// Opens `path` with `token`'s session: the status and the page.
async fn open_as(app: &TestApp, token: &str, path: &str) -> (u16, String) {
    let res = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn join_as(app: &TestApp, token: &str, invite: &str) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/invite/{invite}/join")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn someone_signed_in_joins_a_room_with_its_invite_link() {
    let app = TestApp::spawn_unlimited().await;
    let admin = app.sign_up("root").await;
    let owner = app.sign_up("olga").await;
    let pat = app.sign_up("pat").await;
    let bad = app.sign_up("mallory").await;
    let res = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&owner.token)
        .json(&json!({"name": "vault", "private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let link =
        token_of(invite(&app, &owner.token, json!({"room": "vault", "uses": 2})).await).await;

    // Pat, signed in, is offered the room, not a sign-up form.
    let (status, html) = open_as(&app, &pat.token, &format!("/invite/{link}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Join #vault") && html.contains("signed in as <bdi>pat</bdi>"));
    assert!(!html.contains("Create an account"));
    let res = join_as(&app, &pat.token, &link).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/r/vault");
    let members = app
        .http
        .get(app.url("/api/rooms/vault/members"))
        .bearer_auth(&pat.token)
        .send()
        .await
        .unwrap();
    assert_eq!(members.status(), 200, "pat is a member now");
    // Joining again costs no use: one is left, for Mallory...
    assert_eq!(join_as(&app, &pat.token, &link).await.status(), 303);

    // ...who is banned: the link does not lift a ban, and keeps its use.
    let res = app
        .http
        .post(app.url("/api/rooms/vault/bans"))
        .bearer_auth(&owner.token)
        .json(&json!({"user_id": bad.user_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = join_as(&app, &bad.token, &link).await;
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("You are banned from #vault.") && html.contains(r#"role="alert""#));
    let (status, _) = open_as(&app, &admin.token, &format!("/invite/{link}")).await;
    assert_eq!(status, 200, "the last use is still there");
    assert_eq!(join_as(&app, &admin.token, &link).await.status(), 303);
    let (status, html) = open_as(&app, &admin.token, &format!("/invite/{link}")).await;
    assert_eq!(status, 404);
    assert!(html.contains("expired or been used up"));

    let res = app
        .http
        .post(app.url(&format!("/invite/{link}/join")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "used up, whoever asks");

    // A server's link, opened by someone who has an account, just says so.
    let server = token_of(invite(&app, &admin.token, json!({})).await).await;
    let (status, html) = open_as(&app, &pat.token, &format!("/invite/{server}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("this link is for people new to the server"));
    let res = join_as(&app, &pat.token, &server).await;
    assert_eq!(res.status(), 403);
    // Without a session, joining is answered with the link's sign-up form.
    let res = app
        .http
        .post(app.url(&format!("/invite/{server}/join")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("Create an account"));
    // A guest still gets the sign-up form (which claims their name).
    let guest: SessionResponse = app
        .post_session(json!({"name": "gus"}))
        .await
        .json()
        .await
        .unwrap();
    let (_, html) = open_as(&app, &guest.token, &format!("/invite/{server}")).await;
    assert!(html.contains("Create an account"));
    app.stop().await;
}
