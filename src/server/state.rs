//! What every request handler and socket is given: the store, the hub, the bus, the
//! limits and caps, the page cache, and the server's lifetime.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::server::{bus, domain, http, hub, infra, store, Config};

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
    pub limiter: Arc<infra::limits::Limiter>,
    /// The one-time link that makes the first admin.
    pub setup: Arc<domain::accounts::setup::Setup>,
    /// The bounded pool that hashes and checks passwords.
    pub passwords: Arc<domain::accounts::PasswordWork>,
    /// Open sockets, by user and session.
    pub connections: infra::connections::Connections,
    /// Room pages for visitors without a session, one per room version.
    pub pages: http::pages::PageCache,
    /// Cancelled when the server begins to shut down.
    pub shutdown: CancellationToken,
    /// Socket and room tasks, awaited at shutdown.
    pub tasks: TaskTracker,
}
