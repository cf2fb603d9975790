//! Browser-only code (feature `hydrate`): the socket, sign-in, the outbox, older history,
//! the member list's rows and notifications.

pub mod api;
pub mod history;
pub mod keys;
pub mod members;
pub mod notify;
pub mod outbox;
pub mod socket;
