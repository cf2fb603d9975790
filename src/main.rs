//! Server entry: configuration, logging, serve, graceful shutdown.

use std::process::ExitCode;

use cloud_msg::server::{migrate, Application, Config};
use tracing_subscriber::EnvFilter;

/// jemalloc: less fragmentation across the runtime's and SQLite's threads, so memory
/// per connection stays small and comes back when sockets close.
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "cloud_msg failed");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), cloud_msg::server::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("migrate") {
        let (from, to) = migrate::parse_args(&args[1..])?;
        let copied = migrate::run(&from, &to).await?;
        tracing::info!("migrated {copied}; every room's count and checksum match");
        println!("migrated {copied}; every room's count and checksum match");
        return Ok(());
    }
    let config = Config::from_env()?;
    let app = Application::build(config).await?;
    tracing::info!("listening on http://{}", app.local_addr());
    app.run_until(shutdown_signal()).await
}

/// SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
