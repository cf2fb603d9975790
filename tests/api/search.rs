//! Search (`GET /search?q=`): finds messages by their words in the rooms the searcher may
//! read and never anywhere else — not a private room they are not in, not a room they are
//! banned from, not a deleted message. (`make test` runs these on SQLite and again on
//! Postgres: FTS5 and tsvector must agree.)

use cloud_msg::protocol::{ClientFrame, ServerFrame};
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::*,
    rooms::{ban, page, post_as, sign_up, Person},
};

/// Sends `text` to `room` as `who` and waits for its ack.
async fn say(who: &mut Person, room: &str, text: &str) -> u64 {
    who.ws.say(room, text).await;
    match who
        .ws
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. } | ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Ack { seq, .. } => seq,
        other => panic!("expected an ack, got {other:?}"),
    }
}

/// The results of searching `q` as `who`: each result's link, and the whole page.
pub async fn search(app: &TestApp, who: Option<&Person>, q: &str) -> (Vec<String>, String) {
    let q: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let html = page(app, who, &format!("/search?q={q}")).await;
    let links = html
        .split(r#"<li><a href=""#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    (links, html)
}

#[tokio::test]
async fn search_finds_words_only_where_the_searcher_may_read() {
    let app = TestApp::spawn_unlimited().await;
    let mut olga = sign_up(&app, "olga").await;
    let mut bob = sign_up(&app, "bob").await;
    let eve = sign_up(&app, "eve").await;
    let club = json!({"name": "club", "private": true});
    assert_eq!(post_as(&app, &olga, "/api/rooms", Some(club)).await, 201);
    let bob_in = Some(json!({"name": "bob"}));
    assert_eq!(
        post_as(&app, &olga, "/api/rooms/club/members", bob_in).await,
        204
    );
    olga.ws.join("lobby", None).await;
    olga.ws.join("club", None).await;
    bob.ws.join("club", None).await;
    assert_eq!(
        say(&mut olga, "lobby", "Deploying the **rocket** at noon").await,
        1
    );
    assert_eq!(say(&mut olga, "lobby", "lunch?").await, 2);
    assert_eq!(
        say(&mut olga, "club", "the rocket launch code is 0000").await,
        1
    );
    assert_eq!(say(&mut bob, "club", "a rocketry joke").await, 2);

    // A visitor and an outsider find the public message only, newest first.
    for who in [None, Some(&eve)] {
        let (links, html) = search(&app, who, "rocket").await;
        assert_eq!(links, ["/r/lobby#m-1"], "{html}");
        assert!(
            !html.contains("launch code"),
            "a private room's text never shows"
        );
        assert!(html.contains(r#"aria-label="Search results""#));
        assert!(html.contains("<mark>rocket</mark>"));
    }
    // Members find the private room's messages too, newest first; every word is required
    // and matches the start of a word, in any case.
    let (links, _) = search(&app, Some(&bob), "ROCKET").await;
    assert_eq!(links, ["/r/club#m-2", "/r/club#m-1", "/r/lobby#m-1"]);
    let (links, _) = search(&app, Some(&olga), "rocket code").await;
    assert_eq!(links, ["/r/club#m-1"]);
    let (links, html) = search(&app, Some(&olga), "deploy noon").await;
    assert_eq!(links, ["/r/lobby#m-1"]);
    assert!(html.contains("<mark>Deploying</mark>"), "{html}");
    let (links, html) = search(&app, Some(&olga), "nothing-like-this").await;
    assert!(links.is_empty() && html.contains("No messages match"));

    // A banned person no longer finds the room's messages.
    let (links, _) = search(&app, Some(&bob), "lunch").await;
    assert_eq!(links, ["/r/lobby#m-2"]);
    let admin_bans = ban(&app, &olga, "club", bob.id()).await;
    assert_eq!(admin_bans, 204);
    let (links, _) = search(&app, Some(&bob), "rocket").await;
    assert_eq!(links, ["/r/lobby#m-1"], "banned from club");

    // A deleted message is gone from search.
    olga.ws
        .send_frame(&ClientFrame::Delete {
            room: "lobby".into(),
            seq: 1,
            client_id: Uuid::new_v4(),
        })
        .await;
    olga.ws
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let (links, _) = search(&app, None, "rocket").await;
    assert!(links.is_empty(), "{links:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_hostile_query_is_words_and_nothing_else() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = sign_up(&app, "ann").await;
    ann.ws.join("lobby", None).await;
    say(&mut ann, "lobby", "<b>bold</b> claims & \"quotes\"").await;
    for q in [
        "\"",
        "*",
        "bold\" OR \"x",
        "NEAR(bold claims)",
        "bold*",
        "-bold",
        "bold:*",
        "!!! & | ()",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "\u{0}",
        "bold AND",
        "^bold",
    ] {
        let res = app
            .http
            .get(app.url("/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{q:?}");
        let html = res.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{q:?} is echoed as text");
        assert!(!html.contains("<b>bold"), "a hit's text is escaped");
    }
    let (links, html) = search(&app, None, "bold\" OR \"x").await;
    assert!(links.is_empty(), "every word is required: {html}");
    let (links, html) = search(&app, None, "<b>bold</b>").await;
    assert_eq!(links, ["/r/lobby#m-1"]);
    assert!(
        html.contains("&lt;<mark>b</mark>&gt;<mark>bold</mark>&lt;/<mark>b</mark>&gt;"),
        "{html}"
    );
    // A very long query is cut, not refused.
    let (_, html) = search(&app, None, &"bold ".repeat(500)).await;
    assert!(html.contains("<mark>bold</mark>"));
    app.stop().await;
}

#[tokio::test]
async fn searching_too_fast_is_refused_clearly_and_shares_the_history_limit() {
    let app = TestApp::spawn_configured(|c| {
        c.limits = cloud_msg::server::infra::limits::Limits::parse("history=3/1m").unwrap();
    })
    .await;
    let get = |q: &'static str| app.http.get(app.url("/search")).query(&[("q", q)]).send();
    // An empty box is only the form: not counted.
    for _ in 0..5 {
        assert_eq!(get("").await.unwrap().status(), 200);
    }
    assert_eq!(get("one").await.unwrap().status(), 200);
    assert_eq!(get("two").await.unwrap().status(), 200);
    // Older pages draw on the same allowance.
    assert_eq!(app.get("/api/rooms/lobby/messages").await.status(), 200);
    let res = get("three").await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"role="alert">Too many searches. Try again in"#),
        "{html}"
    );
    app.stop().await;
}
