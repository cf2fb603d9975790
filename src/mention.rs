//! Mentions: `@name` in a message's text calls that person; `@room` calls everyone in the
//! room. Shared by the server (which highlights mentions in the formatted text and counts
//! a reader's unread ones) and the browser (which marks the messages that mention me,
//! counts new ones in the room list, notifies, and completes names after `@`).
//!
//! A mention starts at an `@` that is not inside a word (so `ann@example.com` mentions
//! nobody) and runs to the end of the name, which must not go on into a longer word
//! (`@annie` does not mention ann). Names match in any ASCII case. Only ASCII letters and
//! digits are told apart from other characters (Unicode's tables would cost the browser
//! kilobytes): any other non-ASCII character counts as part of a word.

use crate::{page::Me, protocol::Entry};

/// The word that calls everyone in the room.
pub const EVERYONE: &str = "room";

/// Whether `c` can be part of a name's word.
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || !c.is_ascii() || matches!(c, '_' | '-')
}

/// Where a mention may start: every `@` not inside a word, as the byte index after it.
fn starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.match_indices('@').filter_map(move |(at, _)| {
        let inside = text[..at].chars().next_back().is_some_and(word_char);
        (!inside).then_some(at + 1)
    })
}

/// Whether `rest` starts with `name` (any ASCII case) and the word ends there.
fn names(rest: &str, name: &str) -> bool {
    let Some(head) = rest.get(..name.len()) else {
        return false;
    };
    head.eq_ignore_ascii_case(name) && !rest[name.len()..].chars().next().is_some_and(word_char)
}

/// Whether `text` mentions `name` (or everyone: `@room`).
pub fn mentions(text: &str, name: &str) -> bool {
    !name.is_empty()
        && starts(text).any(|from| {
            let rest = &text[from..];
            names(rest, name) || names(rest, EVERYONE)
        })
}

/// Whether `msg` calls `me`: someone else's message (not an edit or deletion, not deleted)
/// that mentions them or everyone. The browser marks it, counts it and notifies with it.
pub fn calls(me: &Me, msg: &Entry) -> bool {
    msg.author_id != me.id
        && msg.changes().is_none()
        && !msg.deleted
        && mentions(&msg.text, &me.name)
}

/// The mentions in `text` to highlight, as byte ranges (the `@` included): an `@` not
/// inside a word, then a word (letters, digits, `_`, `-`; a `.` inside it, as in `@ann.lee`).
/// A name with a space in it is highlighted to its first word.
pub fn spans(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for from in starts(text) {
        if out.last().is_some_and(|&(_, end)| from <= end) {
            continue;
        }
        let rest = &text[from..];
        let mut len = rest
            .find(|c: char| !(word_char(c) || c == '.'))
            .unwrap_or(rest.len());
        // A sentence's full stop is not part of the name.
        len = rest[..len].trim_end_matches('.').len();
        if len > 0 {
            out.push((from - 1, from + len));
        }
    }
    out
}

/// The name being typed after an `@` that ends at `caret` in `text` (the box's text and
/// where its caret is), for completion: `(where the @ is, what follows it)`. `None` when
/// the caret is not at the end of such a word.
pub fn typed_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let typed = &before[at + 1..];
    let inside = before[..at].chars().next_back().is_some_and(word_char);
    // A name may have single spaces in it; a space first, two in a row, or anything no
    // name has ends the word.
    let ok = !inside
        && typed.len() <= 64
        && !typed.starts_with(' ')
        && !typed.contains("  ")
        && typed
            .chars()
            .all(|c| word_char(c) || matches!(c, '.' | ' '));
    ok.then_some((at, typed))
}

/// The names to offer for `typed` (what follows the `@`): the room's members whose name
/// starts with it in any ASCII case (not `me`), then everyone (`room`) if it fits; at most
/// [`OFFERED`].
pub fn candidates<'a>(
    typed: &str,
    members: impl IntoIterator<Item = &'a str>,
    me: &str,
) -> Vec<String> {
    let fits = |name: &str| {
        name.get(..typed.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(typed))
    };
    let mut out: Vec<String> = members
        .into_iter()
        .filter(|name| *name != me && fits(name))
        .take(OFFERED)
        .map(str::to_owned)
        .collect();
    if out.len() < OFFERED && fits(EVERYONE) && !out.iter().any(|n| n == EVERYONE) {
        out.push(EVERYONE.to_owned());
    }
    out
}

/// The most names offered at once.
pub const OFFERED: usize = 8;

/// The byte index in `text` of UTF-16 offset `at` (a text box's caret), or its end.
pub fn byte_index(text: &str, at: u32) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= at as usize {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The UTF-16 offset of byte index `at` of `text`.
pub fn utf16_index(text: &str, at: usize) -> u32 {
    text[..at].encode_utf16().count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_is_an_at_then_the_name_as_a_whole_word_in_any_case() {
        assert!(mentions("@ann look", "ann"));
        assert!(mentions("hi @Ann, look", "ann"));
        assert!(mentions("(@ANN)", "ann"));
        assert!(mentions("thanks @ann.", "ann"));
        assert!(mentions("@ann's turn", "ann"));
        assert!(mentions("ping @zoë!", "zoë"));
        assert!(mentions("ask @ann lee", "ann lee"));
        assert!(!mentions("@annie look", "ann"));
        assert!(!mentions("@ann_b", "ann"));
        assert!(!mentions("@ann-b", "ann"));
        assert!(!mentions("write ann@example.com", "ann"));
        assert!(!mentions("ann, look", "ann"));
        assert!(!mentions("@ an", "an"));
        assert!(!mentions("@", "ann"));
        assert!(!mentions("@zoë", "zo"));
        assert!(!mentions("@ann", ""));
    }

    #[test]
    fn at_room_calls_everyone() {
        assert!(mentions("@room standup now", "bob"));
        assert!(mentions("standup, @Room!", "bob"));
        assert!(!mentions("@rooms to book", "bob"));
        assert!(!mentions("chat@room", "bob"));
    }

    #[test]
    fn spans_cover_the_at_and_the_word_but_not_a_sentence_s_full_stop() {
        let text = "hi @ann and @bob.lee. mail x@y.z @ @room";
        let got: Vec<&str> = spans(text).iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(got, ["@ann", "@bob.lee", "@room"]);
        assert!(spans("@@@").is_empty());
        let odd = "@@ann @zoë…";
        let got: Vec<&str> = spans(odd).iter().map(|&(a, b)| &odd[a..b]).collect();
        assert_eq!(got, ["@ann", "@zoë…"]);
    }

    #[test]
    fn candidates_start_with_what_was_typed_without_me_then_everyone() {
        let members = ["ann", "Anton", "bob", "annika", "me"];
        assert_eq!(candidates("an", members, "me"), ["ann", "Anton", "annika"]);
        assert_eq!(
            candidates("", members, "me"),
            ["ann", "Anton", "bob", "annika", "room"]
        );
        assert_eq!(candidates("R", members, "me"), ["room"]);
        assert_eq!(candidates("me", members, "me"), Vec::<String>::new());
        let many: Vec<String> = (0..20).map(|i| format!("a{i}")).collect();
        assert_eq!(
            candidates("a", many.iter().map(String::as_str), "x").len(),
            OFFERED
        );
        assert!(candidates("zoë", ["zoë"], "x") == ["zoë"]);
        assert!(candidates("zo", ["z"], "x").is_empty());
    }

    #[test]
    fn caret_offsets_convert_between_utf16_and_bytes() {
        let text = "hé 😀 @an";
        let at = text.find('@').unwrap();
        assert_eq!(utf16_index(text, at), 6);
        assert_eq!(byte_index(text, 6), at);
        assert_eq!(byte_index(text, 99), text.len());
        assert_eq!(byte_index(text, 0), 0);
    }

    #[test]
    fn the_name_being_typed_is_the_word_after_the_last_at_before_the_caret() {
        assert_eq!(typed_at("hi @an", 6), Some((3, "an")));
        assert_eq!(typed_at("@", 1), Some((0, "")));
        assert_eq!(typed_at("hi @ann lee", 11), Some((3, "ann lee")));
        assert_eq!(typed_at("hi @an more", 6), Some((3, "an")));
        assert_eq!(typed_at("ann@exa", 7), None);
        assert_eq!(typed_at("no at here", 10), None);
        assert_eq!(typed_at("@ann, then", 10), None);
        assert_eq!(typed_at("@ ann", 5), None);
        assert_eq!(typed_at("@ann  x", 7), None);
        assert_eq!(typed_at("@ann", 99), None);
    }
}
