//! Emoji helpers shared by server and browser: the picker's palette and the
//! "only emoji" test that makes such a message larger. Shortcode expansion lives on the
//! server (`server::shortcodes`), so the browser does not carry the full emoji table.

/// The picker's palette: (emoji, accessible name).
pub const PALETTE: &[(&str, &str)] = &[
    ("😀", "grinning face"),
    ("😄", "grinning face with smiling eyes"),
    ("😂", "face with tears of joy"),
    ("🙂", "slightly smiling face"),
    ("😉", "winking face"),
    ("😍", "smiling face with heart-eyes"),
    ("😎", "smiling face with sunglasses"),
    ("🤔", "thinking face"),
    ("😅", "grinning face with sweat"),
    ("😢", "crying face"),
    ("😮", "face with open mouth"),
    ("😴", "sleeping face"),
    ("🙃", "upside-down face"),
    ("😬", "grimacing face"),
    ("🤯", "exploding head"),
    ("🥳", "partying face"),
    ("👍", "thumbs up"),
    ("👎", "thumbs down"),
    ("👏", "clapping hands"),
    ("🙌", "raising hands"),
    ("🙏", "folded hands"),
    ("👋", "waving hand"),
    ("💪", "flexed biceps"),
    ("👀", "eyes"),
    ("❤️", "red heart"),
    ("🔥", "fire"),
    ("✨", "sparkles"),
    ("🎉", "party popper"),
    ("✅", "check mark button"),
    ("❌", "cross mark"),
    ("⚠️", "warning"),
    ("💡", "light bulb"),
    ("🚀", "rocket"),
    ("☕", "hot beverage"),
    ("🍕", "pizza"),
    ("🐛", "bug"),
];

/// Emoji only (at most `MAX_BIG` of them, spaces allowed): shown larger.
pub fn is_only_emoji(text: &str) -> bool {
    const MAX_BIG: usize = 8;
    let mut pictographs = 0;
    for c in text.chars() {
        if c.is_whitespace() || is_emoji_modifier(c) {
            continue;
        }
        if !is_pictograph(c) {
            return false;
        }
        pictographs += 1;
    }
    (1..=MAX_BIG).contains(&pictographs)
}

fn is_pictograph(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF   // emoticons, symbols & pictographs, transport, flags, …
        | 0x2600..=0x27BF   // misc symbols, dingbats
        | 0x2B00..=0x2BFF   // arrows, stars
        | 0x2300..=0x23FF   // technical (⌚, ⏰, …)
        | 0x2190..=0x21FF   // arrows
        | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE | 0x2122 | 0x2139 | 0x24C2
        | 0x203C | 0x2049)
}

/// Code points that only modify a neighbouring emoji.
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c as u32,
        0x200D              // zero-width joiner
        | 0xFE0E | 0xFE0F   // variation selectors
        | 0x20E3            // combining keycap
        | 0xE0020..=0xE007F // tags (subdivision flags)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_only_messages() {
        for yes in ["😀", "🎉🎉", " 👍 ", "❤️", "👩‍💻", "🇫🇷", "👍🏽", "✅ 🚀"]
        {
            assert!(is_only_emoji(yes), "{yes:?}");
        }
        for no in ["", "   ", "hi 😀", "😀!", "ok", "1", &"😀".repeat(9)] {
            assert!(!is_only_emoji(no), "{no:?}");
        }
    }

    #[test]
    fn palette_entries_are_emoji_with_names() {
        for (e, name) in PALETTE {
            assert!(is_only_emoji(e), "{e}");
            assert!(!name.is_empty());
        }
    }
}
