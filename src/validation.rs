//! Newtypes that can only hold valid values (parse, don't validate).
//!
//! Shared by the server, which is the authority, and the browser, which uses the same
//! rules to explain a problem before anything is sent.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::protocol::ErrorCode;

/// Longest message, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4_000;
/// Longest display name, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// Longest room name, in characters.
pub const MAX_ROOM_CHARS: usize = 64;

/// Why a value was refused. `Display` is the sentence shown to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationError {
    BadRoom,
    EmptyName,
    NameTooLong {
        chars: usize,
    },
    NameHasControl,
    /// Zero-width, bidi-control, filler or other invisible characters.
    NameHasInvisible,
    /// No letter or digit at all (only punctuation, symbols or spaces).
    NameHasNoLetter,
    /// Private-use, unassigned or line/paragraph-separator characters (the server knows
    /// the tables; the browser lets them through to it).
    NameHasOddCharacter,
    /// More than two combining marks on one character (they pile up over the line).
    NameHasStackedMarks,
    EmptyText,
    TextTooLong {
        chars: usize,
    },
    /// A control character other than a new line or a tab (a NUL, an escape…).
    TextHasControl {
        code: u32,
    },
}

impl ValidationError {
    /// The protocol code for this error, where it can happen on the socket.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::BadRoom => ErrorCode::BadRoom,
            Self::EmptyText => ErrorCode::EmptyText,
            Self::TextTooLong { .. } => ErrorCode::TextTooLong,
            Self::TextHasControl { .. } => ErrorCode::BadText,
            // Names are only sent over HTTP; on a socket they would be a bad frame.
            Self::EmptyName
            | Self::NameTooLong { .. }
            | Self::NameHasControl
            | Self::NameHasInvisible
            | Self::NameHasNoLetter
            | Self::NameHasOddCharacter
            | Self::NameHasStackedMarks => ErrorCode::BadFrame,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRoom => write!(
                f,
                "Room names are 1 to {MAX_ROOM_CHARS} characters of a-z, 0-9, '-' and '_'."
            ),
            Self::EmptyName => write!(f, "Please enter a display name."),
            Self::NameTooLong { chars } => write!(
                f,
                "Display names are at most {MAX_NAME_CHARS} characters (this one has {chars})."
            ),
            Self::NameHasControl => {
                write!(f, "Display names cannot contain control characters.")
            }
            Self::NameHasInvisible => write!(
                f,
                "Display names cannot contain invisible or text-direction characters."
            ),
            Self::NameHasNoLetter => {
                write!(f, "Display names need at least one letter or digit.")
            }
            Self::NameHasOddCharacter => write!(
                f,
                "Display names cannot contain private-use, unassigned or line-separator characters."
            ),
            Self::NameHasStackedMarks => write!(
                f,
                "Display names cannot stack more than two accents on one letter."
            ),
            Self::EmptyText => write!(f, "Messages cannot be empty."),
            Self::TextHasControl { code } => write!(
                f,
                "Messages cannot contain the control character U+{code:04X}."
            ),
            Self::TextTooLong { chars } => write!(
                f,
                "Message is too long: {chars} characters, the limit is {MAX_MESSAGE_CHARS}."
            ),
        }
    }
}

impl std::error::Error for ValidationError {}

/// A room name: 1–64 characters of `[a-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomName(String);

impl RoomName {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let ok = (1..=MAX_ROOM_CHARS).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValidationError::BadRoom)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Names starting `dm-` are kept for direct conversations (made only by opening
    /// `/dm/<name>`).
    pub fn is_direct(&self) -> bool {
        self.0.starts_with(DIRECT_PREFIX)
    }
}

/// What the name of every direct conversation starts with.
pub const DIRECT_PREFIX: &str = "dm-";

/// The room everyone starts in. It belongs to the server's admin, never to whoever
/// happened to open it first.
pub const HOME_ROOM: &str = "general";

/// A display name: 1–32 characters after NFKC normalisation (on the server) and trimming,
/// with no control or invisible characters and at least one letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        // The browser checks the same rules without the normalisation tables (they would
        // double the WASM); the server, the authority, normalises first.
        #[cfg(feature = "ssr")]
        let normalised: String = unicode_normalization::UnicodeNormalization::nfkc(s).collect();
        #[cfg(feature = "ssr")]
        let s = normalised.as_str();
        let s = s.trim();
        let chars = s.chars().count();
        if chars == 0 {
            Err(ValidationError::EmptyName)
        } else if chars > MAX_NAME_CHARS {
            Err(ValidationError::NameTooLong { chars })
        } else if s.chars().any(char::is_control) {
            Err(ValidationError::NameHasControl)
        } else if s.chars().any(is_invisible) {
            Err(ValidationError::NameHasInvisible)
        } else if !has_letter_or_digit(s) {
            Err(ValidationError::NameHasNoLetter)
        } else if let Err(e) = unusual_characters(s) {
            Err(e)
        } else {
            Ok(Self(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key the name is owned under: the same for names a reader could mistake for
    /// each other. The NFKC, lower-cased name's TR39 skeleton, lower-cased again (the
    /// skeleton of `0` is `O`, so `b0b` is `bob`), without combining marks (`victi\u{307}m`,
    /// an `i` with a second dot, is `victim`; `José` is `jose`). The store recomputes the
    /// keys it holds at start (`store::name_keys`), so changing this rule is safe.
    #[cfg(feature = "ssr")]
    pub fn key(&self) -> String {
        use unicode_normalization::UnicodeNormalization;
        use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
        let folded: String = self.0.nfkc().collect::<String>().to_lowercase();
        let skeleton: String = unicode_security::skeleton(&folded).collect();
        skeleton
            .to_lowercase()
            .nfd()
            .filter(|c| {
                !matches!(
                    c.general_category(),
                    G::NonspacingMark | G::EnclosingMark | G::SpacingMark
                )
            })
            .collect()
    }
}

/// A character a reader cannot check on screen: an invisible one ([`is_invisible`]), a
/// format character (Cf), a private-use or unassigned code point, or a line or paragraph
/// separator. Names and topics refuse them (the server knows the tables).
#[cfg(feature = "ssr")]
pub fn is_unseen(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    is_invisible(c)
        || matches!(
            c.general_category(),
            G::Format
                | G::PrivateUse
                | G::Unassigned
                | G::LineSeparator
                | G::ParagraphSeparator
                | G::Surrogate
        )
}

/// Refuses what the eye cannot check in a name: format characters (Cf, such as U+FFF9, an
/// interlinear annotation that draws nothing), private-use and unassigned code points,
/// line and paragraph separators, and runs of more than two combining marks. The server
/// decides with Unicode's tables; the browser, without them, leaves it to the server.
fn unusual_characters(s: &str) -> Result<(), ValidationError> {
    #[cfg(feature = "ssr")]
    {
        use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
        let mut marks = 0;
        for c in s.chars() {
            match c.general_category() {
                G::Format => return Err(ValidationError::NameHasInvisible),
                G::PrivateUse
                | G::Unassigned
                | G::LineSeparator
                | G::ParagraphSeparator
                | G::Surrogate => return Err(ValidationError::NameHasOddCharacter),
                G::NonspacingMark | G::EnclosingMark | G::SpacingMark => {
                    marks += 1;
                    if marks > 2 {
                        return Err(ValidationError::NameHasStackedMarks);
                    }
                }
                _ => marks = 0,
            }
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = s;
    Ok(())
}

/// Whether `s` has a letter or digit. The browser only knows ASCII ones and lets the rest
/// through (Unicode's letter tables would add kilobytes to the WASM); the server decides.
fn has_letter_or_digit(s: &str) -> bool {
    #[cfg(feature = "ssr")]
    return s.chars().any(char::is_alphanumeric);
    #[cfg(not(feature = "ssr"))]
    return s
        .chars()
        .any(|c| c.is_ascii_alphanumeric() || !c.is_ascii());
}

/// Characters that draw nothing or change the direction of the text around them: the
/// Unicode default-ignorables (zero-width spaces and joiners, bidi controls, variation
/// selectors, tags), fillers (Hangul, Braille blank) and the like.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Message text: not blank (whitespace and invisible characters alone count as blank), at
/// most 4,000 characters, no control characters but new lines and tabs (a carriage
/// return, as forms send line ends, becomes a new line); surrounding whitespace is trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        let s = s.trim();
        let chars = s.chars().count();
        if !s.chars().any(|c| !c.is_whitespace() && !is_invisible(c)) {
            Err(ValidationError::EmptyText)
        } else if chars > MAX_MESSAGE_CHARS {
            Err(ValidationError::TextTooLong { chars })
        } else if let Some(c) = s
            .chars()
            .find(|&c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            Err(ValidationError::TextHasControl { code: u32::from(c) })
        } else if s.contains('\r') {
            Ok(Self(s.replace("\r\n", "\n").replace('\r', "\n")))
        } else {
            Ok(Self(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

macro_rules! string_newtype_impls {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = ValidationError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    )*};
}
string_newtype_impls!(RoomName, DisplayName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names() {
        for ok in ["general", "a", "dev-ops_2", &"x".repeat(64)] {
            assert_eq!(RoomName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "General",
            "with space",
            "émoji",
            "a/b",
            "../etc",
            &"x".repeat(65),
        ] {
            assert_eq!(
                RoomName::parse(bad),
                Err(ValidationError::BadRoom),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn display_names() {
        assert_eq!(
            DisplayName::parse("  Alice Ö ").unwrap().as_str(),
            "Alice Ö"
        );
        assert_eq!(
            DisplayName::parse(&"é".repeat(32))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            32
        );
        assert_eq!(DisplayName::parse("   "), Err(ValidationError::EmptyName));
        assert_eq!(
            DisplayName::parse(&"n".repeat(33)),
            Err(ValidationError::NameTooLong { chars: 33 })
        );
        assert_eq!(
            DisplayName::parse("bad\u{7}bell"),
            Err(ValidationError::NameHasControl)
        );
        assert_eq!(
            DisplayName::parse("two\nlines"),
            Err(ValidationError::NameHasControl)
        );
    }

    #[test]
    fn names_with_invisible_or_direction_characters_are_refused() {
        for bad in [
            "al\u{200B}ice",
            "ali\u{200D}ce",
            "\u{202E}ecila",
            "bob\u{2066}",
            "\u{FEFF}carol",
        ] {
            assert_eq!(
                DisplayName::parse(bad),
                Err(ValidationError::NameHasInvisible),
                "{bad:?}"
            );
        }
        // Fillers that look like nothing at all.
        for blank in ["\u{3164}", "\u{2800}\u{2800}", "\u{115F}"] {
            assert!(DisplayName::parse(blank).is_err(), "{blank:?}");
        }
        for no_letter in ["!!!", "- -"] {
            assert_eq!(
                DisplayName::parse(no_letter),
                Err(ValidationError::NameHasNoLetter),
                "{no_letter:?}"
            );
        }
        #[cfg(feature = "ssr")]
        assert_eq!(
            DisplayName::parse("😀"),
            Err(ValidationError::NameHasNoLetter)
        );
        assert!(DisplayName::parse("Zoë 2").is_ok());
        assert!(DisplayName::parse("李小龍").is_ok());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn names_are_nfkc_normalised_on_the_server() {
        // Full-width letters, a ligature and a compatibility space become their plain forms.
        assert_eq!(DisplayName::parse("ａｌｉｃｅ").unwrap().as_str(), "alice");
        assert_eq!(DisplayName::parse("ﬁona").unwrap().as_str(), "fiona");
        assert_eq!(DisplayName::parse("a\u{2003}b").unwrap().as_str(), "a b");
        // A decomposed é is composed.
        assert_eq!(DisplayName::parse("Re\u{301}my").unwrap().as_str(), "Rémy");
    }

    #[test]
    fn message_texts() {
        assert_eq!(
            MessageText::parse("  hi\nthere \n").unwrap().as_str(),
            "hi\nthere"
        );
        assert_eq!(
            MessageText::parse(" \n\t "),
            Err(ValidationError::EmptyText)
        );
        assert_eq!(MessageText::parse(""), Err(ValidationError::EmptyText));
        // Only invisible characters: as empty as whitespace.
        for blank in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            " \u{2800} \u{FEFF}",
            "\u{202E}",
        ] {
            assert_eq!(
                MessageText::parse(blank),
                Err(ValidationError::EmptyText),
                "{blank:?}"
            );
        }
        // Emoji sequences keep their joiners.
        assert_eq!(
            MessageText::parse("👨\u{200D}👩\u{200D}👧")
                .unwrap()
                .as_str(),
            "👨\u{200D}👩\u{200D}👧"
        );
        // The limit counts characters, not bytes.
        assert!(MessageText::parse(&"😀".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert_eq!(
            MessageText::parse(&"a".repeat(MAX_MESSAGE_CHARS + 1)),
            Err(ValidationError::TextTooLong {
                chars: MAX_MESSAGE_CHARS + 1
            })
        );
        assert_eq!(
            MessageText::parse("<script>x</script>").unwrap().as_str(),
            "<script>x</script>"
        );
    }

    #[test]
    fn texts_refuse_control_characters_but_new_lines_and_tabs() {
        assert_eq!(
            MessageText::parse("a\u{0}b"),
            Err(ValidationError::TextHasControl { code: 0 })
        );
        for bad in [
            "\u{1b}[31mred",
            "bell\u{7}",
            "del\u{7f}",
            "c1\u{85}x",
            "c1\u{9b}x",
        ] {
            assert!(
                matches!(
                    MessageText::parse(bad),
                    Err(ValidationError::TextHasControl { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            MessageText::parse("line\r\nnext\rlast\tcell")
                .unwrap()
                .as_str(),
            "line\nnext\nlast\tcell"
        );
        assert_eq!(
            ValidationError::TextHasControl { code: 0 }.to_string(),
            "Messages cannot contain the control character U+0000."
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn names_refuse_what_the_eye_cannot_check() {
        for (bad, why) in [
            ("vic\u{FFF9}tim", ValidationError::NameHasInvisible),
            ("vic\u{FFFB}tim", ValidationError::NameHasInvisible),
            ("soft\u{600}hyphen", ValidationError::NameHasInvisible),
            ("priv\u{E000}ate", ValidationError::NameHasOddCharacter),
            ("plane\u{F0000}", ValidationError::NameHasOddCharacter),
            ("un\u{0378}assigned", ValidationError::NameHasOddCharacter),
            ("line\u{2028}sep", ValidationError::NameHasOddCharacter),
            ("para\u{2029}sep", ValidationError::NameHasOddCharacter),
            (
                "za\u{0300}\u{0301}\u{0302}\u{0303}lgo",
                ValidationError::NameHasStackedMarks,
            ),
        ] {
            assert_eq!(DisplayName::parse(bad), Err(why), "{bad:?}");
        }
        // Scripts that write with marks still pass.
        for ok in ["नमस्ते", "ภาษาไทย", "กี่", "Nguyễn", "Zoë", "Ḯ"]
        {
            assert!(DisplayName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn errors_map_to_protocol_codes_and_read_well() {
        assert_eq!(ValidationError::EmptyText.code(), ErrorCode::EmptyText);
        assert_eq!(
            ValidationError::TextTooLong { chars: 5000 }.code(),
            ErrorCode::TextTooLong
        );
        assert_eq!(ValidationError::BadRoom.code(), ErrorCode::BadRoom);
        assert!(ValidationError::TextTooLong { chars: 4001 }
            .to_string()
            .contains("4001"));
    }

    #[test]
    fn serde_refuses_invalid_values() {
        assert!(serde_json::from_str::<RoomName>(r#""ok""#).is_ok());
        assert!(serde_json::from_str::<RoomName>(r#""Not OK""#).is_err());
        assert!(serde_json::from_str::<DisplayName>(r#""""#).is_err());
    }
}
