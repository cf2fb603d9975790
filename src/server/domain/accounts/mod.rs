//! Accounts: a name someone owns, proven by a password.
//!
//! What makes a good password and how it is checked is in [`password`]. Names are owned
//! case-insensitively and confusables included: an account is found by its name's *key*,
//! the Unicode TR39 skeleton of the NFKC, lower-cased name, so `Alice`, `ALICE` and `Аlice`
//! (with a Cyrillic А) are one name.

use crate::validation::DisplayName;

pub mod password;
pub mod setup;
pub mod sign_in;
pub mod sign_up;

pub use password::{check_password, PasswordWork};
pub use sign_in::{password_sign_in, sign_in_allowed};

/// Who may join: everyone (guests and sign-ups, the default), people with an invite link
/// (sign-ups with one; no guests), or only existing accounts
/// (`CLOUD_MSG_REGISTRATION=open|invite|closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registration {
    #[default]
    Open,
    Invite,
    Closed,
}

impl Registration {
    pub fn parse(v: &str) -> std::result::Result<Self, String> {
        match v.trim() {
            "open" => Ok(Self::Open),
            "invite" => Ok(Self::Invite),
            "closed" => Ok(Self::Closed),
            other => Err(format!(
                "CLOUD_MSG_REGISTRATION={other}: use open (guests and sign-ups), invite \
                 (sign-ups with an invite link) or closed (existing accounts only)"
            )),
        }
    }
}

/// The key an account's name is owned under (see [`DisplayName::key`]).
pub fn name_key(name: &DisplayName) -> String {
    name.key()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DisplayName {
        DisplayName::parse(s).unwrap()
    }

    #[test]
    fn names_that_look_alike_share_a_key() {
        assert_eq!(name_key(&name("Alice")), name_key(&name("alice")));
        assert_eq!(
            name_key(&name("ALICE")),
            name_key(&name("\u{0410}lice")),
            "Cyrillic А"
        );
        assert_eq!(
            name_key(&name("paypal")),
            name_key(&name("paypa\u{04CF}")),
            "Cyrillic ӏ"
        );
        assert_eq!(
            name_key(&name("ﬁona")),
            name_key(&name("fiona")),
            "NFKC ligature"
        );
        assert_ne!(name_key(&name("alice")), name_key(&name("alicia")));
        // Issue 24's look-alikes.
        assert_eq!(name_key(&name("b0b")), name_key(&name("bob")), "digit zero");
        assert_eq!(name_key(&name("BOB")), name_key(&name("b0b")));
        assert_eq!(
            name_key(&name("victi\u{0307}m")),
            name_key(&name("victim")),
            "a second dot on the i"
        );
        assert_eq!(
            name_key(&name("ma1lory")),
            name_key(&name("mallory")),
            "1 and l"
        );
        assert_eq!(name_key(&name("José")), name_key(&name("jose")));
        assert_ne!(name_key(&name("bob")), name_key(&name("rob")));
    }

    #[test]
    fn registration_policy() {
        assert_eq!(Registration::parse("open"), Ok(Registration::Open));
        assert_eq!(Registration::parse("closed"), Ok(Registration::Closed));
        assert!(Registration::parse("sometimes")
            .unwrap_err()
            .contains("use open"));
    }
}
