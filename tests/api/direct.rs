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
        0,
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
