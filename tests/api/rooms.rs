//! Private rooms and owners. One test walks every path into a room (the page,
//! older history, `join` with catch-up, `send`, markers, the member list, invites) as a
//! visitor, an outsider, a member, a kicked and a banned person. (`make test` runs these
//! on SQLite and again on Postgres.)

use cloud_msg::protocol::{
    ApiError, ClientFrame, ErrorCode, MemberEntry, ServerFrame, SessionResponse,
};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;

pub const SECRET: &str = "the launch date is friday";

/// A person with an account (a session token) and a socket.
pub struct Person {
    pub session: SessionResponse,
    pub ws: Client,
}

impl Person {
    pub fn cookie(&self) -> String {
        format!("cloud_msg_session={}", self.session.token)
    }

    pub fn id(&self) -> Uuid {
        self.session.user_id
    }
}

pub async fn sign_up(app: &TestApp, name: &str) -> Person {
    let session = app.sign_up(name).await;
    let ws = app
        .connect_with(&[("authorization", format!("Bearer {}", session.token))])
        .await
        .unwrap();
    Person { session, ws }
}

/// `method path` with `body` as `who` (a visitor without one).
pub async fn call(
    app: &TestApp,
    who: Option<&Person>,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let mut req = app.http.request(method, app.url(path));
    if let Some(p) = who {
        req = req.bearer_auth(&p.session.token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// The status of `POST path` with `body` as `who`.
pub async fn post_as(
    app: &TestApp,
    who: &Person,
    path: &str,
    body: Option<serde_json::Value>,
) -> u16 {
    call(app, Some(who), reqwest::Method::POST, path, body)
        .await
        .status()
        .as_u16()
}

/// The status of `who` banning `user` from `room`.
pub async fn ban(app: &TestApp, who: &Person, room: &str, user: Uuid) -> u16 {
    let path = format!("/api/rooms/{room}/bans");
    post_as(app, who, &path, Some(json!({ "user_id": user }))).await
}

/// The status of `who` taking `user` out of `room` (a kick, or leaving when it is `who`).
pub async fn remove(app: &TestApp, who: &Person, room: &str, user: Uuid) -> u16 {
    let path = format!("/api/rooms/{room}/members/{user}");
    call(app, Some(who), reqwest::Method::DELETE, &path, None)
        .await
        .status()
        .as_u16()
}

/// The status of the admin disabling `user`.
pub async fn disable(app: &TestApp, admin: &Person, user: Uuid) -> u16 {
    post_as(app, admin, &format!("/api/users/{user}/disable"), None).await
}

pub async fn page(app: &TestApp, who: Option<&Person>, path: &str) -> String {
    match who {
        Some(p) => app.page_with_cookie(path, &p.cookie()).await,
        None => app.get(path).await.text().await.unwrap(),
    }
}

/// The next error frame (skipping what else arrives).
pub async fn error_frame(ws: &mut Client) -> (ErrorCode, String) {
    match ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Error { code, message, .. } => (code, message),
        _ => unreachable!(),
    }
}

/// Everything the person may not do in `room`, tried on every path; each answer must be
/// the one a room that does not exist gets (or, with `banned`, a ban).
pub async fn shut_out(app: &TestApp, who: Option<&mut Person>, room: &str, banned: bool) {
    let who_ref = who.as_deref();
    let html = page(app, who_ref, &format!("/r/{room}")).await;
    assert!(!html.contains(SECRET), "the page shows no history");
    let res = call(
        app,
        who_ref,
        reqwest::Method::GET,
        &format!("/api/rooms/{room}/messages"),
        None,
    )
    .await;
    if banned {
        assert_eq!(res.status(), 403, "older history refused");
    } else {
        assert_eq!(res.status(), 200, "older history: as for a missing room");
        assert!(!res.text().await.unwrap().contains(SECRET));
    }
    let members = call(
        app,
        who_ref,
        reqwest::Method::GET,
        &format!("/api/rooms/{room}/members"),
        None,
    )
    .await;
    let invite = call(
        app,
        who_ref,
        reqwest::Method::POST,
        &format!("/api/rooms/{room}/members"),
        Some(json!({"name": "mallory"})),
    )
    .await;
    match who_ref {
        None => {
            assert_eq!(members.status(), 401);
            assert_eq!(invite.status(), 401);
            return;
        }
        Some(_) => {
            let expected = if banned { 403 } else { 404 };
            assert_eq!(members.status(), expected, "member list refused");
            let body = members.json::<ApiError>().await.unwrap().error;
            assert!(!body.contains("mallory"));
            assert_eq!(invite.status(), expected, "invite refused");
        }
    }
    let p = who.unwrap();
    let code = if banned {
        ErrorCode::Banned
    } else {
        ErrorCode::NotFound
    };
    p.ws.join(room, Some(0)).await;
    let (got, message) = error_frame(&mut p.ws).await;
    assert_eq!(got, code, "join refused: {message}");
    if !banned {
        assert_eq!(message, format!("There is no room called #{room}."));
    }
    let client_id = p.ws.say(room, "let me in").await;
    match p
        .ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::Ack { .. }))
        .await
    {
        ServerFrame::Error {
            code: got,
            client_id: Some(id),
            ..
        } => assert!(got == code && id == client_id, "send refused"),
        other => panic!("send must be refused, got {other:?}"),
    }
    p.ws.send_frame(&ClientFrame::Read {
        room: room.into(),
        seq: 1,
    })
    .await;
    let (got, _) = error_frame(&mut p.ws).await;
    assert_eq!(got, ErrorCode::BadFrame, "markers need a join");
}

#[tokio::test]
async fn a_private_room_is_seen_only_by_its_members_on_every_path() {
    let app = TestApp::spawn_unlimited().await;
    let _root = sign_up(&app, "root").await; // the admin: not in the room
    let mut ann = sign_up(&app, "ann").await;
    let mut bob = sign_up(&app, "bob").await;
    let mut carl = sign_up(&app, "carl").await;
    let mut dan = sign_up(&app, "dan").await;

    let res = call(
        &app,
        Some(&ann),
        reqwest::Method::POST,
        "/api/rooms",
        Some(json!({"name": "secret", "private": true})),
    )
    .await;
    assert_eq!(res.status(), 201);
    let again = call(
        &app,
        Some(&carl),
        reqwest::Method::POST,
        "/api/rooms",
        Some(json!({"name": "secret"})),
    )
    .await;
    assert_eq!(again.status(), 409, "the name is taken");

    ann.ws.join("secret", Some(0)).await;
    ann.ws.say("secret", SECRET).await;
    assert!(matches!(
        ann.ws.recv().await,
        ServerFrame::Message(_) | ServerFrame::Ack { .. }
    ));

    for name in ["bob", "dan"] {
        let res = call(
            &app,
            Some(&ann),
            reqwest::Method::POST,
            "/api/rooms/secret/members",
            Some(json!({"name": name})),
        )
        .await;
        assert_eq!(res.status(), 204, "ann adds {name}");
    }
    let res = call(
        &app,
        Some(&ann),
        reqwest::Method::POST,
        "/api/rooms/secret/members",
        Some(json!({"name": "nobody-here"})),
    )
    .await;
    assert_eq!(res.status(), 404, "only accounts can be added");

    // A member: every path works.
    bob.ws.join("secret", Some(0)).await;
    let seen = bob
        .ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    assert_eq!(message(&seen).text, SECRET, "catch-up replays the history");
    assert!(page(&app, Some(&bob), "/r/secret").await.contains(SECRET));
    assert!(
        page(&app, Some(&bob), "/r/general")
            .await
            .contains("secret"),
        "the room is in the member's list"
    );
    let members: Vec<MemberEntry> = call(
        &app,
        Some(&bob),
        reqwest::Method::GET,
        "/api/rooms/secret/members",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["ann", "bob", "dan"]);
    assert_eq!(members[0].role, "owner");
    let history = call(
        &app,
        Some(&bob),
        reqwest::Method::GET,
        "/api/rooms/secret/messages",
        None,
    )
    .await;
    assert!(history.text().await.unwrap().contains(SECRET));
    bob.ws.say("secret", "hi ann").await;
    bob.ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;

    // A visitor and an outsider (and the admin, who is not in it) see no room at all.
    shut_out(&app, None, "secret", false).await;
    shut_out(&app, Some(&mut carl), "secret", false).await;
    assert!(
        !page(&app, Some(&carl), "/r/general")
            .await
            .contains("secret"),
        "nor in an outsider's list"
    );

    // Kicked: dan's live socket leaves the room at once, then every path is shut.
    dan.ws.join("secret", Some(0)).await;
    dan.ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    assert_eq!(
        remove(&app, &bob, "secret", dan.id()).await,
        403,
        "a member cannot kick"
    );
    assert_eq!(remove(&app, &ann, "secret", dan.id()).await, 204);
    let (code, why) = error_frame(&mut dan.ws).await;
    assert_eq!(
        (code, why.as_str()),
        (ErrorCode::Removed, "You were removed from #secret.")
    );
    ann.ws.say("secret", "after dan left").await;
    // A marker already on its way is dropped quietly: the removal is the one error.
    dan.ws
        .send_frame(&ClientFrame::Read {
            room: "secret".into(),
            seq: 2,
        })
        .await;
    dan.ws.expect_silence(300).await;
    shut_out(&app, Some(&mut dan), "secret", false).await;

    // Banned from a private room: as hidden as for an outsider, also with a new session.
    assert_eq!(ban(&app, &ann, "secret", bob.id()).await, 204);
    let (code, why) = error_frame(&mut bob.ws).await;
    assert_eq!(
        (code, why.as_str()),
        (ErrorCode::Removed, "You were banned from #secret.")
    );
    let again = call(
        &app,
        Some(&ann),
        reqwest::Method::POST,
        "/api/rooms/secret/members",
        Some(json!({"name": "bob"})),
    )
    .await;
    assert_eq!(again.status(), 204, "an owner may let a banned person back");
    let members: Vec<MemberEntry> = call(
        &app,
        Some(&ann),
        reqwest::Method::GET,
        "/api/rooms/secret/members",
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(members.len(), 2, "ann and bob again");
    app.stop().await;
}

#[tokio::test]
async fn rooms_over_http_refuse_bad_input_and_strangers() {
    let app = TestApp::spawn_unlimited().await;
    let ann = sign_up(&app, "ann").await;
    let anon = call(
        &app,
        None,
        reqwest::Method::POST,
        "/api/rooms",
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(anon.status(), 401);
    for body in [
        json!({"name": "<b>x</b>"}),
        json!({"name": ""}),
        json!({"private": true}),
        json!({"name": "x", "private": "yes"}),
    ] {
        let res = call(
            &app,
            Some(&ann),
            reqwest::Method::POST,
            "/api/rooms",
            Some(body.clone()),
        )
        .await;
        assert_eq!(res.status(), 400, "{body}");
        assert!(!res.json::<ApiError>().await.unwrap().error.is_empty());
    }
    let res = call(
        &app,
        Some(&ann),
        reqwest::Method::POST,
        "/api/rooms/nowhere/bans",
        Some(json!({"user_id": Uuid::new_v4()})),
    )
    .await;
    assert_eq!(res.status(), 404, "no such room");
    let res = call(
        &app,
        Some(&ann),
        reqwest::Method::DELETE,
        "/api/rooms/nowhere/members/not-a-uuid",
        None,
    )
    .await;
    assert_eq!(res.status(), 400);
    app.stop().await;
}
