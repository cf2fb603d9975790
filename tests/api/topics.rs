//! A room's topic: set when the room is made or on its members page by a member, shown
//! (as text) in the directory and on that page. Outsiders, visitors and bad topics are
//! refused with the reason, and change nothing.

use crate::{
    forms::{browser, location, post_form},
    helpers::*,
};

/// A browser signed up as `name` (an account), cookies kept.
async fn signed_up(app: &TestApp, name: &str) -> reqwest::Client {
    let b = browser();
    let res = post_form(
        &b,
        app,
        "/signup",
        &[("name", name), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 303);
    b
}

/// Posts the members page's **Set topic** form of #lobby.
async fn set(app: &TestApp, b: &reqwest::Client, topic: &str) -> reqwest::Response {
    post_form(b, app, "/r/lobby/members/topic", &[("topic", topic)]).await
}

async fn page(b: &reqwest::Client, app: &TestApp, path: &str) -> String {
    b.get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_topic_set_with_the_new_room_is_shown_as_text_in_the_directory_and_on_the_members_page() {
    let app = TestApp::spawn_unlimited().await;
    let ann = signed_up(&app, "ann").await;
    let made = post_form(
        &ann,
        &app,
        "/rooms/new",
        &[("name", "roadmap"), ("topic", "  Plans <b>&</b>\n  dates ")],
    )
    .await;
    assert_eq!(made.status(), 303);
    assert_eq!(location(&made), "/r/roadmap");
    let shown = "Plans &lt;b&gt;&amp;&lt;/b&gt; dates";
    let directory = app.get("/rooms").await.text().await.unwrap();
    assert!(
        directory.contains(&format!(
            r#"#roadmap</a> <span class="topic">{shown}</span>"#
        )),
        "{directory}"
    );
    assert!(!directory.contains("<b>&"), "markup is text");
    let members = page(&ann, &app, "/r/roadmap/members").await;
    assert!(
        members.contains(&format!(r#"<p class="topic">Topic: {shown}</p>"#)),
        "{members}"
    );
    assert!(
        members.contains(&format!(r#"value="{shown}""#)),
        "the form holds it"
    );

    // A room made without one has none in the directory.
    let plain = post_form(&ann, &app, "/rooms/new", &[("name", "plain")]).await;
    assert_eq!(plain.status(), 303);
    let directory = app.get("/rooms").await.text().await.unwrap();
    assert!(
        directory.contains(r#"#plain</a> <span class="hint">"#),
        "{directory}"
    );

    // The filter finds a room by its name or by words of its topic, in any case.
    for (q, roadmap, plain) in [
        ("DATES", true, false),
        ("%20%20Plans%20%0A", true, false),
        ("dates%20%20plans", false, false),
        ("plain", false, true),
        ("a", true, true),
        ("friday", false, false),
    ] {
        let html = app
            .get(&format!("/rooms?q={q}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(html.contains("/r/roadmap\""), roadmap, "{q}: {html}");
        assert_eq!(html.contains("/r/plain\""), plain, "{q}: {html}");
    }
}

#[tokio::test]
async fn a_bad_topic_stops_the_new_room_and_comes_back_with_the_reason_and_what_was_typed() {
    let app = TestApp::spawn_unlimited().await;
    let ann = signed_up(&app, "ann").await;
    let long = "x".repeat(251);
    let res = post_form(
        &ann,
        &app,
        "/rooms/new",
        &[("name", "ideas"), ("topic", &long)],
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("A topic is at most 250 characters."),
        "{html}"
    );
    assert!(html.contains(r#"role="alert""#));
    assert!(html.contains(r#"value="ideas""#) && html.contains(&format!(r#"value="{long}""#)));
    // Nothing was made: the name is still free.
    let res = post_form(
        &ann,
        &app,
        "/rooms/new",
        &[("name", "ideas"), ("topic", "ok")],
    )
    .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn owners_set_and_clear_the_topic_and_nobody_else_can() {
    let app = TestApp::spawn_unlimited().await;
    let ann = signed_up(&app, "ann").await;
    let bob = signed_up(&app, "bob").await;
    assert_eq!(
        post_form(&ann, &app, "/rooms/new", &[("name", "lobby")])
            .await
            .status(),
        303
    );
    let topic_in_directory = || async {
        let html = app.get("/rooms").await.text().await.unwrap();
        let at = html.find("#lobby</a>").expect("lobby listed");
        let rest = &html[at..];
        rest.strip_prefix(r#"#lobby</a> <span class="topic">"#)
            .and_then(|t| t.split_once("</span>"))
            .map(|(t, _)| t.to_owned())
    };

    // The owner sets it.
    let res = set(&app, &ann, "Standup at 9").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/r/lobby/members");
    assert_eq!(topic_in_directory().await.as_deref(), Some("Standup at 9"));

    // bob is not an owner: refused, with the reason, and nothing changes.
    let res = set(&app, &bob, "bob was here").await;
    assert_eq!(res.status(), 403);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Only the owners of #lobby and the admin set its topic."));
    // A visitor (no session) neither.
    let res = set(&app, &browser(), "anyone?").await;
    assert_eq!(res.status(), 401);
    assert_eq!(topic_in_directory().await.as_deref(), Some("Standup at 9"));

    // A member is not an owner either (issue 24: any passing guest could change it).
    let add = post_form(&ann, &app, "/r/lobby/members/add", &[("name", "bob")]).await;
    assert_eq!(add.status(), 303);
    assert_eq!(set(&app, &bob, "Standup at 9:30").await.status(), 403);
    assert_eq!(set(&app, &ann, "Standup at 9:30").await.status(), 303);
    assert_eq!(
        topic_in_directory().await.as_deref(),
        Some("Standup at 9:30")
    );

    // Bad topics are refused and change nothing.
    for (bad, why) in [
        ("x".repeat(251), "at most 250"),
        ("bell\u{7}".to_owned(), "U+0007"),
        ("flip \u{202E}gnp.exe".to_owned(), "U+202E"),
    ] {
        let res = set(&app, &ann, &bad).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert!(res.text().await.unwrap().contains(why), "{bad:?}");
    }
    assert_eq!(
        topic_in_directory().await.as_deref(),
        Some("Standup at 9:30")
    );

    // Empty clears it.
    assert_eq!(set(&app, &ann, "  ").await.status(), 303);
    assert_eq!(topic_in_directory().await, None);
}

#[tokio::test]
async fn a_private_room_s_topic_is_hidden_from_outsiders_and_a_direct_conversation_has_none() {
    let app = TestApp::spawn_unlimited().await;
    let ann = signed_up(&app, "ann").await;
    let eve = signed_up(&app, "eve").await;
    let made = post_form(
        &ann,
        &app,
        "/rooms/new",
        &[
            ("name", "secret"),
            ("private", "on"),
            ("topic", "the merger"),
        ],
    )
    .await;
    assert_eq!(made.status(), 303);
    let directory = app.get("/rooms").await.text().await.unwrap();
    assert!(!directory.contains("the merger") && !directory.contains("secret"));
    // eve gets the answer of a room that is not there, and cannot set it.
    let res = post_form(&eve, &app, "/r/secret/members/topic", &[("topic", "hi")]).await;
    assert_eq!(res.status(), 404);
    let html = page(&eve, &app, "/r/secret/members").await;
    assert!(!html.contains("the merger"), "{html}");
    assert!(page(&ann, &app, "/r/secret/members")
        .await
        .contains("the merger"));

    // A direct conversation between ann and eve: no topic.
    let dm = post_form(&ann, &app, "/dm/eve", &[]).await;
    assert_eq!(dm.status(), 303);
    let room = location(&dm).trim_start_matches("/r/").to_owned();
    let res = post_form(
        &ann,
        &app,
        &format!("/r/{room}/members/topic"),
        &[("topic", "us")],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("A direct conversation has no topic."));
}

#[tokio::test]
async fn the_api_makes_a_room_with_a_topic_and_members_put_a_new_one() {
    let app = TestApp::spawn_unlimited().await;
    let ann = app.sign_up("ann").await.token;
    let eve = app.sign_up("eve").await.token;
    let call = |method: reqwest::Method, path: &str, token: &str, body: serde_json::Value| {
        app.http
            .request(method, app.url(path))
            .header("cookie", format!("cloud_msg_session={token}"))
            .json(&body)
            .send()
    };
    let made = call(
        reqwest::Method::POST,
        "/api/rooms",
        &ann,
        serde_json::json!({"name": "builds", "topic": "  CI\nstatus  "}),
    )
    .await
    .unwrap();
    assert_eq!(made.status(), 201);
    let made: serde_json::Value = made.json().await.unwrap();
    assert_eq!(made["topic"], "CI status", "the topic as kept");
    // A bad topic makes no room.
    let bad = call(
        reqwest::Method::POST,
        "/api/rooms",
        &ann,
        serde_json::json!({"name": "nope", "topic": "x".repeat(300)}),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(!app
        .get("/rooms")
        .await
        .text()
        .await
        .unwrap()
        .contains("#nope<"));

    let put = |token: &str, topic: &str| {
        call(
            reqwest::Method::PUT,
            "/api/rooms/builds/topic",
            token,
            serde_json::json!({ "topic": topic }),
        )
    };
    let res = put(&ann, "Green <again>").await.unwrap();
    assert_eq!(res.status(), 200);
    let kept: serde_json::Value = res.json().await.unwrap();
    assert_eq!(kept["topic"], "Green <again>");
    assert!(app
        .get("/rooms")
        .await
        .text()
        .await
        .unwrap()
        .contains(r#"<span class="topic">Green &lt;again&gt;</span>"#));
    // eve is not a member; nobody signed in is nobody; a body without a topic is refused.
    assert_eq!(put(&eve, "mine now").await.unwrap().status(), 403);
    let anonymous = app
        .http
        .put(app.url("/api/rooms/builds/topic"))
        .json(&serde_json::json!({"topic": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let empty = call(
        reqwest::Method::PUT,
        "/api/rooms/builds/topic",
        &ann,
        serde_json::json!({}),
    )
    .await
    .unwrap();
    assert_eq!(empty.status(), 400);
    assert!(app
        .get("/rooms")
        .await
        .text()
        .await
        .unwrap()
        .contains("Green &lt;again&gt;"));
}

/// The topic shown in the room's header, under its name (empty while hidden: none).
fn header_topic(html: &str) -> String {
    let heading = &html[html.find(r#"class="room-heading""#).expect("the header")..];
    if heading.contains(r#"<p hidden class="topic">"#) {
        return String::new();
    }
    let start = heading
        .find(r#"<p class="topic">"#)
        .expect("the header's topic")
        + 17;
    let end = start + heading[start..].find("</p>").expect("its end");
    heading[start..end].trim_end_matches("<!>").to_owned()
}

#[tokio::test]
async fn the_topic_is_in_the_room_s_header_and_members_in_the_room_see_a_new_one_at_once() {
    let app = TestApp::spawn_unlimited().await;
    let ann = app.sign_up("ann").await.token;
    let put = |topic: &str| {
        app.http
            .put(app.url("/api/rooms/lobby/topic"))
            .header("cookie", format!("cloud_msg_session={ann}"))
            .json(&serde_json::json!({ "topic": topic }))
            .send()
    };
    let mut bob = app.client("bob").await;
    bob.join("lobby", None).await;
    bob.presence().await;
    // Kept for visitors, with no topic yet.
    let before = app.get("/r/lobby").await.text().await.unwrap();
    assert_eq!(header_topic(&before), "");

    let res = put("Ship <it> Friday").await.unwrap();
    assert_eq!(res.status(), 200);
    // bob's socket is told, as text to show.
    let (room, topic) = bob.topic().await;
    assert_eq!(
        (room.as_str(), topic.as_str()),
        ("lobby", "Ship <it> Friday")
    );
    // The kept page is made again with it, escaped.
    let after = app.get("/r/lobby").await.text().await.unwrap();
    assert_eq!(header_topic(&after), "Ship &lt;it&gt; Friday");
    assert!(!after.contains("<it>"), "markup is text");
    assert!(
        after.contains(r#""topic":"Ship \u003cit> Friday""#),
        "and in the data"
    );
    // Cleared: gone from the header, and bob is told.
    assert_eq!(put("").await.unwrap().status(), 200);
    assert_eq!(bob.topic().await.1, "");
    assert_eq!(
        header_topic(&app.get("/r/lobby").await.text().await.unwrap()),
        ""
    );
}
