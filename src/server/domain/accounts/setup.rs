//! The first admin, whatever the registration policy: a server with no admin prints a
//! one-time setup link at start (`/invite/<token>`, the sign-up form of an invite link).
//! The account made with it is the admin, even on an invite-only or closed server; the
//! link then stops working. It lives in this process only (a restart prints a new one;
//! each node of a cluster prints its own), and only the token's hash is kept.

use std::sync::Mutex;

use crate::server::infra::session;

/// The link's token hash while it works, and once taken (until the account is made).
type Held = (Option<Vec<u8>>, Option<Vec<u8>>);

#[derive(Default)]
pub struct Setup {
    held: Mutex<Held>,
}

impl Setup {
    /// Makes the link's token (replacing any earlier one) and answers it.
    pub fn begin(&self) -> String {
        let token = session::new_token();
        *self.held.lock().expect("setup lock") = (Some(session::hash_token(&token)), None);
        token
    }

    /// Whether a link is out and unused.
    pub fn waiting(&self) -> bool {
        self.held.lock().expect("setup lock").0.is_some()
    }

    /// Whether `token` is the setup link's, unused.
    pub fn matches(&self, token: &str) -> bool {
        let hash = session::hash_token(token);
        self.held.lock().expect("setup lock").0.as_deref() == Some(&hash[..])
    }

    /// Uses the link up (true) if `token` is it.
    pub fn take(&self, token: &str) -> bool {
        let hash = session::hash_token(token);
        let mut held = self.held.lock().expect("setup lock");
        if held.0.as_deref() == Some(&hash[..]) {
            *held = (None, Some(hash));
            true
        } else {
            false
        }
    }

    /// Makes `token` work again if it is the link taken for an account that could not be
    /// made after all (true).
    pub fn give_back(&self, token: &str) -> bool {
        let hash = session::hash_token(token);
        let mut held = self.held.lock().expect("setup lock");
        if held.1.as_deref() == Some(&hash[..]) {
            *held = (Some(hash), None);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_works_once_unless_given_back() {
        let setup = Setup::default();
        assert!(!setup.matches("anything"));
        let token = setup.begin();
        assert!(setup.matches(&token) && !setup.matches("other"));
        assert!(setup.take(&token));
        assert!(!setup.matches(&token) && !setup.take(&token));
        assert!(
            !setup.give_back("another token"),
            "only the link taken comes back"
        );
        assert!(!setup.matches("another token"));
        assert!(setup.give_back(&token));
        assert!(setup.take(&token));
    }
}
