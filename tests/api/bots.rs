//! Bots: the admin makes one and gets its token once; the bot speaks the socket protocol
//! with `Authorization: Bearer` and posts with `POST /api/rooms/<room>/messages`, with the
//! socket's idempotency, text rules, room rules and rate limits; its messages carry
//! `"bot": true`. The API is described at `/api/openapi.json`. (`make test` runs these on
//! SQLite and again on Postgres.)

use cloud_msg::protocol::{ApiError, HistoryPage, Posted, ServerFrame, SessionResponse};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::{
    helpers::*,
    rooms::{ban, call, disable, post_as, sign_up, Person},
};

/// The admin makes the bot `name`.
async fn make_bot(app: &TestApp, admin: &Person, name: &str) -> SessionResponse {
    let res = call(
        app,
        Some(admin),
        Method::POST,
        "/api/bots",
        Some(json!({ "name": name })),
    )
    .await;
    assert_eq!(res.status(), 201, "the admin makes {name}");
    assert!(
        res.headers().get("set-cookie").is_none(),
        "the admin's browser keeps the admin's session"
    );
    res.json().await.unwrap()
}

async fn post(
    app: &TestApp,
    token: &str,
    room: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    app.http
        .post(app.url(&format!("/api/rooms/{room}/messages")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A socket signed in with the bot's token.
async fn bot_socket(app: &TestApp, bot: &SessionResponse) -> Client {
    app.connect_with(&[("authorization", format!("Bearer {}", bot.token))])
        .await
        .unwrap()
}

async fn error_text(res: reqwest::Response) -> String {
    res.json::<ApiError>().await.unwrap().error
}

#[tokio::test]
async fn only_the_admin_makes_bots_and_a_bot_owns_its_name() {
    let app = TestApp::spawn_unlimited().await;
    let admin = sign_up(&app, "root").await;
    let bob = sign_up(&app, "bob").await;

    let x_bot = Some(json!({"name": "x-bot"}));
    let res = call(&app, Some(&bob), Method::POST, "/api/bots", x_bot).await;
    assert_eq!(res.status(), 403);
    assert!(error_text(res).await.contains("Only the server's admin"));
    let res = call(
        &app,
        None,
        Method::POST,
        "/api/bots",
        Some(json!({"name": "x-bot"})),
    )
    .await;
    assert_eq!(res.status(), 401);
    for bad in [
        json!({"name": ""}),
        json!({"name": "a\u{202e}b"}),
        json!({"nom": "x"}),
    ] {
        let res = call(
            &app,
            Some(&admin),
            Method::POST,
            "/api/bots",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(res.status(), 400, "{bad}");
    }

    let bot = make_bot(&app, &admin, "build-bot").await;
    assert_eq!(bot.name, "build-bot");
    assert_eq!(bot.token.len(), 64);

    // Nobody else may be it: not another bot, an account, a guest, or a look-alike.
    for name in ["build-bot", "Build-Bot", "bui\u{0142}d-bot"] {
        let res = call(
            &app,
            Some(&admin),
            Method::POST,
            "/api/bots",
            Some(json!({ "name": name })),
        )
        .await;
        if name == "bui\u{0142}d-bot" && res.status() == 201 {
            // ł is not a look-alike of l in TR39: a different name, allowed.
            continue;
        }
        assert_eq!(res.status(), 409, "{name}");
    }
    let res = app.post_session(json!({"name": "Build-Bot"})).await;
    assert_eq!(res.status(), 409, "a guest cannot take a bot's name");
    let res = app
        .http
        .post(app.url("/api/accounts"))
        .json(&json!({"name": "build-bot", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "nor an account");
    // A bot has no password: every password is wrong, as for an unknown name.
    let res = app
        .post_session(json!({"name": "build-bot", "password": PASSWORD}))
        .await;
    assert_eq!(res.status(), 401);
    // Nor can its token set one.
    let res = app
        .http
        .post(app.url("/api/password"))
        .bearer_auth(&bot.token)
        .json(&json!({"current": "anything at all", "new": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_bot_talks_over_the_socket_and_over_http_marked_as_a_bot() {
    let app = TestApp::spawn_unlimited().await;
    let admin = sign_up(&app, "root").await;
    let mut bob = sign_up(&app, "bob").await;
    bob.ws.join("general", None).await;
    let bot = make_bot(&app, &admin, "build-bot").await;

    // Over the socket, with its token.
    let mut socket = bot_socket(&app, &bot).await;
    socket.join("general", None).await;
    socket.say("general", "deploy started").await;
    let heard = bob
        .ws
        .recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    let msg = message(&heard);
    assert_eq!(
        (msg.author.as_str(), msg.text.as_str(), msg.bot),
        ("build-bot", "deploy started", true)
    );

    // Over HTTP: stored, sent to the room, answered with its seq.
    let client_id = Uuid::new_v4();
    let body = json!({"client_id": client_id, "text": ":tada: shipped <b>v2</b>"});
    let res = post(&app, &bot.token, "general", body.clone()).await;
    assert_eq!(res.status(), 201);
    let Posted { seq } = res.json().await.unwrap();
    let heard = bob
        .ws
        .recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    let msg = message(&heard);
    assert_eq!(msg.seq, seq);
    assert_eq!(msg.client_id, client_id);
    assert_eq!(
        msg.text, "🎉 shipped <b>v2</b>",
        "shortcodes expand; markup stays text"
    );
    assert!(msg.bot);

    // A retry is answered with the same seq and stores nothing new.
    let res = post(&app, &bot.token, "general", body).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Posted>().await.unwrap().seq, seq);
    bob.ws.expect_silence(300).await;
    // The same client_id for another text is refused.
    let res = post(
        &app,
        &bot.token,
        "general",
        json!({"client_id": client_id, "text": "other"}),
    )
    .await;
    assert_eq!(res.status(), 409);

    // A person's message says nothing of bots; history keeps the mark.
    bob.ws.say("general", "nice").await;
    bob.ws
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let page: HistoryPage = app
        .get("/api/rooms/general/messages")
        .await
        .json()
        .await
        .unwrap();
    let marks: Vec<(&str, bool)> = page
        .messages
        .iter()
        .map(|m| (m.author.as_str(), m.bot))
        .collect();
    assert_eq!(
        marks,
        [("build-bot", true), ("build-bot", true), ("bob", false)]
    );
    // And the page shows it.
    let html = app.get("/r/general").await.text().await.unwrap();
    assert!(html.contains(">bot<"), "the page marks the bot");
    app.stop().await;
}

#[tokio::test]
async fn posting_over_http_follows_the_rooms_rules_and_refuses_bad_input() {
    let app = TestApp::spawn_unlimited().await;
    let admin = sign_up(&app, "root").await;
    let mut bob = sign_up(&app, "bob").await;
    let bot = make_bot(&app, &admin, "build-bot").await;
    let text = |t: &str| json!({"client_id": Uuid::new_v4(), "text": t});

    // Bad input: a clear 400 each, nothing stored.
    for (room, body) in [
        ("general", text("")),
        ("general", text(&"x".repeat(4001))),
        ("general", json!({"client_id": "nope", "text": "hi"})),
        (
            "general",
            json!({"client_id": Uuid::new_v4(), "text": "hi", "extra": 1}),
        ),
        ("general", json!("just a string")),
        ("bad%20room%21", text("hi")),
    ] {
        let res = post(&app, &bot.token, room, body.clone()).await;
        assert_eq!(res.status(), 400, "{room} {body}");
        assert!(!error_text(res).await.is_empty());
    }
    // No token, or a wrong one.
    let res = app
        .http
        .post(app.url("/api/rooms/general/messages"))
        .json(&text("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = post(&app, &"0".repeat(64), "general", text("hi")).await;
    assert_eq!(res.status(), 401);
    // A room that does not exist is not made by posting.
    let res = post(&app, &bot.token, "nowhere", text("hi")).await;
    assert_eq!(res.status(), 404);
    let res = call(
        &app,
        Some(&bob),
        Method::POST,
        "/api/rooms",
        Some(json!({"name": "nowhere"})),
    )
    .await;
    assert_eq!(res.status(), 201, "the name is still free");

    // A private room: as if missing until the bot is a member; a ban is said.
    assert_eq!(
        post_as(
            &app,
            &bob,
            "/api/rooms",
            Some(json!({"name": "ops", "private": true}))
        )
        .await,
        201
    );
    let res = post(&app, &bot.token, "ops", text("hi")).await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_text(res).await, "There is no room called #ops.");
    assert_eq!(
        post_as(
            &app,
            &bob,
            "/api/rooms/ops/members",
            Some(json!({"name": "build-bot"}))
        )
        .await,
        204
    );
    bob.ws.join("ops", Some(0)).await;
    let res = post(&app, &bot.token, "ops", text("build 9 passed")).await;
    assert_eq!(res.status(), 201);
    let heard = bob
        .ws
        .recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    assert_eq!(message(&heard).text, "build 9 passed");
    assert_eq!(ban(&app, &bob, "ops", bot.user_id).await, 204);
    let res = post(&app, &bot.token, "ops", text("let me in")).await;
    assert_eq!(
        res.status(),
        404,
        "a private room's ban stays as private as the room"
    );
    // In a public room a ban is said as such.
    let lobby = json!({"name": "lobby"});
    assert_eq!(post_as(&app, &bob, "/api/rooms", Some(lobby)).await, 201);
    assert_eq!(ban(&app, &bob, "lobby", bot.user_id).await, 204);
    let res = post(&app, &bot.token, "lobby", text("hi")).await;
    assert_eq!(res.status(), 403);
    assert_eq!(error_text(res).await, "You are banned from #lobby.");

    // The admin disables the bot: its socket closes with 4003, its token stops working.
    let mut socket = bot_socket(&app, &bot).await;
    socket.join("general", None).await;
    assert_eq!(disable(&app, &admin, bot.user_id).await, 204);
    assert_eq!(socket.expect_close().await, 4003);
    let res = post(&app, &bot.token, "general", text("still here?")).await;
    assert_eq!(res.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn the_admin_replaces_a_bots_token_and_the_old_one_stops_at_once() {
    let app = TestApp::spawn_unlimited().await;
    let admin = sign_up(&app, "root").await;
    let bob = sign_up(&app, "bob").await;
    let bot = make_bot(&app, &admin, "build-bot").await;
    let mut socket = bot_socket(&app, &bot).await;
    socket.join("general", None).await;
    let renew = |who| {
        call(
            &app,
            Some(who),
            Method::POST,
            "/api/bots/Build-Bot/token",
            None,
        )
    };
    assert_eq!(renew(&bob).await.status(), 403, "the admin only");
    let res = call(
        &app,
        Some(&admin),
        Method::POST,
        "/api/bots/bob/token",
        None,
    )
    .await;
    assert_eq!(res.status(), 404, "bob is no bot");
    assert_eq!(
        post_as(&app, &admin, "/api/bots/nobody/token", None).await,
        404
    );

    let res = renew(&admin).await;
    assert_eq!(res.status(), 201);
    assert!(res.headers().get("set-cookie").is_none());
    let fresh: SessionResponse = res.json().await.unwrap();
    assert_eq!(
        (fresh.user_id, fresh.name.as_str()),
        (bot.user_id, "build-bot")
    );
    assert_ne!(fresh.token, bot.token);
    assert_eq!(
        socket.expect_close().await,
        4001,
        "the old token's socket ends"
    );
    let hi = || json!({"client_id": Uuid::new_v4(), "text": "hi"});
    assert_eq!(post(&app, &bot.token, "general", hi()).await.status(), 401);
    assert_eq!(
        post(&app, &fresh.token, "general", hi()).await.status(),
        201
    );

    // A disabled bot gets no new token (that would undo the disabling).
    assert_eq!(disable(&app, &admin, bot.user_id).await, 204);
    assert_eq!(renew(&admin).await.status(), 403);
    assert_eq!(
        post(&app, &fresh.token, "general", hi()).await.status(),
        401
    );
    app.stop().await;
}

#[tokio::test]
async fn posts_over_http_share_the_senders_rate_limit() {
    let app = TestApp::spawn_configured(|c| {
        c.limits = cloud_msg::server::infra::limits::Limits::parse("send=3/1m").unwrap()
    })
    .await;
    let admin = sign_up(&app, "root").await;
    let bot = make_bot(&app, &admin, "chatty-bot").await;
    let mut socket = bot_socket(&app, &bot).await;
    socket.join("general", None).await;
    socket.say("general", "one").await;
    socket
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    for n in ["two", "three"] {
        let res = post(
            &app,
            &bot.token,
            "general",
            json!({"client_id": Uuid::new_v4(), "text": n}),
        )
        .await;
        assert_eq!(res.status(), 201);
    }
    let res = post(
        &app,
        &bot.token,
        "general",
        json!({"client_id": Uuid::new_v4(), "text": "four"}),
    )
    .await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(error_text(res).await.contains("too many messages"));
    app.stop().await;
}

#[tokio::test]
async fn the_bot_api_is_described_in_an_openapi_document() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc: serde_json::Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let post = &doc["paths"]["/api/rooms/{room}/messages"]["post"];
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PostMessage"
    );
    for status in ["201", "200", "400", "401", "403", "404", "409", "429"] {
        assert!(
            post["responses"][status].is_object(),
            "post answers {status}"
        );
    }
    assert!(doc["paths"]["/api/rooms/{room}/messages"]["get"].is_object());
    assert!(doc["paths"]["/api/bots"]["post"].is_object());
    assert!(doc["paths"]["/api/bots/{name}/token"]["post"].is_object());
    let schemas = &doc["components"]["schemas"];
    let required: Vec<&str> = schemas["PostMessage"]["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["client_id", "text"]);
    assert!(schemas["Posted"]["properties"]["seq"].is_object());
    assert!(schemas["ChatMessage"]["properties"]["bot"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    app.stop().await;
}
