//! The pages of plain forms, posted as a browser without JavaScript posts them: signing in
//! and up, a new (private) room, a room's members. Each refusal comes back as the page
//! with the reason in `role="alert"`, and markup typed anywhere comes back as text.

use cloud_msg::protocol::{ServerFrame, SessionResponse};
use serde_json::json;

use crate::helpers::*;

/// A client that keeps cookies and does not follow redirects (to see them).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn post_form(
    b: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    b.post(app.url(path)).form(form).send().await.unwrap()
}

pub fn location(res: &reqwest::Response) -> &str {
    res.headers()["location"].to_str().unwrap()
}

#[tokio::test]
async fn sign_up_and_sign_in_with_forms_then_back_to_the_room() {
    let app = TestApp::spawn_unlimited().await;
    let b = browser();
    let page = b.get(app.url("/signin?room=lobby")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"aria-labelledby="signin-title""#));
    assert!(html.contains(r#"<label for="signup-password">Password</label>"#));

    let weak = post_form(
        &b,
        &app,
        "/signup",
        &[("name", "ann"), ("password", "short"), ("room", "lobby")],
    )
    .await;
    assert_eq!(weak.status(), 400);
    let html = weak.text().await.unwrap();
    assert!(html.contains(r#"id="signup-error" class="form-error" role="alert">"#));
    assert!(html.contains("at least 10"), "the reason is said");

    let res = post_form(
        &b,
        &app,
        "/signup",
        &[("name", "ann"), ("password", PASSWORD), ("room", "lobby")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/r/lobby");
    let html = b
        .get(app.url("/r/lobby"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Signed in as"),
        "the cookie signs the page in"
    );

    let taken = post_form(
        &b,
        &app,
        "/signup",
        &[("name", "ANN"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(taken.status(), 409);

    // Another browser signs in; a wrong password is refused with the one sentence.
    let other = browser();
    let wrong = post_form(
        &other,
        &app,
        "/signin",
        &[("name", "ann"), ("password", "not the password")],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let html = wrong.text().await.unwrap();
    assert!(html.contains("Wrong name or password."));
    assert!(html.contains(r#"value="ann""#), "the name stays typed");
    let ok = post_form(
        &other,
        &app,
        "/signin",
        &[("name", "Ann"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/r/general");
    assert!(ok.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("HttpOnly"));
    app.stop().await;
}

#[tokio::test]
async fn markup_typed_into_a_form_comes_back_as_text() {
    let app = TestApp::spawn_unlimited().await;
    let b = browser();
    let attack = r#""><script>alert(1)</script>"#;
    let res = post_form(
        &b,
        &app,
        "/signin",
        &[("name", attack), ("password", "whatever-123")],
    )
    .await;
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    let res = post_form(&b, &app, "/rooms/new", &[("name", attack)]).await;
    assert_eq!(res.status(), 401, "a new room needs a session");
    assert!(!res.text().await.unwrap().contains("<script>alert"));
    // A room name from the query is never echoed as markup either.
    let res = b
        .get(app.url("/signin?room=%22%3E%3Cscript%3E"))
        .send()
        .await
        .unwrap();
    assert!(!res.text().await.unwrap().contains("\"><script>"));
    app.stop().await;
}

#[tokio::test]
async fn a_private_room_made_with_the_form_is_managed_on_its_members_page() {
    let app = TestApp::spawn_unlimited().await;
    let owner = browser();
    let res = post_form(
        &owner,
        &app,
        "/signup",
        &[("name", "ann"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 303);
    // bob has an account, and a name with markup in it.
    let bob: SessionResponse = app
        .http
        .post(app.url("/api/accounts"))
        .json(&json!({"name": "<b>bob</b>", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let made = post_form(
        &owner,
        &app,
        "/rooms/new",
        &[("name", "plans"), ("private", "on")],
    )
    .await;
    assert_eq!(made.status(), 303);
    assert_eq!(location(&made), "/r/plans");
    let again = post_form(&owner, &app, "/rooms/new", &[("name", "plans")]).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("exists already"));

    let add = post_form(&owner, &app, "/r/plans/members/add", &[("name", "nobody")]).await;
    assert_eq!(add.status(), 404);
    assert!(add
        .text()
        .await
        .unwrap()
        .contains("There is no account called nobody."));
    let add = post_form(
        &owner,
        &app,
        "/r/plans/members/add",
        &[("name", "<b>bob</b>")],
    )
    .await;
    assert_eq!(add.status(), 303);
    let html = owner
        .get(app.url("/r/plans/members"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Members of #plans (private)"));
    assert!(html.contains("&lt;b&gt;bob&lt;/b&gt;") && !html.contains("<b>bob</b>"));
    assert!(html.contains(r#"aria-label="Ban &lt;b&gt;bob&lt;/b&gt;""#));

    // bob sees the room's members but no moderation buttons; a stranger sees nothing.
    let as_bob = app
        .page_with_cookie(
            "/r/plans/members",
            &format!("cloud_msg_session={}", bob.token),
        )
        .await;
    assert!(as_bob.contains("ann") && !as_bob.contains("aria-label=\"Ban"));
    let stranger = browser();
    post_form(
        &stranger,
        &app,
        "/signup",
        &[("name", "carl"), ("password", PASSWORD)],
    )
    .await;
    let res = stranger
        .get(app.url("/r/plans/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let html = res.text().await.unwrap();
    assert!(html.contains("There is no room called #plans.") && !html.contains("bob"));
    let res = post_form(&stranger, &app, "/r/plans/members/add", &[("name", "carl")]).await;
    assert_eq!(res.status(), 404, "an outsider cannot add themselves");
    let visitor = browser()
        .get(app.url("/r/plans/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(visitor.status(), 303, "a visitor is sent to sign in");

    let ban = post_form(
        &owner,
        &app,
        "/r/plans/members/ban",
        &[("user_id", &bob.user_id.to_string())],
    )
    .await;
    assert_eq!(ban.status(), 303);
    let res = app
        .http
        .get(app.url("/r/plans/members"))
        .header("cookie", format!("cloud_msg_session={}", bob.token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        404,
        "banned from a private room: it is gone for bob"
    );

    let leave = post_form(&owner, &app, "/r/plans/members/leave", &[]).await;
    assert_eq!(leave.status(), 303);
    assert_eq!(location(&leave), "/r/general");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_lists_public_rooms_by_activity_with_a_filter_and_never_a_private_one() {
    let app = TestApp::spawn().await;
    let html = app.get("/rooms").await.text().await.unwrap();
    assert!(html.contains("No rooms yet."), "{html}");

    let mut ann = app.client("ann").await;
    let mut bob = app.client("bob").await;
    let ack = |f: &ServerFrame| matches!(f, ServerFrame::Ack { .. });
    for room in ["quiet-corner", "design_review", "lobby"] {
        ann.join(room, None).await;
    }
    bob.join("lobby", None).await;
    ann.say("design_review", "first").await;
    ann.recv_until(ack).await;
    // Times are in ms: two sends in one ms would tie (and tie-break by name).
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    ann.say("lobby", "latest").await;
    ann.recv_until(ack).await;
    // A private room and a direct conversation exist too.
    let ann_token = app.sign_up("annie").await.token;
    let made = app
        .http
        .post(app.url("/api/rooms"))
        .header("cookie", format!("cloud_msg_session={ann_token}"))
        .json(&serde_json::json!({"name": "secret-plans", "private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);

    let html = app.get("/rooms").await.text().await.unwrap();
    let order: Vec<&str> = ["/r/lobby\"", "/r/design_review\"", "/r/quiet-corner\""]
        .into_iter()
        .filter(|r| html.contains(r))
        .collect();
    assert_eq!(order.len(), 3, "{html}");
    let at = |r: &str| html.find(r).unwrap();
    assert!(
        at("/r/lobby\"") < at("/r/design_review\""),
        "most recently active first"
    );
    assert!(
        at("/r/design_review\"") < at("/r/quiet-corner\""),
        "no messages last"
    );
    assert!(html.contains("2 members"), "lobby has ann and bob");
    assert!(html.contains("no messages yet"));
    assert!(
        !html.contains("secret-plans") && !html.contains("/r/dm-"),
        "nothing private"
    );

    // The filter: part of a name; `_` is a character, not a wildcard; markup is dropped.
    let html = app.get("/rooms?q=REVIEW").await.text().await.unwrap();
    assert!(html.contains("/r/design_review\"") && !html.contains("/r/lobby\""));
    let html = app.get("/rooms?q=n_r").await.text().await.unwrap();
    assert!(html.contains("/r/design_review\""), "{html}");
    let html = app.get("/rooms?q=gn_re").await.text().await.unwrap();
    assert!(html.contains("/r/design_review\""));
    let html = app.get("/rooms?q=o_b").await.text().await.unwrap();
    assert!(html.contains("No rooms match “o_b”."), "{html}");
    let html = app
        .get("/rooms?q=%3Cscript%3Ealert(1)%3C/script%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("No rooms match “scriptalert1script”."),
        "{html}"
    );
}
