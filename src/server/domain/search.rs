//! Search: what a query means and how a hit is shown, the same on both backends.
//!
//! A query is its words (letters and digits; everything else separates them, so nothing a
//! person types can be query syntax), each matching the start of a word of the message,
//! all of them required. SQLite asks its FTS5 index (`"word"*` …), Postgres its tsvector
//! (`'word':* & …`, by slices of time: `store/postgres/search_index.rs`); the matching
//! words are marked here, in Rust, so both look alike.

use crate::escape;

/// Words a query keeps at most, and the longest word.
const MAX_TERMS: usize = 8;
const MAX_TERM: usize = 64;
/// The newest matches a search reads at most, on either backend (of every room; those the
/// searcher may not read are skipped): a word common in rooms they cannot read costs this
/// much and no more. Older hits of such a word are not found.
pub const SCAN: i64 = 20_000;
/// Matches read at a time, newest first.
pub const PAGE: i64 = 200;
/// Messages waiting for the index that a search indexes itself before it reads the index,
/// on either backend (about a second's burst, 0.1 s of work): what was stored before it is
/// found unless the indexer is further behind, and then the search does not wait for it.
pub const CATCH_UP: usize = 2_000;
/// The most text of a hit shown; a longer one is cut around its first match.
const SHOWN: usize = 280;

/// A query's words, lowercased: never empty once made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms(Vec<String>);

impl Terms {
    /// The words of `query`; `None` when it has none.
    pub fn parse(query: &str) -> Option<Self> {
        let mut terms: Vec<String> = Vec::new();
        for word in words(query) {
            let word: String = word.to_lowercase().chars().take(MAX_TERM).collect();
            if !terms.contains(&word) {
                terms.push(word);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        (!terms.is_empty()).then_some(Self(terms))
    }

    /// The query as the words it kept, for the search box.
    pub fn shown(&self) -> String {
        self.0.join(" ")
    }

    /// An FTS5 MATCH expression: every word as a quoted prefix.
    pub fn fts5(&self) -> String {
        let quoted: Vec<String> = self.0.iter().map(|t| format!("\"{t}\"*")).collect();
        quoted.join(" ")
    }

    /// `text` escaped, with the words a term starts in `<mark>`; cut to about `SHOWN`
    /// characters around the first of them.
    pub fn highlight(&self, text: &str) -> String {
        let hit = |w: &str| {
            let w = w.to_lowercase();
            self.0.iter().any(|t| w.starts_with(t.as_str()))
        };
        let first = words_at(text).find(|(_, w)| hit(w)).map_or(0, |(at, _)| at);
        let (start, end) = window(text, first);
        let shown = &text[start..end];
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        let mut from = 0;
        for (at, w) in words_at(shown) {
            if hit(w) {
                out.push_str(&escape::html(&shown[from..at]));
                out.push_str("<mark>");
                out.push_str(&escape::html(w));
                out.push_str("</mark>");
                from = at + w.len();
            }
        }
        out.push_str(&escape::html(&shown[from..]));
        if end < text.len() {
            out.push('…');
        }
        out
    }
}

/// The runs of letters and digits in `s`.
fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The runs of letters and digits in `s`, with where each starts.
fn words_at(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - s.as_ptr() as usize, w))
}

/// The byte range of `text` to show: all of it when short, else about `SHOWN` characters
/// starting a little before `first`, on character boundaries.
fn window(text: &str, first: usize) -> (usize, usize) {
    if text.chars().count() <= SHOWN {
        return (0, text.len());
    }
    let before = text[..first]
        .chars()
        .rev()
        .take(40)
        .map(char::len_utf8)
        .sum::<usize>();
    let start = first - before;
    let end = text[start..]
        .char_indices()
        .nth(SHOWN)
        .map_or(text.len(), |(i, _)| start + i);
    (start, end)
}

/// A message that matched, as the results list shows it (and every backend reads it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Hit {
    pub room: String,
    pub seq: i64,
    pub author: String,
    pub text: String,
    /// When it was sent (ms).
    pub ts: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_its_words_and_nothing_else() {
        assert_eq!(Terms::parse("  "), None);
        assert_eq!(Terms::parse("\"*:() ^ -"), None);
        // FTS5 operators are words like any other, quoted.
        assert_eq!(Terms::parse("OR NEAR").unwrap().fts5(), r#""or"* "near"*"#);
        let t = Terms::parse("Deploy  the DEPLOY; café\" OR x*").unwrap();
        assert_eq!(t.shown(), "deploy the café or x");
        assert_eq!(t.fts5(), r#""deploy"* "the"* "café"* "or"* "x"*"#);
        let many = Terms::parse("a b c d e f g h i j k").unwrap();
        assert_eq!(many.0.len(), MAX_TERMS);
    }

    #[test]
    fn matches_are_marked_and_the_rest_escaped() {
        let t = Terms::parse("dep").unwrap();
        assert_eq!(
            t.highlight("Deploy <b>now</b>: deployed & redeploy"),
            "<mark>Deploy</mark> &lt;b&gt;now&lt;/b&gt;: <mark>deployed</mark> &amp; redeploy"
        );
    }

    #[test]
    fn a_long_text_is_cut_around_its_first_match() {
        let text = format!("{} needle {}", "hay ".repeat(200), "straw ".repeat(200));
        let shown = Terms::parse("needle").unwrap().highlight(&text);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.contains("<mark>needle</mark>"));
        assert!(shown.chars().count() < SHOWN + 40);
        // Multi-byte text is cut on character boundaries.
        let text = format!("{} ключ {}", "дом ".repeat(200), "лес ".repeat(200));
        assert!(Terms::parse("ключ")
            .unwrap()
            .highlight(&text)
            .contains("<mark>ключ</mark>"));
    }
}
