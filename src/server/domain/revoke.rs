//! Ending sessions everywhere at once. The store deletes them; every node then forgets
//! them (each caches sessions) and closes their sockets: this node at once, the others
//! when the bus brings the `Revocation`. Sign-out, ending one of my sessions, a new
//! password, a disabled account and a guest's name taken by an account all end sessions
//! this way.

use tokio::sync::mpsc;

#[cfg(test)]
use crate::server::infra::session::hex;
use crate::server::{bus::Revocation, wire::CloseReason, AppState};

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Acts on `revocation` here and tells the other nodes; returns the sockets closed here.
pub fn announce(state: &AppState, revocation: Revocation) -> usize {
    let closed = apply(state, &revocation);
    state.bus.revoke(&revocation);
    closed
}

/// Acts on `revocation` on this node: forgets the sessions and closes their sockets.
pub fn apply(state: &AppState, revocation: &Revocation) -> usize {
    match revocation {
        Revocation::Session { hash } => {
            let Some(hash) = unhex(hash) else { return 0 };
            state.store.forget_session(&hash);
            state
                .connections
                .close_session(&hash, CloseReason::SignedOut)
        }
        Revocation::User {
            user,
            keep,
            disabled,
            name_taken,
        } => {
            let keep = keep.as_deref().and_then(unhex);
            state.store.forget_sessions_of(*user, keep.as_deref());
            let reason = if *disabled {
                CloseReason::Disabled
            } else if *name_taken {
                CloseReason::NameTaken
            } else {
                CloseReason::SignedOut
            };
            state.connections.close_user(*user, keep.as_deref(), reason)
        }
    }
}

/// Applies the other nodes' revocations as they come.
pub fn listen(state: AppState, mut revoked: mpsc::UnboundedReceiver<Revocation>) {
    tokio::spawn(async move {
        while let Some(revocation) = revoked.recv().await {
            let closed = apply(&state, &revocation);
            tracing::debug!(closed, "sessions ended on another node");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_garbage() {
        let bytes = [0u8, 1, 0xab, 0xff];
        assert_eq!(hex(&bytes), "0001abff");
        assert_eq!(unhex("0001abff").unwrap(), bytes);
        assert!(unhex("abc").is_none() && unhex("zz").is_none() && unhex("é1").is_none());
    }
}
