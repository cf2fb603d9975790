//! Integration tests: the real server on an ephemeral port, spoken to over the real
//! protocol. One binary, one fresh database per test.

mod helpers;
mod http;
mod socket;
