//! Configuration from the environment, with the ecosystem's variable names.

use std::net::SocketAddr;

use leptos::config::LeptosOptions;

/// Where the SQLite database lives unless `DATABASE_URL` says otherwise.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/cloud_msg.db";

#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (`LEPTOS_SITE_ADDR`; port 0 picks a free one).
    pub addr: SocketAddr,
    /// `DATABASE_URL`, e.g. `sqlite://data/cloud_msg.db`.
    pub database_url: String,
    /// Extra origins allowed to open a socket (`CLOUD_MSG_ALLOWED_ORIGINS`, comma-separated),
    /// besides the server's own.
    pub allowed_origins: Vec<String>,
    /// Leptos's own settings (`LEPTOS_SITE_ROOT`, `LEPTOS_OUTPUT_NAME`, …).
    pub leptos: LeptosOptions,
}

impl Config {
    /// Reads `Cargo.toml`'s `[package.metadata.leptos]` when present (as under cargo-leptos)
    /// and the environment.
    pub fn from_env() -> Result<Self, crate::server::Error> {
        let conf = leptos::config::get_configuration(None)
            .map_err(|e| crate::server::Error::Config(e.to_string()))?;
        let leptos = conf.leptos_options;
        Ok(Self {
            addr: leptos.site_addr,
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.to_owned()),
            allowed_origins: std::env::var("CLOUD_MSG_ALLOWED_ORIGINS")
                .map(|v| parse_origins(&v))
                .unwrap_or_default(),
            leptos,
        })
    }
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
