//! Who is typing in the room: the others (from `typing` frames, each shown for
//! `TYPING_SHOWN_MS` unless another comes, and until their message arrives), and whether I
//! typed since my last `typing` frame (the socket sends one every `TYPING_EVERY_MS` at most).

use leptos::prelude::*;
use uuid::Uuid;

use crate::protocol::{TYPING_EVERY_MS, TYPING_SHOWN_MS};

#[derive(Clone, Copy)]
pub struct Typing {
    /// Others typing now: id, name, and until when (ms, the page's clock).
    pub typers: RwSignal<Vec<(Uuid, String, f64)>>,
    /// I typed since my last `typing` frame went out.
    wanted: StoredValue<bool>,
    /// When it went out (ms).
    sent_ms: StoredValue<f64>,
}

impl Default for Typing {
    fn default() -> Self {
        Self {
            typers: RwSignal::new(Vec::new()),
            wanted: StoredValue::new(false),
            sent_ms: StoredValue::new(f64::MIN),
        }
    }
}

impl Typing {
    /// `user` is typing (a frame came at `now`).
    pub fn seen(&self, user: Uuid, name: String, now: f64) {
        self.typers.update(|t| {
            t.retain(|(u, ..)| *u != user);
            t.push((user, name, now + TYPING_SHOWN_MS));
        });
    }

    /// `user`'s message came: they are done typing it.
    pub fn stopped(&self, user: Uuid) {
        if self
            .typers
            .with_untracked(|t| t.iter().any(|(u, ..)| *u == user))
        {
            self.typers.update(|t| t.retain(|(u, ..)| *u != user));
        }
    }

    /// Forgets whoever has not typed for a while.
    pub fn prune(&self, now: f64) {
        if self
            .typers
            .with_untracked(|t| t.iter().any(|(.., until)| *until <= now))
        {
            self.typers.update(|t| t.retain(|(.., until)| *until > now));
        }
    }

    /// I typed (or stopped: `false` once my message is queued).
    pub fn mine(&self, typing: bool) {
        self.wanted.set_value(typing);
    }

    /// Whether my `typing` frame is due at `now`; if so, it counts as sent.
    pub fn due(&self, now: f64) -> bool {
        let due = self.wanted.get_value() && now - self.sent_ms.get_value() >= TYPING_EVERY_MS;
        if due {
            self.wanted.set_value(false);
            self.sent_ms.set_value(now);
        }
        due
    }
}

/// The line under the log for these typers' names.
pub fn line(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => format!("{one} is typing…"),
        [a, b] => format!("{a} and {b} are typing…"),
        [a, b, c] => format!("{a}, {b} and {c} are typing…"),
        _ => "Several people are typing…".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_up_to_three() {
        assert_eq!(line(&[]), "");
        assert_eq!(line(&["alice"]), "alice is typing…");
        assert_eq!(line(&["alice", "bob"]), "alice and bob are typing…");
        assert_eq!(line(&["a", "b", "c"]), "a, b and c are typing…");
        assert_eq!(line(&["a", "b", "c", "d"]), "Several people are typing…");
    }

    #[test]
    fn typers_expire_and_my_frames_are_throttled() {
        let owner = Owner::new();
        owner.with(|| {
            let t = Typing::default();
            let (ann, bob) = (Uuid::from_u128(1), Uuid::from_u128(2));
            t.seen(ann, "ann".into(), 0.0);
            t.seen(bob, "bob".into(), 1000.0);
            t.seen(ann, "ann".into(), 2000.0);
            t.prune(6500.0);
            let names = |t: &Typing| {
                t.typers
                    .with_untracked(|t| t.iter().map(|x| x.1.clone()).collect::<Vec<_>>())
            };
            assert_eq!(names(&t), ["ann"], "bob expired, ann typed again");
            t.stopped(ann);
            assert!(names(&t).is_empty());

            assert!(!t.due(0.0), "nothing typed");
            t.mine(true);
            assert!(t.due(0.0));
            t.mine(true);
            assert!(!t.due(1000.0), "not again within the gap");
            assert!(t.due(3000.0));
            t.mine(true);
            t.mine(false);
            assert!(!t.due(9000.0), "sent: no longer typing");
        });
    }
}
