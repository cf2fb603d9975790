//! `:smile:`-style shortcodes become emoji when a message is stored, so every reader
//! (browser, bot) sees the same text.

use std::borrow::Cow;

use crate::validation::{MessageText, ValidationError};

/// A message's text as it is stored: validated, with its shortcodes expanded (and checked
/// again, since an emoji is longer than its code). The socket's `send` and the REST post
/// both take text this way.
pub fn message_text(raw: &str) -> Result<MessageText, ValidationError> {
    let text = MessageText::parse(raw)?;
    match expand(text.as_str()) {
        Cow::Borrowed(_) => Ok(text),
        Cow::Owned(expanded) => MessageText::parse(&expanded),
    }
}

/// Replaces each known `:shortcode:` in `text` with its emoji; unknown ones stay as typed.
pub fn expand(text: &str) -> Cow<'_, str> {
    if !text.contains(':') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(':') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let known = after.find(':').and_then(|end| {
            let code = &after[..end];
            let plausible = !code.is_empty()
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b));
            plausible
                .then(|| emojis::get_by_shortcode(code))
                .flatten()
                .map(|e| (e, end))
        });
        match known {
            Some((emoji, end)) => {
                out.push_str(emoji.as_str());
                rest = &after[end + 1..];
            }
            None => {
                out.push(':');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::expand;

    #[test]
    fn expands_known_shortcodes_only() {
        assert_eq!(expand("hello :smile:"), "hello 😄");
        assert_eq!(expand(":+1::tada:"), "👍🎉");
        assert_eq!(expand("time 10:30: ok :smile:"), "time 10:30: ok 😄");
        assert_eq!(expand(":nope: :smile"), ":nope: :smile");
        assert_eq!(expand("a::b"), "a::b");
        assert_eq!(expand("no colons"), "no colons");
        assert_eq!(expand("héllo :heart: ü"), "héllo ❤️ ü");
    }
}
