//! Who is in a room: its members (those who joined it before, from the store) and who of
//! them is online now, here and on the other nodes. Never stored: each node's actor for the
//! room tells the others whom it has online when that changes, and again every
//! `CHECK_EVERY` while it has anyone, so a node that died is forgotten after
//! [`REMOTE_FOR`].

use std::collections::HashMap;

use tokio::time::{Duration, Instant};
use uuid::Uuid;

use crate::protocol::PRESENCE_MAX;

/// Changes are merged: the list goes out once they pause this long (a burst of joins
/// makes one frame), and a socket that just joined has its first list this soon.
pub const PRESENCE_QUIET: Duration = Duration::from_millis(100);
/// While changes keep coming (a whole team reconnecting after a restart), the list goes
/// out anyway this long after the first of them; each time that happens the next wait is
/// twice as long, up to `PRESENCE_LATEST_MAX`, until changes pause. So a room of N people
/// arriving at once is sent a few lists of N names, not one per arrival.
pub const PRESENCE_LATEST: Duration = Duration::from_secs(2);
pub const PRESENCE_LATEST_MAX: Duration = Duration::from_secs(8);
/// In a cluster: how often the room asks the store whether it missed a message, and
/// tells the other nodes who is here.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);
/// Another node's list counts this long after it last said it.
pub const REMOTE_FOR: Duration = Duration::from_secs(CHECK_EVERY.as_secs() * 3);

/// One person online: id and name.
pub type Online = Vec<(Uuid, String)>;

pub struct PresenceState {
    /// This actor's id on the bus (the room's actor on another node has its own).
    pub actor: Uuid,
    /// Everyone known to be a member: from the store when the first socket joins, and
    /// whoever joined or came online since (on any node).
    roster: HashMap<Uuid, String>,
    /// The store's members were read.
    loaded: bool,
    /// Other nodes' people online, by the actor that said so, and when it last did.
    remote: HashMap<Uuid, (Instant, Online)>,
    /// What this node last told the others.
    pub published: Online,
    /// The list last sent to the sockets here: how many are online, and the names.
    sent: (usize, Vec<String>),
    /// When the list goes out next (after a change).
    pub due: Option<Instant>,
    /// The first change not sent yet.
    first_change: Option<Instant>,
    /// How long after it the list goes out however busy the room (see
    /// [`PRESENCE_LATEST`]).
    latest: Duration,
    /// When the sockets that joined since the last list have theirs.
    pub newcomers_due: Option<Instant>,
}

impl PresenceState {
    pub fn new() -> Self {
        Self {
            actor: Uuid::new_v4(),
            roster: HashMap::new(),
            loaded: false,
            remote: HashMap::new(),
            published: Vec::new(),
            sent: (0, Vec::new()),
            due: None,
            first_change: None,
            latest: PRESENCE_LATEST,
            newcomers_due: None,
        }
    }

    /// The members the store knows (read when the first socket joins).
    pub fn members(&mut self, members: impl IntoIterator<Item = (Uuid, String)>) {
        self.roster.extend(members);
        self.loaded = true;
    }

    /// Whether the store's members were read (a failed read is tried again at the next
    /// join).
    pub fn has_members(&self) -> bool {
        self.loaded
    }

    /// `user` joined on a socket here (joining makes a member): listed from now on, even
    /// if they leave before the list goes out.
    pub fn joined(&mut self, user: Uuid, name: &str) {
        self.roster.entry(user).or_insert_with(|| name.to_owned());
        self.newcomers_due = self
            .newcomers_due
            .or_else(|| Some(Instant::now() + PRESENCE_QUIET));
        self.changed();
    }

    /// Something changed: the list goes out once changes pause for `PRESENCE_QUIET`, or
    /// `latest` after the first of them.
    pub fn changed(&mut self) {
        self.changed_at(Instant::now());
    }

    fn changed_at(&mut self, now: Instant) {
        let first = *self.first_change.get_or_insert(now);
        self.due = Some((now + PRESENCE_QUIET).min(first + self.latest));
    }

    /// The list is going out to everyone now.
    pub fn sending(&mut self) {
        self.sending_at(Instant::now());
    }

    fn sending_at(&mut self, now: Instant) {
        // Sent because changes went on for `latest`: the next wait is longer.
        let busy = self
            .first_change
            .is_some_and(|first| now >= first + self.latest);
        self.latest = if busy {
            (self.latest * 2).min(PRESENCE_LATEST_MAX)
        } else {
            PRESENCE_LATEST
        };
        self.first_change = None;
        self.due = None;
        self.newcomers_due = None;
    }

    /// `user` is no longer a member (removed or banned).
    pub fn removed(&mut self, user: Uuid) {
        self.roster.remove(&user);
        for (_, online) in self.remote.values_mut() {
            online.retain(|(u, _)| *u != user);
        }
        self.changed();
    }

    /// Another node's actor `actor` has `online`. True when it was not known before (it
    /// just started, and should hear from this node at once).
    pub fn remote(&mut self, actor: Uuid, online: Online) -> bool {
        self.changed();
        if online.is_empty() {
            return self.remote.remove(&actor).is_none();
        }
        self.remote
            .insert(actor, (Instant::now(), online))
            .is_none()
    }

    /// Forgets the nodes that stopped saying who they have.
    pub fn expire(&mut self, now: Instant) {
        let before = self.remote.len();
        self.remote
            .retain(|_, (said, _)| now.duration_since(*said) < REMOTE_FOR);
        if self.remote.len() != before {
            self.changed();
        }
    }

    /// The list with `local` (this node's people online, sorted and without repeats): how
    /// many are online (they come first) and the names; and whether it differs from the
    /// one sent last to everyone, which it now is.
    pub fn list(&mut self, local: &Online) -> (usize, Vec<String>, bool) {
        let (on, names) = self.current(local);
        let changed = (on, &names) != (self.sent.0, &self.sent.1);
        if changed {
            self.sent = (on, names.clone());
        }
        (on, names, changed)
    }

    /// The list with `local`, as [`Self::list`], for the sockets that just joined: the
    /// others still have the one sent last.
    pub fn current(&mut self, local: &Online) -> (usize, Vec<String>) {
        let mut online: HashMap<Uuid, &str> = HashMap::new();
        for (user, name) in local
            .iter()
            .chain(self.remote.values().flat_map(|(_, o)| o.iter()))
        {
            online.insert(*user, name);
        }
        for (user, name) in &online {
            self.roster
                .entry(*user)
                .or_insert_with(|| (*name).to_owned());
        }
        let mut list: Vec<(bool, &str)> = self
            .roster
            .iter()
            .map(|(user, name)| (online.contains_key(user), name.as_str()))
            .collect();
        list.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        list.truncate(PRESENCE_MAX);
        let on = list.iter().filter(|(on, _)| *on).count();
        let names: Vec<String> = list.into_iter().map(|(_, n)| n.to_owned()).collect();
        (on, names)
    }
}

/// The people of `members` (sockets), once each, sorted by id.
pub fn online<'a>(members: impl Iterator<Item = (&'a Uuid, &'a String)>) -> Online {
    let mut online: Online = members.map(|(u, n)| (*u, n.clone())).collect();
    online.sort();
    online.dedup_by(|a, b| a.0 == b.0);
    online
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, online) for each member of a list.
    fn names(list: &(usize, Vec<String>, bool)) -> Vec<(String, bool)> {
        list.1
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i < list.0))
            .collect()
    }

    #[test]
    fn the_list_waits_for_a_pause_or_longer_and_longer_while_changes_keep_coming() {
        let mut p = PresenceState::new();
        let t0 = Instant::now();
        let ms = |n: u64| Duration::from_millis(n);
        // A change in a quiet room goes out after the pause.
        p.changed_at(t0);
        assert_eq!(p.due, Some(t0 + PRESENCE_QUIET));
        // More changes before it push it back ...
        p.changed_at(t0 + ms(50));
        assert_eq!(p.due, Some(t0 + ms(150)));
        p.sending_at(t0 + ms(150));
        assert_eq!(p.due, None);
        // ... but a storm (a change every 10 ms, for 20 s) is sent 2, 4, 8, 8, ... s after
        // its first change, not once per change.
        let mut sent = Vec::new();
        let storm = t0 + ms(1000);
        for i in 0..2000 {
            let now = storm + ms(10 * i);
            if p.due.is_some_and(|due| due <= now) {
                let due = p.due.unwrap();
                sent.push((due - storm).as_millis());
                p.sending_at(due);
            }
            p.changed_at(now);
        }
        assert_eq!(sent, [2000, 6000, 14000]);
        // Once it pauses, the list goes out after the pause, and the next change in a
        // quiet room is as quick as ever.
        let end = storm + ms(10 * 1999);
        assert_eq!(p.due, Some(end + PRESENCE_QUIET));
        p.sending_at(end + PRESENCE_QUIET);
        p.changed_at(end + ms(5000));
        p.changed_at(end + ms(5001));
        p.changed_at(end + ms(5090));
        assert_eq!(p.due, Some(end + ms(5190)));
        p.sending_at(end + ms(5190));
        p.changed_at(end + ms(6000));
        assert_eq!(p.due, Some(end + ms(6000) + PRESENCE_QUIET));
        assert_eq!(p.latest, PRESENCE_LATEST);
    }

    #[test]
    fn a_socket_that_joins_has_its_list_soon_however_busy_the_room() {
        let mut p = PresenceState::new();
        let t0 = Instant::now();
        p.changed_at(t0);
        p.changed_at(t0 + Duration::from_millis(90));
        p.joined(Uuid::new_v4(), "eve");
        let soon = p.newcomers_due.expect("the newcomer's list is due");
        assert!(soon <= Instant::now() + PRESENCE_QUIET);
        // Eve is on the list the newcomers get, before it goes out to everyone.
        let local = vec![];
        assert_eq!(p.current(&local).1, ["eve"]);
        assert!(p.list(&local).2, "and the list everyone has changed");
    }

    #[test]
    fn online_first_then_by_name_each_person_once_and_dead_nodes_forgotten() {
        let (ann, bob, cy, dee) = (
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
        );
        let mut p = PresenceState::new();
        p.members([(ann, "ann".into()), (bob, "bob".into()), (cy, "cy".into())]);
        // Ann in two tabs is one person.
        let local = online(
            [
                (&ann, &"ann".to_owned()),
                (&cy, &"cy".to_owned()),
                (&ann, &"ann".to_owned()),
            ]
            .into_iter(),
        );
        assert_eq!(local.len(), 2);
        let list = p.list(&local);
        assert!(list.2);
        assert_eq!(
            names(&list),
            [
                ("ann".into(), true),
                ("cy".into(), true),
                ("bob".into(), false)
            ]
        );
        assert!(!p.list(&local).2, "the same list is not sent again");
        // Dee, on another node, was never a member here: now she is, online.
        let other = Uuid::new_v4();
        assert!(p.remote(other, vec![(dee, "dee".into())]), "a new node");
        assert!(!p.remote(other, vec![(dee, "dee".into())]));
        let list = p.list(&local);
        assert!(list.2);
        assert_eq!(names(&list)[2], ("dee".into(), true));
        // The other node stops saying so: after a while, Dee is offline but still listed.
        p.expire(Instant::now() + REMOTE_FOR);
        let list = p.list(&local);
        assert_eq!(names(&list).last().unwrap(), &("dee".into(), false));
        // A removed member leaves the list.
        p.removed(bob);
        assert!(!p.list(&local).1.iter().any(|m| m == "bob"));
    }
}
