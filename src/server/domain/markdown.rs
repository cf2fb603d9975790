//! Message formatting: a safe Markdown subset rendered to HTML on the server, so that the
//! browser's WASM carries no parser. **bold**, *italic*, ~~strike~~, `code`, fenced code
//! blocks, quotes and lists; bare http(s) and mailto URLs become links, and mentions
//! (`@name`, `@room`) are marked.
//!
//! The HTML is written here from `pulldown-cmark`'s events, element by element from a
//! short list: nothing of the text ever becomes markup. Raw HTML in a message is shown as
//! the text it is; a link whose address is not http, https or mailto is shown as its text
//! only; images are links (a message never loads anything by itself). Headings, rules and
//! tables are not part of chat: a heading is its text in bold, a rule is its text.
//!
//! A message with no formatting gets no HTML at all (`None`): the client shows its text as
//! text, which is most messages, and keeps emoji-only messages large.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::protocol::EntryKind;

/// The words of `text` as a reader sees them, without the Markdown that formats them
/// (for a search hit): blocks and lines joined by a space, raw HTML kept as the text it is.
pub fn plain(text: &str) -> String {
    if !may_format(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let space = |out: &mut String| {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
    };
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::Rule
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::Heading(_),
            ) => space(&mut out),
            _ => {}
        }
    }
    out.trim_end().to_owned()
}

/// The HTML of an entry's `text`: only a message's or an edit's text is Markdown (a
/// reaction's is an emoji, a deletion's is empty).
pub fn render_entry(kind: EntryKind, text: &str) -> Option<String> {
    match kind {
        EntryKind::Message | EntryKind::Edit(_) => render(text),
        EntryKind::Delete(_) | EntryKind::React { .. } => None,
    }
}

/// The HTML of `text`, or `None` when it is plain text (no formatting, no link).
pub fn render(text: &str) -> Option<String> {
    if text.is_empty() || !may_format(text) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 32);
    // The closing tags of the elements open now, innermost last.
    let mut open: Vec<&'static str> = Vec::new();
    // Inside a link or code: text is not linked again.
    let mut in_link = 0usize;
    let mut formatted = false;
    let mut paragraphs = 0usize;
    // The parser splits text where emphasis could start (`_`, `*`): runs of text are
    // joined before their URLs are looked for.
    let mut run = String::new();
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        if let Event::Text(t) = &event {
            run.push_str(t);
            continue;
        }
        if !run.is_empty() {
            if in_link == 0 && !in_code(&open) {
                formatted |= linkify(&run, &mut out);
            } else {
                escape(&run, &mut out);
            }
            run.clear();
        }
        match event {
            Event::Start(tag) => {
                let (start, end) = element(&tag);
                if !matches!(tag, Tag::Paragraph) {
                    formatted = true;
                } else {
                    paragraphs += 1;
                }
                if matches!(tag, Tag::Link { .. } | Tag::Image { .. }) && !start.is_empty() {
                    in_link += 1;
                }
                out.push_str(&start);
                open.push(end);
            }
            Event::End(_) => {
                let end = open.pop().unwrap_or("");
                if end == LINK_END {
                    in_link = in_link.saturating_sub(1);
                }
                out.push_str(end);
            }
            Event::Text(_) => {}
            Event::Code(t) => {
                formatted = true;
                out.push_str("<code>");
                escape(&t, &mut out);
                out.push_str("</code>");
            }
            // Raw HTML is text.
            Event::Html(t) | Event::InlineHtml(t) => escape(&t, &mut out),
            Event::SoftBreak | Event::HardBreak => out.push_str("<br>"),
            Event::Rule => {
                formatted = true;
                out.push_str("<p>---</p>");
            }
            // Footnotes, math and task markers are not enabled; their text, if any, is text.
            Event::FootnoteReference(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                escape(&t, &mut out)
            }
            Event::TaskListMarker(_) => {}
        }
    }
    escape(&run, &mut out);
    // One paragraph of text and breaks is what the client shows anyway.
    (formatted || paragraphs > 1).then_some(out)
}

const LINK_END: &str = "</a>";

/// Whether `text` has anything Markdown or a link could come of; most messages do not,
/// and are not parsed.
fn may_format(text: &str) -> bool {
    text.bytes().any(|b| {
        matches!(
            b,
            b'*' | b'_'
                | b'~'
                | b'`'
                | b'>'
                | b'#'
                | b'-'
                | b'+'
                | b'['
                | b'<'
                | b'&'
                | b'\n'
                | b'\\'
                | b'='
                | b'|'
                | b':'
                | b'.'
                | b')'
                | b'@'
        )
    })
}

fn in_code(open: &[&'static str]) -> bool {
    open.last() == Some(&"</code></pre>")
}

/// The opening and closing HTML of a block or inline element.
fn element(tag: &Tag) -> (String, &'static str) {
    match tag {
        Tag::Paragraph => ("<p>".into(), "</p>"),
        Tag::Heading { .. } => ("<p><strong>".into(), "</strong></p>"),
        Tag::BlockQuote(_) => ("<blockquote>".into(), "</blockquote>"),
        Tag::CodeBlock(kind) => {
            let lang = match kind {
                CodeBlockKind::Fenced(info) => info.split_whitespace().next().unwrap_or(""),
                CodeBlockKind::Indented => "",
            };
            let class: String = lang
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
                .take(20)
                .collect();
            if class.is_empty() {
                ("<pre><code>".into(), "</code></pre>")
            } else {
                (
                    format!(r#"<pre><code class="language-{class}">"#),
                    "</code></pre>",
                )
            }
        }
        Tag::List(Some(start)) if *start != 1 => (format!(r#"<ol start="{start}">"#), "</ol>"),
        Tag::List(Some(_)) => ("<ol>".into(), "</ol>"),
        Tag::List(None) => ("<ul>".into(), "</ul>"),
        Tag::Item => ("<li>".into(), "</li>"),
        Tag::Emphasis => ("<em>".into(), "</em>"),
        Tag::Strong => ("<strong>".into(), "</strong>"),
        Tag::Strikethrough => ("<del>".into(), "</del>"),
        Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => match safe_url(dest_url) {
            Some(url) => (anchor(url), LINK_END),
            None => (String::new(), ""),
        },
        // Nothing else is enabled; were it to come, its content is shown bare.
        _ => (String::new(), ""),
    }
}

/// `url` if it is an absolute http, https or mailto address (the scheme checked as the
/// browser reads it: no leading blanks, no control characters, any case).
fn safe_url(url: &str) -> Option<&str> {
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let scheme = url.split_once(':')?.0.to_ascii_lowercase();
    let ok = match scheme.as_str() {
        "http" | "https" => {
            url[scheme.len() + 1..].starts_with("//") && url.len() > scheme.len() + 3
        }
        "mailto" => url.len() > 7,
        _ => false,
    };
    ok.then_some(url)
}

fn anchor(url: &str) -> String {
    let mut out = String::from(r#"<a href=""#);
    crate::escape::push_html(&mut out, url);
    out.push_str(r#"" rel="noopener noreferrer nofollow" target="_blank">"#);
    out
}

fn escape(text: &str, out: &mut String) {
    crate::escape::push_text(out, text);
}

/// Escapes `text` into `out`, each mention (`crate::mention::spans`) in a
/// `<span class="mention">`. Returns whether there was one.
fn mentions(text: &str, out: &mut String) -> bool {
    let spans = crate::mention::spans(text);
    let mut from = 0;
    for &(start, end) in &spans {
        escape(&text[from..start], out);
        out.push_str(r#"<span class="mention">"#);
        escape(&text[start..end], out);
        out.push_str("</span>");
        from = end;
    }
    escape(&text[from..], out);
    !spans.is_empty()
}

/// Escapes `text` into `out`, making bare http(s) and mailto URLs links and marking
/// mentions. Returns whether it made either.
fn linkify(text: &str, out: &mut String) -> bool {
    let mut linked = false;
    let mut rest = text;
    while let Some(at) = find_url(rest) {
        let (before, from) = rest.split_at(at);
        linked |= mentions(before, out);
        let len = url_len(from);
        let url = &from[..len];
        match safe_url(url) {
            Some(url) => {
                out.push_str(&anchor(url));
                escape(url, out);
                out.push_str(LINK_END);
                linked = true;
            }
            None => escape(url, out),
        }
        rest = &from[len..];
    }
    linked |= mentions(rest, out);
    linked
}

/// Where the next bare URL starts: `http://`, `https://` or `mailto:` at the start of a
/// word.
fn find_url(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut best: Option<usize> = None;
    for scheme in ["https://", "http://", "mailto:"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(scheme) {
            let at = from + i;
            let word_start = text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if word_start && url_len(&text[at..]) > scheme.len() {
                best = Some(best.map_or(at, |b| b.min(at)));
                break;
            }
            from = at + scheme.len();
        }
    }
    best
}

/// How long the URL at the start of `text` is: up to a blank or a character no URL has,
/// without trailing punctuation (and a closing bracket only when it closes one inside).
fn url_len(text: &str) -> usize {
    let end = text
        .find(|c: char| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`'))
        .unwrap_or(text.len());
    let mut url = &text[..end];
    while let Some(last) = url.chars().next_back() {
        let trim = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | '_' | '~' => true,
            ')' => url.matches('(').count() < url.matches(')').count(),
            _ => false,
        };
        if !trim {
            break;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
    url.len()
}

#[cfg(test)]
mod tests;
