//! Server-only code (feature `ssr`): the HTTP app, the socket hub, storage and identity.

pub mod access;
pub mod accounts;
pub mod admission;
pub mod api;
pub mod bus;
pub mod config;
pub mod connections;
pub mod direct;
pub mod error;
pub mod forms;
pub mod headers;
pub mod history;
pub mod hub;
pub mod limits;
pub mod markdown;
pub mod migrate;
pub mod model;
pub mod openapi;
pub mod pages;
pub mod post;
pub mod revoke;
pub mod rooms;
pub mod search;
pub mod serve;
pub mod session;
pub mod shortcodes;
pub mod startup;
pub mod store;
pub mod theme;
pub mod topic;
pub mod wire;
pub mod ws;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use config::Config;
pub use error::{Error, Result};
pub use startup::Application;

/// Everything a request handler (or a server function, through context) may need.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    /// Everything kept: messages, rooms, markers, people and sessions.
    pub store: store::Store,
    /// The rooms' actors: order, store and broadcast each room's messages.
    pub hub: hub::Hub,
    /// How this node's rooms reach the other nodes (none when alone).
    pub bus: bus::Bus,
    /// Token buckets per user and per address.
    pub limiter: Arc<limits::Limiter>,
    /// The one-time link that makes the first admin.
    pub setup: Arc<accounts::setup::Setup>,
    /// The bounded pool that hashes and checks passwords.
    pub passwords: Arc<accounts::PasswordWork>,
    /// Open sockets, by user and session.
    pub connections: connections::Connections,
    /// Room pages for visitors without a session, one per room version.
    pub pages: pages::PageCache,
    /// Cancelled when the server begins to shut down.
    pub shutdown: CancellationToken,
    /// Socket and room tasks, awaited at shutdown.
    pub tasks: TaskTracker,
}
