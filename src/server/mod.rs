//! Server-only code (feature `ssr`): the HTTP app, the socket hub, storage and identity.

pub mod bus;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod hub;
pub mod infra;
pub mod migrate;
pub mod model;
pub mod startup;
pub mod state;
pub mod store;
pub mod wire;
pub mod ws;

pub use config::Config;
pub use error::{Error, Result};
pub use startup::Application;
pub use state::AppState;
