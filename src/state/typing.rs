//! Who is typing in the room: the others (from `typing` frames, each shown for
//! `TYPING_SHOWN_MS` unless another comes, and until their message arrives), and when I
//! last typed (the socket sends a `typing` frame every `TYPING_EVERY_MS` at most, and only
//! while I type).

use leptos::prelude::*;
use uuid::Uuid;

use crate::protocol::{TYPING_EVERY_MS, TYPING_SHOWN_MS};

/// A frame goes out only for a keystroke this recent (ms): one sent seconds after the last
/// keystroke would show me typing for seconds after I stopped.
const TYPED_LATELY_MS: f64 = 1500.0;

#[derive(Clone, Copy)]
pub struct Typing {
    /// Others typing now: id, name, and until when (ms, the page's clock).
    pub typers: RwSignal<Vec<(Uuid, String, f64)>>,
    /// I typed since the socket's last look.
    wanted: StoredValue<bool>,
    /// When the socket saw that I typed (ms, the page's clock; `f64::MIN`: not typing).
    typed_ms: StoredValue<f64>,
    /// When it went out (ms).
    sent_ms: StoredValue<f64>,
}

impl Default for Typing {
    fn default() -> Self {
        Self {
            typers: RwSignal::new(Vec::new()),
            wanted: StoredValue::new(false),
            typed_ms: StoredValue::new(f64::MIN),
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

    /// I typed (or stopped: `false` when the box is emptied or my message is queued).
    pub fn mine(&self, typing: bool) {
        self.wanted.set_value(typing);
        if !typing {
            self.typed_ms.set_value(f64::MIN);
        }
    }

    /// Whether my `typing` frame is due at `now` (the socket looks every 400 ms): I typed
    /// since the last one went out, and lately, and that one is `TYPING_EVERY_MS` old. If
    /// so, it counts as sent.
    pub fn due(&self, now: f64) -> bool {
        if self.wanted.get_value() {
            self.wanted.set_value(false);
            self.typed_ms.set_value(now);
        }
        let (typed, sent) = (self.typed_ms.get_value(), self.sent_ms.get_value());
        let due = typed > sent && now - typed < TYPED_LATELY_MS && now - sent >= TYPING_EVERY_MS;
        if due {
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

            // The socket looks every 400 ms.
            assert!(!t.due(0.0), "nothing typed");
            t.mine(true);
            assert!(t.due(400.0));
            assert!(!t.due(800.0), "nothing typed since");
            t.mine(true);
            assert!(!t.due(1200.0), "not again within the gap");
            for at in [1600.0, 2000.0, 2400.0, 2800.0] {
                t.mine(true);
                assert!(!t.due(at));
            }
            t.mine(true);
            assert!(t.due(3600.0), "still typing: again");
            t.mine(true);
            assert!(!t.due(4000.0));
            for at in [4400.0, 4800.0, 5200.0, 5600.0, 6000.0, 6400.0, 6800.0] {
                assert!(!t.due(at), "typed at 4 s, then stopped: never sent late");
            }
            t.mine(true);
            t.mine(false);
            assert!(!t.due(9000.0), "my message is queued: no longer typing");
        });
    }
}
