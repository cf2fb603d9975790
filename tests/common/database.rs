//! A fresh database for one test, on either backend, gone when the test ends.
//!
//! SQLite: a file in a temporary folder. Postgres: a new database on the server at
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`), named
//! `cloud_msg_test_<random>`, dropped when the value is dropped. `make test` checks that
//! Postgres answers first and removes what a killed run left behind.

#![allow(dead_code)] // each test binary uses a part

use std::str::FromStr;

use sqlx::{postgres::PgConnectOptions, ConnectOptions, Connection, Executor, PgConnection};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Both, for tests that must hold on each.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// The backend named by `CLOUD_MSG_TEST_DATABASE` (`sqlite`, the default, or `postgres`).
    pub fn from_env() -> Self {
        match std::env::var("CLOUD_MSG_TEST_DATABASE").as_deref() {
            Ok("postgres") => Backend::Postgres,
            Ok("sqlite") | Ok("") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("CLOUD_MSG_TEST_DATABASE={other}: use sqlite or postgres"),
        }
    }
}

pub struct TestDatabase {
    pub backend: Backend,
    /// The `DATABASE_URL` a server or store opens.
    pub url: String,
    /// The SQLite file's folder (also scratch space for either backend).
    pub dir: TempDir,
    /// The Postgres database to drop, and the admin URL to drop it from.
    postgres: Option<(String, PgConnectOptions)>,
}

pub const PREFIX: &str = "cloud_msg_test_";

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                backend,
                url: format!("sqlite://{}/chat.db", dir.path().display()),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin_url = std::env::var("TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
                let admin = PgConnectOptions::from_str(&admin_url).expect("TEST_POSTGRES_URL");
                let name = format!("{PREFIX}{}", uuid::Uuid::new_v4().simple());
                let mut conn = admin.connect().await.unwrap_or_else(|e| {
                    panic!("Postgres at {admin_url} does not answer ({e}); start it, or set TEST_POSTGRES_URL")
                });
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create the test database");
                conn.close().await.ok();
                let url = admin.clone().database(&name).to_url_lossy().to_string();
                Self {
                    backend,
                    url,
                    dir,
                    postgres: Some((name, admin)),
                }
            }
        }
    }

    /// On the backend `CLOUD_MSG_TEST_DATABASE` names.
    pub async fn from_env() -> Self {
        Self::new(Backend::from_env()).await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((name, admin)) = self.postgres.take() else {
            return;
        };
        // Drop may run inside a runtime: do it on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                    let _ = conn
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}
