//! HTML escaping, the one place it is done. A message's text becomes HTML that shows
//! exactly that text (`text_html`: `&`, `<` and `>` escaped, nothing else touched); the
//! server's pages and formatting escape attribute values with [`html`] (quotes too). The
//! log puts every message in one kind of element (its HTML: text escaped here, the
//! server's formatting, or the tombstone), which keeps the browser's code small.

/// `text` escaped for an element's content.
pub fn text_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    push_text(&mut out, text);
    out
}

/// `text` escaped for an element's content, added to `out`.
pub fn push_text(out: &mut String, text: &str) {
    push(out, text, false);
}

/// `s` escaped for an element's content or a quoted attribute's value.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_html(&mut out, s);
    out
}

/// `s` escaped for an element's content or a quoted attribute's value, added to `out`.
pub fn push_html(out: &mut String, s: &str) {
    push(out, s, true);
}

fn push(out: &mut String, s: &str, quotes: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{html, text_html};

    #[test]
    fn markup_is_shown_as_text() {
        assert_eq!(
            text_html("<script>alert('x')</script> & <b>\"hi\"</b>\n😀"),
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;\"hi\"&lt;/b&gt;\n😀"
        );
        assert_eq!(text_html("&lt; stays &lt;"), "&amp;lt; stays &amp;lt;");
        assert_eq!(text_html(""), "");
    }

    #[test]
    fn markup_is_escaped_as_text_in_forms() {
        assert_eq!(
            html(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
    }

    #[test]
    fn an_attribute_value_cannot_be_left() {
        assert_eq!(
            html(r#"" onmouseover='x' <b>&"#),
            "&quot; onmouseover=&#39;x&#39; &lt;b&gt;&amp;"
        );
    }
}
