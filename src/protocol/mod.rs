//! The public wire protocol: JSON text frames on `/ws` and the bodies of the HTTP API.
//!
//! These types are the single definition shared by the server and the browser client;
//! `docs/protocol.md` describes them for bots and other clients. Inbound strings stay raw
//! here (`String`) so that the server can answer a bad room or text with a specific error
//! code instead of a generic parse failure; `crate::validation` turns them into newtypes.
//!
//! - `entry`: an entry of a room's sequence (a message, an edit, a deletion, a reaction)
//!   and the rules by which a change applies to its message.
//! - `frames`: the socket's frames, both ways.
//! - `http`: the HTTP API's bodies.

mod entry;
mod frames;
mod http;
mod read_frame;

pub use entry::*;
pub use frames::*;
pub use http::*;

#[cfg(test)]
mod tests;
