//! Direct messages: `/dm/<name>` opens the one private room two accounts share, from either
//! side; nobody else sees it, joins it or is added to it, and `dm-` names are kept for it.
//! (`make test` runs these on SQLite and again on Postgres.)

use cloud_msg::protocol::{ErrorCode, MemberEntry, ServerFrame, SessionResponse};
use serde_json::json;

use crate::helpers::*;

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where `POST /dm/<name>` (the **Message** button) sends `who`, and the status.
async fn open_dm(app: &TestApp, who: Option<&SessionResponse>, name: &str) -> (u16, String) {
    let mut req = no_redirects().post(app.url(&format!("/dm/{name}")));
    if let Some(who) = who {
        req = req.header("cookie", format!("cloud_msg_session={}", who.token));
    }
    let res = req.send().await.unwrap();
    let to = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), to)
}

#[tokio::test]
async fn two_people_share_one_private_conversation_that_nobody_else_reaches() {
    let app = TestApp::spawn_unlimited().await;
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("Bob").await;
    let carl = app.sign_up("carl").await;
    // The first account (the admin) got #general; nothing else exists.
    let rooms_before = app.state.store.room_count().await.unwrap();

    // A link (GET) only asks: a page on another site must not make a conversation.
    let asked = no_redirects()
        .get(app.url("/dm/bob"))
        .header("cookie", format!("cloud_msg_session={}", ann.token))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 200);
    assert!(asked
        .text()
        .await
        .unwrap()
        .contains("Start a conversation with bob"));
    assert_eq!(
        app.state.store.room_count().await.unwrap(),
        rooms_before,
        "nothing made"
    );
    let cross_site = no_redirects()
        .post(app.url("/dm/bob"))
        .header("cookie", format!("cloud_msg_session={}", ann.token))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        cross_site.status(),
        403,
        "and a post from another site is refused"
    );

    let (status, to) = open_dm(&app, Some(&ann), "bob").await;
    assert_eq!(status, 303);
    assert!(to.starts_with("/r/dm-"), "{to}");
    assert_eq!(
        open_dm(&app, Some(&bob), "ANN").await,
        (303, to.clone()),
        "the same room from the other side"
    );
    assert_eq!(
        open_dm(&app, Some(&ann), "bob").await,
        (303, to.clone()),
        "and again"
    );
    let room = to.trim_start_matches("/r/").to_owned();

    let members: Vec<MemberEntry> = app
        .http
        .get(app.url(&format!("/api/rooms/{room}/members")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Bob", "ann"]);

    // They talk; the page lists it under the other person's name.
    let mut a = app
        .connect_with(&[("authorization", format!("Bearer {}", ann.token))])
        .await
        .unwrap();
    a.join(&room, None).await;
    a.say(&room, "just between us").await;
    a.recv_until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    let html = app
        .page_with_cookie(&to, &format!("cloud_msg_session={}", bob.token))
        .await;
    assert!(html.contains("just between us"));
    // The page data (JSON) names the other person.
    assert!(
        html.contains(r#""with":"ann""#),
        "bob's list names ann: {html}"
    );

    // carl: not in it, cannot join, add himself, or take a dm- name.
    let res = app
        .http
        .get(app.url(&format!("/api/rooms/{room}/members")))
        .bearer_auth(&carl.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = app
        .page_with_cookie(&to, &format!("cloud_msg_session={}", carl.token))
        .await;
    assert!(!html.contains("just between us"));
    let mut c = app
        .connect_with(&[("authorization", format!("Bearer {}", carl.token))])
        .await
        .unwrap();
    c.join(&room, Some(0)).await;
    match c.recv().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::NotFound),
        other => panic!("{other:?}"),
    }
    c.join("dm-mine", None).await;
    match c.recv().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::BadRoom),
        other => panic!("{other:?}"),
    }
    let res = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&carl.token)
        .json(&json!({"name": "dm-abc", "private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .post(app.url(&format!("/api/rooms/{room}/members")))
        .bearer_auth(&ann.token)
        .json(&json!({"name": "carl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a conversation stays two people");

    // Strangers and visitors.
    assert_eq!(open_dm(&app, Some(&ann), "nobody").await.0, 404);
    assert_eq!(open_dm(&app, None, "bob").await, (303, "/signin".into()));

    // bob blocks ann (a ban in the conversation): she cannot open it again.
    let res = app
        .http
        .post(app.url(&format!("/api/rooms/{room}/bans")))
        .bearer_auth(&bob.token)
        .json(&json!({"user_id": ann.user_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(open_dm(&app, Some(&ann), "bob").await.0, 403);
    app.stop().await;
}

/// Issue 24: either person could make an invite link to the conversation (the API and the
/// members page's form), and whoever used it read everything. One rule now answers every
/// way in: a direct conversation never gains a third person. A link made before the rule
/// (put in the store as it was then) admits nobody and loses nothing.
#[tokio::test]
async fn no_path_brings_a_third_person_into_a_direct_conversation() {
    let app = TestApp::spawn_unlimited().await;
    let ann = app.sign_up("ann").await;
    let _bob = app.sign_up("bob").await;
    let carl = app.sign_up("carl").await;
    let (_, to) = open_dm(&app, Some(&ann), "bob").await;
    let room = to.trim_start_matches("/r/").to_owned();

    // The API's invite link.
    let res = app
        .http
        .post(app.url("/api/invites"))
        .bearer_auth(&ann.token)
        .json(&json!({"room": room}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let why = res
        .json::<cloud_msg::protocol::ApiError>()
        .await
        .unwrap()
        .error;
    assert!(why.contains("between two people"), "{why}");
    // The members page's form.
    let res = no_redirects()
        .post(app.url(&format!("/r/{room}/members/invite")))
        .header("cookie", format!("cloud_msg_session={}", ann.token))
        .form(&[("uses", "5"), ("days", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "the form is refused too");
    assert!(!res.text().await.unwrap().contains("/invite/"));

    // A link that exists from before the rule.
    let (dm, _) = app
        .state
        .store
        .find_room(&cloud_msg::validation::RoomName::parse(&room).unwrap())
        .await
        .unwrap()
        .unwrap();
    let old = cloud_msg::server::infra::session::new_token();
    app.state
        .store
        .create_invite(
            cloud_msg::server::infra::session::hash_token(&old),
            ann.user_id,
            Some(&dm),
            5,
            cloud_msg::timestamp::Timestamp::now().millis() + 3_600_000,
        )
        .await
        .unwrap();
    // Signing up with it: refused, and its uses stay.
    let res = app
        .http
        .post(app.url("/api/accounts"))
        .json(&json!({"name": "dave", "password": PASSWORD, "invite": old}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // An account using it.
    let res = no_redirects()
        .post(app.url(&format!("/invite/{old}/join")))
        .header("cookie", format!("cloud_msg_session={}", carl.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let info = app
        .state
        .store
        .invite(&cloud_msg::server::infra::session::hash_token(&old))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.uses_left, 5, "nothing was spent");
    // Still the two of them.
    let members: Vec<MemberEntry> = app
        .http
        .get(app.url(&format!("/api/rooms/{room}/members")))
        .bearer_auth(&ann.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["ann", "bob"]);
    app.stop().await;
}
