//! Integration tests: the real server on an ephemeral port, spoken to over the real
//! protocol. One binary, one fresh database per test.

mod delivery;
mod helpers;
mod http;
mod pages;
mod socket;
