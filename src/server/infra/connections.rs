//! Every open socket, by user and session: how many one user holds (capped), how many one
//! address holds (capped), how many the server holds (capped), and which to close when a
//! session signs out.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

use uuid::Uuid;

use crate::server::wire::{CloseReason, Outbox};

/// Why a new socket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The user already holds the most sockets one user may.
    PerUser(usize),
    /// The address already holds the most sockets one address may.
    PerAddress(usize),
    /// The server holds the most sockets it may.
    Total(usize),
}

/// One of a person's open sockets: its id, the session it was opened with, its outbox.
struct OpenSocket {
    id: u64,
    session: Vec<u8>,
    outbox: Outbox,
}

#[derive(Default)]
struct Inner {
    by_user: HashMap<Uuid, Vec<OpenSocket>>,
    by_ip: HashMap<IpAddr, usize>,
    total: usize,
    next_id: u64,
}

/// How many sockets one person, one address and the server may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketCaps {
    pub per_user: usize,
    pub per_ip: usize,
    pub total: usize,
}

/// The registry; cheap to clone.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Mutex<Inner>>,
    /// `None` when limits are off.
    caps: Option<SocketCaps>,
}

/// A registered socket; dropping it unregisters.
pub struct Registration {
    registry: Connections,
    user: Uuid,
    ip: IpAddr,
    id: u64,
}

impl Connections {
    pub fn new(caps: Option<SocketCaps>) -> Self {
        Self {
            inner: Default::default(),
            caps,
        }
    }

    /// Counts a new socket of `user` (signed in with the session `session`) from `ip`,
    /// unless a cap is reached.
    pub fn register(
        &self,
        user: Uuid,
        ip: IpAddr,
        session: Vec<u8>,
        outbox: Outbox,
    ) -> Result<Registration, Refused> {
        let mut inner = self.inner.lock().expect("connections lock");
        if let Some(caps) = self.caps {
            if inner.total >= caps.total {
                return Err(Refused::Total(caps.total));
            }
            if inner.by_user.get(&user).map_or(0, Vec::len) >= caps.per_user {
                return Err(Refused::PerUser(caps.per_user));
            }
            if inner.by_ip.get(&ip).copied().unwrap_or(0) >= caps.per_ip {
                return Err(Refused::PerAddress(caps.per_ip));
            }
        }
        inner.next_id += 1;
        let id = inner.next_id;
        inner.total += 1;
        *inner.by_ip.entry(ip).or_insert(0) += 1;
        // Most people have a tab or two: no spare slots.
        let sockets = inner.by_user.entry(user).or_default();
        sockets.reserve_exact(1);
        sockets.push(OpenSocket {
            id,
            session,
            outbox,
        });
        Ok(Registration {
            registry: self.clone(),
            user,
            ip,
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

    fn unregister(&self, user: Uuid, ip: IpAddr, id: u64) {
        let mut inner = self.inner.lock().expect("connections lock");
        if let Some(n) = inner.by_ip.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                inner.by_ip.remove(&ip);
            }
        }
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
        self.registry.unregister(self.user, self.ip, self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn caps_per_user_per_address_and_in_total_and_release_on_drop() {
        let c = Connections::new(Some(SocketCaps {
            per_user: 2,
            per_ip: 3,
            total: 4,
        }));
        let (a, b, d) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let away: IpAddr = "10.0.0.2".parse().unwrap();
        let out = || Outbox::new().0;
        let a1 = c.register(a, HOME, vec![1], out()).unwrap();
        let _a2 = c.register(a, HOME, vec![1], out()).unwrap();
        assert_eq!(
            c.register(a, HOME, vec![1], out()).err(),
            Some(Refused::PerUser(2))
        );
        let _b1 = c.register(b, HOME, vec![2], out()).unwrap();
        assert_eq!(
            c.register(d, HOME, vec![3], out()).err(),
            Some(Refused::PerAddress(3)),
            "a third person behind the same address"
        );
        let _d1 = c.register(d, away, vec![3], out()).unwrap();
        assert_eq!(
            c.register(d, away, vec![3], out()).err(),
            Some(Refused::Total(4))
        );
        drop(a1);
        assert_eq!(c.total(), 3);
        assert!(c.register(a, HOME, vec![1], out()).is_ok());
    }

    #[test]
    fn signing_out_closes_that_sessions_sockets_only() {
        let c = Connections::new(None);
        let user = Uuid::from_u128(1);
        let (mine, _q1) = Outbox::new();
        let (other_tab, _q2) = Outbox::new();
        let _r1 = c.register(user, HOME, vec![1], mine.clone()).unwrap();
        let _r2 = c.register(user, HOME, vec![2], other_tab.clone()).unwrap();
        assert_eq!(c.close_session(&[1], CloseReason::SignedOut), 1);
        assert_eq!(mine.close_reason(), Some(CloseReason::SignedOut));
        assert_eq!(other_tab.close_reason(), None);
    }
}
