//! Every open socket, by user and session: how many one user holds (capped), how many the
//! server holds (capped), and which to close when a session signs out.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

use crate::server::wire::{CloseReason, Outbox};

/// Why a new socket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user already holds the most sockets one user may.
    PerUser(usize),
    /// The server holds the most sockets it may.
    Total(usize),
}

struct Entry {
    id: u64,
    session: Vec<u8>,
    outbox: Outbox,
}

#[derive(Default)]
struct Inner {
    by_user: HashMap<Uuid, Vec<Entry>>,
    total: usize,
    next_id: u64,
}

/// The registry; cheap to clone.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Mutex<Inner>>,
    /// `(per user, in total)`; `None` when limits are off.
    caps: Option<(usize, usize)>,
}

/// A registered socket; dropping it unregisters.
pub struct Registration {
    registry: Connections,
    user: Uuid,
    id: u64,
}

impl Connections {
    pub fn new(caps: Option<(usize, usize)>) -> Self {
        Self {
            inner: Default::default(),
            caps,
        }
    }

    /// Counts a new socket of `user` (signed in with the session `session`), unless a cap
    /// is reached.
    pub fn register(
        &self,
        user: Uuid,
        session: Vec<u8>,
        outbox: Outbox,
    ) -> Result<Registration, Refused> {
        let mut inner = self.inner.lock().expect("connections lock");
        if let Some((per_user, total)) = self.caps {
            if inner.total >= total {
                return Err(Refused::Total(total));
            }
            if inner.by_user.get(&user).map_or(0, Vec::len) >= per_user {
                return Err(Refused::PerUser(per_user));
            }
        }
        inner.next_id += 1;
        let id = inner.next_id;
        inner.total += 1;
        inner.by_user.entry(user).or_default().push(Entry {
            id,
            session,
            outbox,
        });
        Ok(Registration {
            registry: self.clone(),
            user,
            id,
        })
    }

    /// Closes every socket opened with `session`; returns how many.
    pub fn close_session(&self, session: &[u8], reason: CloseReason) -> usize {
        let inner = self.inner.lock().expect("connections lock");
        let mut n = 0;
        for entry in inner.by_user.values().flatten() {
            if entry.session == session {
                entry.outbox.close(reason);
                n += 1;
            }
        }
        n
    }

    /// Closes every socket of `user` except those opened with the session `keep`; returns
    /// how many.
    pub fn close_user(&self, user: Uuid, keep: Option<&[u8]>, reason: CloseReason) -> usize {
        let inner = self.inner.lock().expect("connections lock");
        let mut n = 0;
        for entry in inner.by_user.get(&user).into_iter().flatten() {
            if Some(entry.session.as_slice()) != keep {
                entry.outbox.close(reason);
                n += 1;
            }
        }
        n
    }

    /// Sockets open now.
    pub fn total(&self) -> usize {
        self.inner.lock().expect("connections lock").total
    }

    fn unregister(&self, user: Uuid, id: u64) {
        let mut inner = self.inner.lock().expect("connections lock");
        let Some(entries) = inner.by_user.get_mut(&user) else {
            return;
        };
        let before = entries.len();
        entries.retain(|e| e.id != id);
        let removed = before - entries.len();
        if entries.is_empty() {
            inner.by_user.remove(&user);
        }
        inner.total -= removed;
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.unregister(self.user, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_user_and_in_total_and_release_on_drop() {
        let c = Connections::new(Some((2, 3)));
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let out = || Outbox::new().0;
        let a1 = c.register(a, vec![1], out()).unwrap();
        let _a2 = c.register(a, vec![1], out()).unwrap();
        assert_eq!(
            c.register(a, vec![1], out()).err(),
            Some(Refused::PerUser(2))
        );
        let _b1 = c.register(b, vec![2], out()).unwrap();
        assert_eq!(c.register(b, vec![2], out()).err(), Some(Refused::Total(3)));
        drop(a1);
        assert_eq!(c.total(), 2);
        assert!(c.register(a, vec![1], out()).is_ok());
    }

    #[test]
    fn signing_out_closes_that_sessions_sockets_only() {
        let c = Connections::new(None);
        let user = Uuid::from_u128(1);
        let (mine, _q1) = Outbox::new();
        let (other_tab, _q2) = Outbox::new();
        let _r1 = c.register(user, vec![1], mine.clone()).unwrap();
        let _r2 = c.register(user, vec![2], other_tab.clone()).unwrap();
        assert_eq!(c.close_session(&[1], CloseReason::SignedOut), 1);
        assert_eq!(mine.close_reason(), Some(CloseReason::SignedOut));
        assert_eq!(other_tab.close_reason(), None);
    }
}
