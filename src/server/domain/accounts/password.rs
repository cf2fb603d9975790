//! Passwords: what a good one is, and the bounded work of hashing and checking them.
//!
//! Hashing is argon2id at OWASP's parameters (19 MiB, 2 passes, 1 lane). Each hash takes
//! 19 MiB while it runs, so the work goes through a small fixed pool ([`PasswordWork`]):
//! `password_workers` at once (`CLOUD_MSG_LIMITS`, by default the number of cores, at most
//! 4); a request that waits longer than [`QUEUE_DEADLINE`] for a worker is answered 503 with
//! `Retry-After`. A flood of sign-ins therefore costs the server a few workers' memory and
//! time, never the rest of the chat's.
//!
//! A password has at least 10 characters, at most 256, is not the name, is not on a list
//! of common passwords (`common_passwords.txt`: the entries of 10 characters or more among
//! the 30,000 most common in zxcvbn's list, MIT), and is strong by zxcvbn's measure: a
//! score of at least [`MIN_SCORE`] (of 4), with the person's name and the server's name
//! counting against it. A refusal says why, in zxcvbn's words.

use std::{sync::OnceLock, time::Duration};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::Semaphore;

use crate::{
    server::{Error, Result},
    validation::DisplayName,
};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The least zxcvbn score a password needs: 3 is "safely unguessable: moderate protection
/// from offline slow-hash scenarios" (at least 10^8 guesses).
pub const MIN_SCORE: u8 = 3;
/// Characters of a password that zxcvbn looks at (its work grows with the length; a longer
/// one is judged by its start, which must be strong on its own).
const SCORED_CHARS: usize = 100;

/// How long a password check may wait for a worker before it is answered 503.
pub const QUEUE_DEADLINE: Duration = Duration::from_secs(10);

const COMMON: &str = include_str!("common_passwords.txt");

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
    let scored: String = password.chars().take(SCORED_CHARS).collect();
    let name_words: Vec<&str> = name
        .as_str()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut inputs = vec![name.as_str(), "cloud_msg", "cloudmsg", "cloud", "chat"];
    inputs.extend(name_words);
    let strength = zxcvbn::zxcvbn(&scored, &inputs);
    if u8::from(strength.score()) < MIN_SCORE {
        let feedback = strength.feedback();
        let mut why = String::from("This password is too easy to guess.");
        if let Some(warning) = feedback.and_then(|f| f.warning()) {
            why.push(' ');
            why.push_str(&warning.to_string());
        }
        match feedback.and_then(|f| f.suggestions().first()) {
            Some(suggestion) => {
                why.push(' ');
                why.push_str(&suggestion.to_string());
            }
            None => why.push_str(" Add another word or two."),
        }
        return Err(Error::BadRequest(why));
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

/// The pool that hashes and checks passwords: a fixed number of blocking workers and a
/// queue with a deadline.
pub struct PasswordWork {
    workers: Semaphore,
    deadline: Duration,
}

impl PasswordWork {
    pub fn new(workers: usize, deadline: Duration) -> Self {
        Self {
            workers: Semaphore::new(workers.max(1)),
            deadline,
        }
    }

    /// Runs `work` on a blocking thread once a worker is free; `Busy` when none is free
    /// within the deadline.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let permit = tokio::time::timeout(self.deadline, self.workers.acquire())
            .await
            .map_err(|_| {
                tracing::warn!("password work queue full: a request waited past its deadline");
                Error::Busy {
                    message: "The server is checking too many passwords at once. Try again in a few seconds."
                        .into(),
                    retry_after_secs: 5,
                }
            })?
            .map_err(|_| Error::StoreClosed)?;
        let out = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Config(format!("password work failed: {e}")));
        drop(permit);
        out
    }

    /// The PHC string of `password` (argon2id, a new salt).
    pub async fn hash(&self, password: String) -> Result<String> {
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| Error::Config(format!("password hashing failed: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `hash`. With no hash (no such account) it checks a fixed
    /// one instead, so an unknown name takes as long as a wrong password.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool> {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let known = hash.is_some();
        self.run(move || {
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
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
                && known
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DisplayName {
        DisplayName::parse(s).unwrap()
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
        // Issue 24: ten spaces, one letter ten times, the name and a digit passed.
        for weak in [
            "          ",
            "aaaaaaaaaa",
            "annabelle1",
            "Annabelle2026",
            "cloudmsg2026",
        ] {
            let why = why(weak);
            assert!(
                why.starts_with("This password is too easy to guess."),
                "{weak:?}: {why}"
            );
        }
        assert!(
            why("aaaaaaaaaa").contains("Repeats"),
            "the reason, in words"
        );
        for strong in ["a brand new passphrase", "Tr0ub4dor&3x", "chat-server-xyz!"] {
            assert!(check_password(strong, &ann).is_ok(), "{strong}");
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let work = PasswordWork::new(2, QUEUE_DEADLINE);
        let hash = work.hash("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(work
            .verify("correct horse battery".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!work
            .verify("correct horse battery!".into(), Some(hash))
            .await
            .unwrap());
        assert!(!work.verify("anything at all".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_pool_answers_busy_after_its_deadline_and_runs_the_rest() {
        let work = std::sync::Arc::new(PasswordWork::new(1, Duration::from_millis(50)));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let held = tokio::spawn({
            let work = work.clone();
            async move { work.run(move || rx.recv().unwrap()).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let refused = work.run(|| ()).await.unwrap_err();
        assert!(matches!(refused, Error::Busy { .. }), "{refused:?}");
        assert_eq!(refused.status(), 503);
        tx.send(()).unwrap();
        held.await.unwrap().unwrap();
        work.run(|| ()).await.expect("a free worker again");
    }
}
