//! The rules of the chat, apart from how a request arrives: who may do what in a room
//! (`access`), rooms and their members, topics, accounts and passwords, ending sessions
//! everywhere (`revoke`), what a search query means (`search`) and what a message's text
//! becomes (`markdown`, `shortcodes`). The HTTP edge and the socket both ask here.

pub mod access;
pub mod accounts;
pub mod invites;
pub mod markdown;
pub mod revoke;
pub mod rooms;
pub mod search;
pub mod shortcodes;
pub mod topic;
