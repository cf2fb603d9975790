//! Configuration from the environment, with the ecosystem's variable names.

use std::{net::SocketAddr, time::Duration};

use leptos::config::LeptosOptions;

use crate::server::infra::limits::Limits;

/// Where the SQLite database lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/cloud_msg.db";

/// Redis channel names start with this unless `CLOUD_MSG_REDIS_PREFIX` says otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "cloud_msg:";

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`LEPTOS_SITE_ADDR`; port 0 picks a free one).
    pub addr: SocketAddr,
    /// `DATABASE_URL`, e.g. `sqlite://data/cloud_msg.db` (one node) or `postgres://…`
    /// (one of several nodes, with `REDIS_URL`).
    pub database_url: String,
    /// `REDIS_URL`, e.g. `redis://127.0.0.1:6379`: how the nodes of a cluster tell each
    /// other about new messages and receipts. Only with Postgres.
    pub redis_url: Option<String>,
    /// Prepended to every Redis channel name (`CLOUD_MSG_REDIS_PREFIX`, default
    /// `cloud_msg:`), so that several clusters can share one Redis.
    pub redis_prefix: String,
    /// Extra origins allowed to open a socket or post a form (`CLOUD_MSG_ALLOWED_ORIGINS`,
    /// comma-separated), besides the server's own.
    pub allowed_origins: Vec<String>,
    /// Where people reach the server (`CLOUD_MSG_PUBLIC_URL`, e.g. `https://chat.example.com`).
    /// When it is `https://…`, the session cookie is `Secure` and pages carry HSTS.
    pub public_url: Option<String>,
    /// Who may join: guests and sign-ups, or existing accounts only
    /// (`CLOUD_MSG_REGISTRATION=open|closed`, default open).
    pub registration: crate::server::domain::accounts::Registration,
    /// Rate limits and connection caps (`CLOUD_MSG_LIMITS`).
    pub limits: Limits,
    pub timeouts: Timeouts,
    /// Leptos's own settings (`LEPTOS_SITE_ROOT`, `LEPTOS_OUTPUT_NAME`, …).
    pub leptos: LeptosOptions,
}

/// How long the server waits for a slow peer before it closes the connection.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A request's headers (the WebSocket handshake's too) must arrive within this, and an
    /// idle keep-alive connection is closed after it.
    pub request_headers: Duration,
    /// A whole HTTP request (its body too) must be done within this, or it is answered 408.
    pub request: Duration,
    /// A WebSocket frame (or fragmented message) that has started must be complete within this.
    pub frame: Duration,
    /// A room nobody is connected to ends its task after this long without use.
    pub room_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request_headers: Duration::from_secs(10),
            request: Duration::from_secs(30),
            frame: Duration::from_secs(30),
            room_idle: Duration::from_secs(60),
        }
    }
}

impl Config {
    /// A configuration with every optional setting at its default.
    pub fn new(addr: SocketAddr, database_url: impl Into<String>, leptos: LeptosOptions) -> Self {
        Self {
            addr,
            database_url: database_url.into(),
            redis_url: None,
            redis_prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            allowed_origins: Vec::new(),
            public_url: None,
            registration: Default::default(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            leptos,
        }
    }

    /// Reads `Cargo.toml`'s `[package.metadata.leptos]` when present (as under cargo-leptos)
    /// and the environment.
    pub fn from_env() -> Result<Self, crate::server::Error> {
        let conf = leptos::config::get_configuration(None)
            .map_err(|e| crate::server::Error::Config(e.to_string()))?;
        let leptos = conf.leptos_options;
        let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut config = Self::new(
            leptos.site_addr,
            var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            leptos,
        );
        config.redis_url = var("REDIS_URL");
        if let Some(prefix) = var("CLOUD_MSG_REDIS_PREFIX") {
            config.redis_prefix = prefix;
        }
        config.allowed_origins = var("CLOUD_MSG_ALLOWED_ORIGINS")
            .map(|v| parse_origins(&v))
            .unwrap_or_default();
        config.public_url = var("CLOUD_MSG_PUBLIC_URL")
            .map(|v| v.trim().trim_end_matches('/').to_ascii_lowercase());
        if let Some(policy) = var("CLOUD_MSG_REGISTRATION") {
            config.registration = crate::server::domain::accounts::Registration::parse(&policy)
                .map_err(crate::server::Error::Config)?;
        }
        if let Some(limits) = var("CLOUD_MSG_LIMITS") {
            config.limits = Limits::parse(&limits).map_err(crate::server::Error::Config)?;
        }
        Ok(config)
    }

    /// True when people reach the server over TLS (a proxy in front terminates it).
    pub fn behind_tls(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// How many times, one second apart, the server tries to reach Postgres and Redis at
/// start before it gives up (`CLOUD_MSG_CONNECT_TRIES`, default 10).
pub fn connect_tries() -> u32 {
    std::env::var("CLOUD_MSG_CONNECT_TRIES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(10)
}

fn parse_origins(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins_list() {
        assert_eq!(
            super::parse_origins(" https://Chat.Example.com/ ,, http://localhost:8080"),
            ["https://chat.example.com", "http://localhost:8080"]
        );
    }
}
