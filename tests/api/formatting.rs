//! Formatting: a message's Markdown travels as the server's HTML next to its text, the
//! same live, in catch-up, in older history and in the room page; hostile markup never
//! becomes markup anywhere. (`make test` runs these on SQLite and again on Postgres.)

use crate::helpers::*;

const HOSTILE: &str = include_str!("../../end2end/fixtures/hostile-markdown.json");

#[tokio::test]
async fn formatted_text_is_the_same_html_live_in_catch_up_history_and_the_page() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    ann.join("lobby", Some(0)).await;
    ann.say("lobby", "**ship it** at https://example.com/x.")
        .await;
    ann.say("lobby", "just words").await;
    let live = next_message(&mut ann).await;
    let want = r#"<p><strong>ship it</strong> at <a href="https://example.com/x" rel="noopener noreferrer nofollow" target="_blank">https://example.com/x</a>.</p>"#;
    assert_eq!(live.html.as_deref(), Some(want));
    assert_eq!(
        live.text, "**ship it** at https://example.com/x.",
        "the text stays"
    );
    assert_eq!(
        next_message(&mut ann).await.html,
        None,
        "plain text has no html"
    );

    let mut bob = app.client("bob").await;
    bob.join("lobby", Some(0)).await;
    assert_eq!(next_message(&mut bob).await.html.as_deref(), Some(want));

    let older = history(&app, "lobby").await;
    assert_eq!(older[0].html.as_deref(), Some(want));
    assert_eq!(older[1].html, None);

    let html = app.get("/r/lobby").await.text().await.unwrap();
    assert!(
        html.contains(r#"<strong>ship it</strong>"#),
        "the page renders the formatting"
    );
    assert!(html.contains(r#"rel="noopener noreferrer nofollow" target="_blank""#));
    app.stop().await;
}

#[tokio::test]
async fn hostile_markup_is_inert_on_the_wire_and_in_the_page() {
    let app = TestApp::spawn_unlimited().await;
    let payloads: Vec<String> = serde_json::from_str(HOSTILE).unwrap();
    let mut eve = app.client("eve").await;
    eve.join("lobby", Some(0)).await;
    for p in &payloads {
        eve.say("lobby", p).await;
        let msg = next_message(&mut eve).await;
        assert_eq!(&msg.text, p, "the text is kept as sent");
        if let Some(html) = &msg.html {
            for bad in [
                "<script",
                "<img",
                "<iframe",
                "<svg",
                "<style",
                "<form",
                "<meta",
                "<object",
                "<base",
                "<link",
                "<details",
                "<math",
                "onerror",
                "onload",
                "javascript:",
                "data:",
            ] {
                // Escaped text may say these words; as markup they would start with `<` or
                // sit in an attribute.
                let as_markup = html.contains(bad) && (bad.starts_with('<') || attr_has(html, bad));
                assert!(!as_markup, "{p:?} → {html}");
            }
        }
    }
    let page = app.get("/r/lobby").await.text().await.unwrap();
    for tag in [
        "<script>window",
        "<img",
        "<iframe",
        "<svg",
        "<object",
        "<meta http-equiv",
        "<base",
    ] {
        assert!(!page.contains(tag), "the page has {tag}");
    }
    assert!(page.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"));
    app.stop().await;
}

/// Whether `word` is inside some tag of `html` (an attribute), not in its text.
fn attr_has(html: &str, word: &str) -> bool {
    html.split('<')
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(tag, _)| tag))
        .any(|tag| tag.contains(word))
}
