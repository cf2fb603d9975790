//! The frame deadline's clock: how long the server has waited for the rest of a frame (or
//! fragmented message) that has begun to arrive. A client that trickles a frame is closed
//! once that passes the deadline. Only time spent waiting for the client counts: while
//! the server itself does not read (handling a frame waits for a busy room or the
//! database), the client's bytes wait in the socket, and that client is not slow. Counting
//! wall time closed honest senders of a busy Postgres server (code 1008, bench (k)).

use std::time::Duration;

#[derive(Debug, Default)]
pub struct FrameClock(Option<Duration>);

impl FrameClock {
    /// Before waiting for bytes, with `in_frame` saying whether a frame is part-way in:
    /// how long the wait may last (`idle` when no frame is), or `None` when the frame's
    /// time is up.
    pub fn next_wait(
        &mut self,
        in_frame: bool,
        deadline: Duration,
        idle: Duration,
    ) -> Option<Duration> {
        if !in_frame {
            self.0 = None;
            return Some(idle);
        }
        let waited = *self.0.get_or_insert(Duration::ZERO);
        deadline
            .checked_sub(waited)
            .filter(|left| !left.is_zero())
            .map(|left| left.min(idle))
    }

    /// A whole data message arrived: what is part-way in now is a new one, with its own
    /// time. (Without this, a client streaming frames whose reads end mid-frame would carry
    /// one frame's time into the next, and be closed after 30 s of sending.)
    pub fn restart(&mut self) {
        self.0 = None;
    }

    /// After a wait of `took`: counted if a frame was part-way in.
    pub fn waited(&mut self, took: Duration) {
        if let Some(w) = self.0.as_mut() {
            *w += took;
        }
    }

    /// Whether a frame is part-way in (a timed-out wait is then the frame's, not idleness).
    pub fn in_frame(&self) -> bool {
        self.0.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINE: Duration = Duration::from_secs(30);
    const IDLE: Duration = Duration::from_secs(60);

    #[test]
    fn only_waiting_for_the_client_counts() {
        let mut clock = FrameClock::default();
        // No frame begun: the idle timeout.
        assert_eq!(clock.next_wait(false, DEADLINE, IDLE), Some(IDLE));
        assert!(!clock.in_frame());
        // A frame begun: up to the deadline.
        assert_eq!(clock.next_wait(true, DEADLINE, IDLE), Some(DEADLINE));
        // The client is slow for 25 s: 5 s left.
        clock.waited(Duration::from_secs(25));
        assert_eq!(
            clock.next_wait(true, DEADLINE, IDLE),
            Some(Duration::from_secs(5))
        );
        // The server spends a minute on its own work (nothing waited for): still 5 s.
        assert_eq!(
            clock.next_wait(true, DEADLINE, IDLE),
            Some(Duration::from_secs(5))
        );
        // Five more seconds of waiting for the client: time is up.
        clock.waited(Duration::from_secs(5));
        assert_eq!(clock.next_wait(true, DEADLINE, IDLE), None);
        assert!(clock.in_frame());
    }

    #[test]
    fn a_message_that_arrives_restarts_the_clock() {
        let mut clock = FrameClock::default();
        // Reads that always end part-way into the next frame: in a frame at every look.
        for _ in 0..100 {
            assert!(clock.next_wait(true, DEADLINE, IDLE).is_some());
            clock.waited(Duration::from_secs(1));
            // A message was completed by that read.
            clock.restart();
        }
        assert_eq!(clock.next_wait(true, DEADLINE, IDLE), Some(DEADLINE));
    }

    #[test]
    fn each_frame_has_its_own_time() {
        let mut clock = FrameClock::default();
        clock.next_wait(true, DEADLINE, IDLE);
        clock.waited(Duration::from_secs(29));
        // That frame completed; the next one starts from nothing.
        clock.next_wait(false, DEADLINE, IDLE);
        assert_eq!(clock.next_wait(true, DEADLINE, IDLE), Some(DEADLINE));
        // Waiting with no frame begun counts for nothing.
        let mut idle = FrameClock::default();
        idle.next_wait(false, DEADLINE, IDLE);
        idle.waited(Duration::from_secs(59));
        assert_eq!(idle.next_wait(true, DEADLINE, IDLE), Some(DEADLINE));
    }
}
