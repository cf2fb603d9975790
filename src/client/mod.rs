//! Browser-only code (feature `hydrate`): the socket, sign-in, the outbox, older history
//! and the member list's rows.

pub mod api;
pub mod history;
pub mod keys;
pub mod members;
pub mod outbox;
pub mod socket;
