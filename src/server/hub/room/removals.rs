//! People removed from the room lately. A join reads the membership, then subscribes; a
//! removal that reaches the room between the two would leave the socket in a room its
//! person is no longer in (a private room's messages too). So a socket of someone removed
//! lately is checked against the store once it has subscribed.

use std::{collections::HashMap, time::Duration};

use tokio::time::Instant;
use uuid::Uuid;

/// How long a removal is remembered: far longer than a join takes from its read to its
/// subscription.
const RECENT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Removals {
    at: HashMap<Uuid, Instant>,
}

impl Removals {
    /// `user` was removed at `now`.
    pub fn record(&mut self, user: Uuid, now: Instant) {
        self.at.retain(|_, t| now.duration_since(*t) < RECENT);
        self.at.insert(user, now);
    }

    /// `user` was removed within `RECENT` of `now`.
    pub fn recent(&self, user: Uuid, now: Instant) -> bool {
        self.at
            .get(&user)
            .is_some_and(|t| now.duration_since(*t) < RECENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removal_is_remembered_for_a_minute_and_others_are_not_touched() {
        let (ann, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let t0 = Instant::now();
        let mut removals = Removals::default();
        assert!(!removals.recent(ann, t0));
        removals.record(ann, t0);
        assert!(removals.recent(ann, t0 + Duration::from_secs(59)));
        assert!(!removals.recent(bob, t0));
        assert!(!removals.recent(ann, t0 + RECENT));
        // Old entries go when a new one comes.
        removals.record(bob, t0 + RECENT);
        assert_eq!(removals.at.len(), 1);
        assert!(removals.recent(bob, t0 + RECENT));
    }
}
