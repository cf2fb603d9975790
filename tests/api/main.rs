//! Integration tests: the real server on an ephemeral port, spoken to over the real
//! protocol. One binary, one fresh database per test.

mod accounts;
mod admin;
mod bans;
mod bots;
mod cluster;
mod conformance;
#[path = "../common/database.rs"]
mod database;
mod deletes;
mod delivery;
mod direct;
mod edits;
mod endurance;
mod formatting;
mod forms;
mod helpers;
mod history;
mod http;
mod invites;
mod joins;
mod limits;
mod mentions;
mod migrate;
mod pages;
mod presence;
mod raw;
mod reactions;
mod replies;
mod rooms;
mod search;
mod security;
mod socket;
mod topics;
mod typing;
