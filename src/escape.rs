//! A message's text as HTML that shows exactly that text: `&`, `<` and `>` escaped, nothing
//! else touched. The log puts every message in one kind of element (its HTML: this, the
//! server's formatting, or the tombstone), which keeps the browser's code small.

/// `text` escaped for an element's content.
pub fn text_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::text_html;

    #[test]
    fn markup_is_shown_as_text() {
        assert_eq!(
            text_html("<script>alert('x')</script> & <b>\"hi\"</b>\n😀"),
            "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;\"hi\"&lt;/b&gt;\n😀"
        );
        assert_eq!(text_html("&lt; stays &lt;"), "&amp;lt; stays &amp;lt;");
        assert_eq!(text_html(""), "");
    }
}
