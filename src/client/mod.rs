//! Browser-only code (feature `hydrate`): the socket, sign-in, my pending messages, older history,
//! the member list's rows and notifications.

pub mod api;
pub mod history;
pub mod keys;
pub mod members;
pub mod notify;
pub mod pending;
pub mod socket;
