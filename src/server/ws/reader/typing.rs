//! `typing`: the sender is typing in a room they joined on this socket. Never stored; the
//! room tells everyone else in it, on every node. Passed on at most once every
//! `TYPING_GAP` per socket and room (a client sends one every 3 s while it types), and at
//! the `typing` rate per person and room across all their sockets (32 sockets do not type
//! 32 times as much); more often is refused with `rate_limited`, and typing in a room not
//! joined with `not_found`.

use std::time::{Duration, Instant};

use super::Reader;
use crate::{
    protocol::ErrorCode,
    server::infra::limits::{Key, Limit},
    validation::RoomName,
};

/// The least time between two `typing` frames passed on, per socket and room.
const TYPING_GAP: Duration = Duration::from_secs(2);

impl Reader {
    pub(super) fn typing(&mut self, room: &str) {
        let room = match RoomName::parse(room) {
            Ok(room) => room,
            Err(e) => return self.invalid(e, None),
        };
        let Some(joined) = self.rooms.get(&room).filter(|j| !j.sub.is_gone()) else {
            return self.error(
                ErrorCode::NotFound,
                format!("Join #{room} before typing in it."),
                None,
            );
        };
        let handle = joined.sub.handle().clone();
        let now = Instant::now();
        if let Some(last) = joined.typed {
            let wait = TYPING_GAP.saturating_sub(now - last);
            if !wait.is_zero() {
                self.answer_error(
                    ErrorCode::RateLimited,
                    "Slow down: typing is sent at most every 2 s.".into(),
                    None,
                    Some((wait.as_millis() as u64).max(1)),
                );
                return;
            }
        }
        if let Err(wait) = self
            .ctx
            .limiter
            .check(Limit::Typing, Key::UserInRoom(self.user.id, handle.room.id))
        {
            self.answer_error(
                ErrorCode::RateLimited,
                "Slow down: typing is sent at most every 2 s.".into(),
                None,
                Some(wait.millis()),
            );
            return;
        }
        if let Some(joined) = self.rooms.get_mut(&room) {
            joined.typed = Some(now);
        }
        handle.typing(self.user.id, self.user.name.to_string());
    }
}
