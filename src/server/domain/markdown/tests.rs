use super::{plain, render};

/// The hostile payloads the browser tests also send (end2end/fixtures).
const HOSTILE: &str = include_str!("../../../../end2end/fixtures/hostile-markdown.json");

const LINK_TAIL: &str = r#"" rel="noopener noreferrer nofollow" target="_blank">"#;

/// Every tag in `html` is one this module writes, with only the attributes it writes, and
/// every link goes to http, https or mailto.
fn assert_inert(html: &str, payload: &str) {
    const PLAIN: [&str; 26] = [
        "<p>",
        "</p>",
        "<strong>",
        "</strong>",
        "<em>",
        "</em>",
        "<del>",
        "</del>",
        "<code>",
        "</code>",
        "<pre>",
        "</pre>",
        "<blockquote>",
        "</blockquote>",
        "<ul>",
        "</ul>",
        "<ol>",
        "</ol>",
        "<li>",
        "</li>",
        "<br>",
        "</a>",
        "<pre><code>",
        "</code></pre>",
        r#"<span class="mention">"#,
        "</span>",
    ];
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        if let Some(class) = rest.strip_prefix(r#"<pre><code class="language-"#) {
            let end = class.find("\">").expect("a closed class");
            assert!(
                class[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_+".contains(c)),
                "{html}"
            );
            rest = &class[end + 2..];
        } else if let Some(tag) = PLAIN.iter().find(|t| rest.starts_with(**t)) {
            rest = &rest[tag.len()..];
        } else if let Some(href) = rest.strip_prefix(r#"<a href=""#) {
            let end = href.find('"').expect("a closed href");
            let url = &href[..end];
            assert!(
                ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|s| url.to_ascii_lowercase().starts_with(s)),
                "{payload:?} links to {url:?}"
            );
            assert!(href[end..].starts_with(LINK_TAIL), "{payload:?}: {html}");
            rest = &href[end + LINK_TAIL.len()..];
        } else if let Some(start) = rest.strip_prefix(r#"<ol start=""#) {
            let end = start.find("\">").expect("a closed start");
            assert!(start[..end].bytes().all(|b| b.is_ascii_digit()), "{html}");
            rest = &start[end + 2..];
        } else {
            panic!("{payload:?} made markup it should not: {html}");
        }
    }
}

#[test]
fn plain_text_gets_no_html() {
    for text in [
        "hello",
        "see you at 10:30.",
        "a\nb",
        "well - maybe",
        "😀🎉",
        "2 + 2 = 4",
        "",
    ] {
        assert_eq!(render(text), None, "{text:?}");
    }
}

#[test]
fn the_subset_renders() {
    let cases = [
        ("**bold**", "<p><strong>bold</strong></p>"),
        ("*it* and _it_", "<p><em>it</em> and <em>it</em></p>"),
        ("~~gone~~", "<p><del>gone</del></p>"),
        ("use `a < b`", "<p>use <code>a &lt; b</code></p>"),
        (
            "```rust\nfn main() {}\n```",
            "<pre><code class=\"language-rust\">fn main() {}\n</code></pre>",
        ),
        ("> quoted", "<blockquote><p>quoted</p></blockquote>"),
        ("- a\n- b", "<ul><li>a</li><li>b</li></ul>"),
        ("3. c\n4. d", "<ol start=\"3\"><li>c</li><li>d</li></ol>"),
        ("# big", "<p><strong>big</strong></p>"),
        ("line\n**two**", "<p>line<br><strong>two</strong></p>"),
        (
            "[docs](https://example.com/a?b=1&c=2)",
            "<p><a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">docs</a></p>",
        ),
    ];
    for (text, html) in cases {
        assert_eq!(render(text).as_deref(), Some(html), "{text:?}");
    }
}

#[test]
fn bare_urls_become_links_without_their_trailing_punctuation() {
    let html = render("see https://example.com/x_(y). and mailto:a@b.example, ok").unwrap();
    assert_eq!(
        html,
        "<p>see <a href=\"https://example.com/x_(y)\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">https://example.com/x_(y)</a>. and <a href=\"mailto:a@b.example\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">mailto:a@b.example</a>, ok</p>"
    );
    // Not in code, not inside a word, and not a bare scheme.
    assert_eq!(
        render("`https://example.com`").unwrap(),
        "<p><code>https://example.com</code></p>"
    );
    assert_eq!(render("xhttps://example.com"), None);
    assert_eq!(render("https:// nothing"), None);
}

#[test]
fn raw_html_and_other_schemes_stay_text() {
    assert_eq!(
        render("<b>hi</b> **there**").unwrap(),
        "<p>&lt;b&gt;hi&lt;/b&gt; <strong>there</strong></p>"
    );
    assert_eq!(
        render("[x](javascript:alert(1))").unwrap(),
        "<p>x</p>",
        "the link's text stays, its address goes"
    );
    assert_eq!(
        render("![pic](https://example.com/p.png)").unwrap(),
        "<p><a href=\"https://example.com/p.png\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">pic</a></p>",
        "an image is a link, never loaded"
    );
}

#[test]
fn every_hostile_payload_renders_inert() {
    let payloads: Vec<String> = serde_json::from_str(HOSTILE).unwrap();
    assert!(payloads.len() >= 30);
    for payload in &payloads {
        if let Some(html) = render(payload) {
            assert_inert(&html, payload);
            assert!(!html.contains("<script"), "{payload:?}: {html}");
        }
    }
}

#[test]
fn no_input_makes_markup_it_should_not() {
    use proptest::prelude::*;
    let alphabet = proptest::collection::vec(
        prop_oneof![
            Just("<"),
            Just(">"),
            Just("\""),
            Just("'"),
            Just("*"),
            Just("_"),
            Just("`"),
            Just("["),
            Just("]"),
            Just("("),
            Just(")"),
            Just("!"),
            Just("\n"),
            Just("~"),
            Just("javascript:"),
            Just("https://"),
            Just("mailto:"),
            Just("a"),
            Just(" "),
            Just("&"),
            Just("#"),
            Just("-"),
            Just("> "),
            Just("```"),
            Just("1. "),
            Just("script"),
            Just("onerror="),
            Just("\\"),
            Just("@"),
            Just("@room"),
        ],
        0..40,
    );
    proptest!(ProptestConfig::with_cases(600), |(parts in alphabet)| {
        let text = parts.concat();
        if let Some(html) = render(&text) {
            assert_inert(&html, &text);
        }
    });
}

#[test]
fn a_search_hit_shows_the_words_without_their_markdown() {
    assert_eq!(plain("plain words"), "plain words");
    assert_eq!(plain("the **plan** is `on`"), "the plan is on");
    assert_eq!(plain("- one\n- two\n\n> quoted <b>"), "one two quoted <b>");
    assert_eq!(plain("```\nfn main() {}\n```"), "fn main() {}");
    assert_eq!(plain("[a link](javascript:alert(1))"), "a link");
}

#[test]
fn mentions_are_marked_as_text_but_not_in_code_links_or_addresses() {
    assert_eq!(
        render("hi @ann and @room").as_deref(),
        Some(
            r#"<p>hi <span class="mention">@ann</span> and <span class="mention">@room</span></p>"#
        )
    );
    assert_eq!(
        render("**@bob.lee**, look.").as_deref(),
        Some(r#"<p><strong><span class="mention">@bob.lee</span></strong>, look.</p>"#)
    );
    assert_eq!(
        render("`@ann` and https://x.example/@ann").as_deref(),
        Some(
            r#"<p><code>@ann</code> and <a href="https://x.example/@ann" rel="noopener noreferrer nofollow" target="_blank">https://x.example/@ann</a></p>"#
        )
    );
    // An address or a lone @ is no mention, and stays plain text.
    assert_eq!(render("write ann@example.com"), None);
    assert_eq!(render("meet @ 5"), None);
    // A name with markup in it stays text.
    let html = render("@ann<b>x</b>").unwrap();
    assert_inert(&html, "@ann<b>x</b>");
    assert!(html.contains("&lt;b&gt;"), "{html}");
}
