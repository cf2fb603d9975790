//! Accounts: a name someone owns, proven by a password.
//!
//! Passwords are hashed with argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane), on
//! a blocking thread. A password has at least 10 characters, at most 256, is not the name,
//! and is not on a list of common passwords (`common_passwords.txt`: the entries of 10
//! characters or more among the 30,000 most common in zxcvbn's list, MIT). Names are owned
//! case-insensitively and confusables included: an account is found by its name's *key*,
//! the Unicode TR39 skeleton of the NFKC, lower-cased name, so `Alice`, `ALICE` and `Аlice`
//! (with a Cyrillic А) are one name.

use std::sync::OnceLock;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use unicode_normalization::UnicodeNormalization;

use crate::{
    server::{Error, Result},
    validation::DisplayName,
};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub mod admin;
pub mod bots;
pub mod http;
pub mod invites;
pub mod sessions;

const COMMON: &str = include_str!("common_passwords.txt");

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

/// The key an account's name is owned under: the same for names a reader could mistake
/// for each other.
pub fn name_key(name: &DisplayName) -> String {
    let folded: String = name.as_str().nfkc().collect::<String>().to_lowercase();
    unicode_security::skeleton(&folded).collect::<String>()
}

/// Refuses a password that is too short, too long, the name itself, or common, with the
/// sentence to show (a 400).
pub fn check_password(password: &str, name: &DisplayName) -> Result<()> {
    let chars = password.chars().count();
    let refuse = |why: &str| Err(Error::BadRequest(why.to_owned()));
    if chars < MIN_PASSWORD_CHARS {
        return refuse("A password needs at least 10 characters.");
    }
    if chars > MAX_PASSWORD_CHARS {
        return refuse("A password may have at most 256 characters.");
    }
    let lower = password.to_lowercase();
    if lower == name.as_str().to_lowercase() {
        return refuse("A password must not be your name.");
    }
    if common().contains(lower.as_str()) {
        return refuse("This password is on the list of the most common ones; pick another.");
    }
    Ok(())
}

fn common() -> &'static std::collections::HashSet<&'static str> {
    static SET: OnceLock<std::collections::HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP's argon2id parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` (argon2id, a new salt), computed on a blocking thread.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Config(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Config(format!("password hashing failed: {e}")))?
}

/// Whether `password` matches `hash`. With no hash (no such account) it checks a fixed one
/// instead, so an unknown name takes as long as a wrong password.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| {
        DUMMY
            .get_or_init(|| {
                let salt = SaltString::generate(&mut OsRng);
                argon2()
                    .hash_password(b"no such account here", &salt)
                    .expect("hashing a constant")
                    .to_string()
            })
            .clone()
    });
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
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
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let ann = name("annabelle");
        let why = |p: &str| check_password(p, &ann).unwrap_err().to_string();
        assert!(why("short").contains("at least 10"));
        assert!(why(&"x".repeat(257)).contains("at most 256"));
        assert!(why("Annabelle").contains("at least 10"));
        assert!(check_password("annabelle", &name("annabelle")).is_err());
        let ten = name("ten-letters");
        assert!(check_password("Ten-Letters", &ten)
            .unwrap_err()
            .to_string()
            .contains("your name"));
        assert!(why("qwertyuiop").contains("most common"));
        assert!(
            why("Password123").contains("most common"),
            "case does not help"
        );
        assert!(check_password("correct horse battery", &ann).is_ok());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery".into(), Some(hash.clone())).await);
        assert!(!verify_password("correct horse battery!".into(), Some(hash)).await);
        assert!(!verify_password("anything at all".into(), None).await);
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
