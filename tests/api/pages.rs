//! The room page under load and its visitor cache.

use std::io::Read;

use cloud_msg::{page::RoomPageData, protocol::ServerFrame};

use crate::helpers::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_pages_rendered_at_once_all_arrive_whole() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    alice.join("lobby", None).await;
    alice.say("lobby", "hello everyone").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let token = app.sign_in("bob").await.token;
    // Visitors and signed-in people at once, as when a team opens the room together.
    let requests = (0..24).map(|i| {
        let req = app.http.get(app.url("/r/lobby"));
        let req = if i % 2 == 0 {
            req.header("cookie", format!("cloud_msg_session={token}"))
        } else {
            req
        };
        async move {
            let res = req.send().await.expect("the server answers");
            assert_eq!(res.status(), 200);
            res.text().await.expect("a whole body")
        }
    });
    for html in futures::future::join_all(requests).await {
        assert!(html.contains("<title>#lobby · cloud_msg</title>"), "title");
        assert!(html.contains("hello everyone"), "history");
        assert!(html.contains("</html>"), "the document is complete");
        assert_eq!(
            page_data(&html).history.len(),
            1,
            "the data for hydration too"
        );
    }
}

/// Several servers in one process (the tests, a cluster of nodes in one test): a server
/// that starts must never stall another's page. (Leptos's route list was once found by
/// running the app under a process-wide flag that made any page loading meanwhile wait for
/// ever; there is no route list now, and this keeps it that way.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_servers_of_the_process_start() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Pages rendered without a pause, by four readers at once, while servers start.
    let readers: Vec<_> = (0..4)
        .map(|r| {
            let (app, done) = (app.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let req = app.http.get(app.url(&format!("/r/busy-{r}-{n}")));
                    let res = tokio::time::timeout(std::time::Duration::from_secs(10), req.send())
                        .await
                        .unwrap_or_else(|_| panic!("page {n} of reader {r} never came"))
                        .expect("the server answers");
                    assert_eq!(res.status(), 200);
                    assert!(
                        res.text().await.unwrap().contains("</html>"),
                        "a whole page"
                    );
                    n += 1;
                }
                n
            })
        })
        .collect();
    for _ in 0..10 {
        TestApp::spawn().await.stop().await;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.expect("the reader saw every page") > 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_page_is_revalidated_gzipped_and_changes_with_the_room() {
    let app = TestApp::spawn().await;
    // Only rooms that exist are cached: someone made this one.
    let mut alice = app.client("alice").await;
    alice.join("news", None).await;
    alice.say("news", "first").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let first = app.get("/r/news").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "no-cache");
    let etag = first.headers()["etag"].clone();
    let html = first.text().await.unwrap();
    assert!(html.contains("Join chat"), "a visitor sees the join form");

    // The browser's copy is still good: 304, no body. Not once another theme is picked.
    assert_eq!(revalidate(&app, "/r/news", &etag).await.status(), 304);
    let themed = app
        .http
        .get(app.url("/r/news"))
        .header("if-none-match", etag.clone())
        .header("cookie", "cloud_msg_theme=dark")
        .send()
        .await
        .unwrap();
    assert_eq!(themed.status(), 200);
    assert_ne!(themed.headers()["etag"], etag);

    // Compressed, the same page.
    let zipped = app
        .http
        .get(app.url("/r/news"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let bytes = zipped.bytes().await.unwrap();
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut unzipped)
        .unwrap();
    // The same page but for its script nonce, which is new in every response.
    let nonce = |html: &str| {
        let at = html.find("nonce=\"").expect("a nonce") + 7;
        html[at..at + 22].to_owned()
    };
    assert_ne!(nonce(&unzipped), nonce(&html));
    assert_eq!(unzipped.replace(&nonce(&unzipped), &nonce(&html)), html);

    // A new message is a new page: new ETag, the message in it, the old copy stale.
    alice.say("news", "fresh off the press").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let changed = revalidate(&app, "/r/news", &etag).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag);
    assert!(changed
        .text()
        .await
        .unwrap()
        .contains("fresh off the press"));
}

/// A GET of `path` by a browser that holds the copy tagged `etag`.
async fn revalidate(
    app: &TestApp,
    path: &str,
    etag: &reqwest::header::HeaderValue,
) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_page_is_never_served_from_the_visitor_cache() {
    let app = TestApp::spawn().await;
    assert!(app
        .get("/r/club")
        .await
        .text()
        .await
        .unwrap()
        .contains("Join chat"));
    let token = app.sign_in("dora").await.token;
    let res = app
        .http
        .get(app.url("/r/club"))
        .header("cookie", format!("cloud_msg_session={token}"))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("etag").is_none());
    let html = res.text().await.unwrap();
    assert!(html.contains("Signed in as") && html.contains("dora"));
    assert!(!html.contains("Join chat"));
}

/// The room page's data, from its data script (JSON, with `<` escaped).
fn page_data(html: &str) -> RoomPageData {
    let open = r#"<script type="application/json" id="page-data">"#;
    let start = html.find(open).expect("the page's data") + open.len();
    let end = start + html[start..].find("</script>").expect("the script's end");
    assert!(
        !html[start..end].contains('<'),
        "nothing can end the script early"
    );
    serde_json::from_str(&html[start..end]).expect("the page's data")
}

/// The sidebar's part that is the reader's own.
fn personal(html: &str) -> &str {
    let start = html
        .find(r#"<div class="personal">"#)
        .expect("the reader's part");
    let end = start
        + html[start..]
            .find("Sign out</button>")
            .expect("the room list and me");
    &html[start..end]
}

/// A GET of `path` as `token`'s holder, gzip accepted: the headers and the page.
async fn page_as(app: &TestApp, path: &str, token: &str) -> (reqwest::header::HeaderMap, String) {
    let res = app
        .http
        .get(app.url(path))
        .header("cookie", format!("cloud_msg_session={token}"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-encoding"], "gzip");
    let bytes = res.bytes().await.unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut html)
        .unwrap();
    (headers, html)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rooms_readers_share_its_page_each_with_their_own_part() {
    let app = TestApp::spawn().await;
    let alice_token = app.sign_in("alice").await.token;
    let mut alice = app
        .connect_with(&[("authorization", format!("Bearer {alice_token}"))])
        .await
        .expect("socket opens");
    let bob_token = app.sign_in("bob").await.token;
    let mut bob = app
        .connect_with(&[("authorization", format!("Bearer {bob_token}"))])
        .await
        .expect("socket opens");
    let ack = |f: &ServerFrame| matches!(f, ServerFrame::Ack { .. });
    alice.join("news", None).await;
    alice.join("lobby", None).await;
    alice.say("lobby", "hello lobby <b>").await;
    alice.recv_until(ack).await;
    bob.join("lobby", None).await;

    let mut pages = Vec::new();
    for (name, token) in [("alice", &alice_token), ("bob", &bob_token)] {
        let (headers, html) = page_as(&app, "/r/lobby", token).await;
        assert_eq!(headers["cache-control"], "private, no-store");
        assert!(
            headers.get("etag").is_none(),
            "a reader's page is not revalidated"
        );
        let data = page_data(&html);
        assert_eq!(data.viewer.me.as_ref().map(|m| m.name.as_str()), Some(name));
        assert_eq!(data.history.len(), 1);
        assert_eq!(data.history[0].text, "hello lobby <b>");
        let mine = personal(&html);
        assert!(mine.contains(name), "{mine}");
        assert!(!html.contains("reader:"), "the placeholder never shows");
        assert!(html.contains("hello lobby &lt;b&gt;"), "the log, as text");
        pages.push((data, mine.to_owned()));
    }
    let (alice_page, bob_page) = (&pages[0], &pages[1]);
    let rooms = |d: &RoomPageData| {
        d.viewer
            .rooms
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(rooms(&alice_page.0), ["lobby", "news"]);
    assert_eq!(rooms(&bob_page.0), ["lobby"]);
    assert!(alice_page.1.contains(r#"href="/r/news""#));
    assert!(!bob_page.1.contains(r#"href="/r/news""#) && !bob_page.1.contains("alice"));

    // A new message: a new page for every reader.
    bob.say("lobby", "hi alice").await;
    bob.recv_until(ack).await;
    let (_, html) = page_as(&app, "/r/lobby", &alice_token).await;
    let data = page_data(&html);
    assert_eq!(data.history.len(), 2);
    assert_eq!(data.viewer.me.map(|m| m.name), Some("alice".to_owned()));
    assert!(html.contains("hi alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picked_theme_is_on_every_page_kept_or_not_and_only_a_theme_is_kept() {
    let app = TestApp::spawn().await;
    let pick = |theme: &'static str, room: &'static str| {
        app.http
            .post(app.url("/theme"))
            .form(&[("theme", theme), ("room", room)])
            .send()
    };
    let res = pick("dark", "lobby").await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/r/lobby");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("cloud_msg_theme=dark;"), "{cookie}");
    let res = pick("system", "lobby").await.unwrap();
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    // Anything but a theme, or a bad room to go back to, is refused and sets nothing.
    for (theme, room) in [("\"><script>", "lobby"), ("dark", "../../evil")] {
        let res = pick(theme, room).await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("set-cookie").is_none());
    }

    // Someone made the room, so visitors' pages of it are kept.
    let mut alice = app.client("alice").await;
    alice.join("lobby", None).await;
    let reader = app.sign_in("bob").await.token;
    let cases = [
        (None, None, "system"),
        (Some("cloud_msg_theme=dark"), None, "dark"),
        (Some("cloud_msg_theme=light"), None, "light"),
        (Some("cloud_msg_theme=bogus"), None, "system"),
        (Some("cloud_msg_theme=dark"), Some(&reader), "dark"),
        (None, Some(&reader), "system"),
    ];
    // Twice each: rendered, then kept.
    for _ in 0..2 {
        for (theme, token, want) in cases {
            let cookies: Vec<String> = theme
                .map(str::to_owned)
                .into_iter()
                .chain(token.map(|t| format!("cloud_msg_session={t}")))
                .collect();
            let mut req = app.http.get(app.url("/r/lobby"));
            if !cookies.is_empty() {
                req = req.header("cookie", cookies.join("; "));
            }
            let html = req.send().await.unwrap().text().await.unwrap();
            assert!(
                html.contains(&format!(r#"<html lang="en" data-theme="{want}">"#)),
                "{want}: {}",
                &html[..200.min(html.len())]
            );
            assert!(!html.contains("theme:"), "the placeholder never shows");
            if token.is_some() {
                let pressed = want == "dark";
                assert!(html.contains(&format!(r#"aria-pressed="{pressed}">Dark theme"#)));
                assert_eq!(page_data(&html).viewer.dark, pressed);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_pages_wear_the_picked_theme_too() {
    let app = TestApp::spawn().await;
    for (cookie, want) in [("cloud_msg_theme=dark", "dark"), ("a=b", "system")] {
        let html = app.page_with_cookie("/signin?room=lobby", cookie).await;
        assert!(
            html.contains(&format!(r#"<html lang="en" data-theme="{want}">"#)),
            "{want}: {}",
            &html[..200.min(html.len())]
        );
    }
}
