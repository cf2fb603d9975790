//! Browser-only code (feature `hydrate`): the socket, sign-in, the outbox
//! and older history.

pub mod api;
pub mod history;
pub mod keys;
pub mod outbox;
pub mod socket;
