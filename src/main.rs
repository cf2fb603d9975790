//! Server entry: configuration, logging, serve, graceful shutdown.

use std::process::ExitCode;

use cloud_msg::server::{migrate, Application, Config};
use tracing_subscriber::EnvFilter;

/// jemalloc: less fragmentation across the runtime's and SQLite's threads, so memory
/// per connection stays small and comes back when sockets close. It is the C library's
/// `malloc` too (`unprefixed_malloc_on_supported_platforms`): SQLite's page caches, freed
/// and taken again on many threads, had glibc's arenas grow by 10 MB in half an hour.
#[cfg(not(feature = "dhat-heap"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// For heap profiles only (see the README, `make bench`): every allocation with its backtrace.
#[cfg(feature = "dhat-heap")]
#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// jemalloc's settings, read when it starts (`MALLOC_CONF` still overrides them): a
/// background thread returns freed pages to the system after a second, instead of only
/// when the program next allocates. Without it, the memory of a burst (every client
/// reconnecting after a restart) stays with an idle server.
#[cfg(not(feature = "dhat-heap"))]
#[export_name = "malloc_conf"]
static MALLOC_CONF: ConfPtr =
    ConfPtr(c"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string's address, as jemalloc reads `malloc_conf`.
#[cfg(not(feature = "dhat-heap"))]
#[repr(transparent)]
struct ConfPtr(*const std::ffi::c_char);
// SAFETY: it points to a constant string, never written.
#[cfg(not(feature = "dhat-heap"))]
unsafe impl Sync for ConfPtr {}

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
    #[cfg(feature = "dhat-heap")]
    heap_profile();
    let config = Config::from_env()?;
    let app = Application::build(config).await?;
    tracing::info!("listening on http://{}", app.local_addr());
    app.run_until(shutdown_signal()).await
}

/// Profiles the heap from now on; `kill -USR1` writes what is live then (with where it
/// was allocated) to `DHAT_FILE` (default `dhat-heap.json`), for `dh_view.html` or
/// `bench/dhat-sum.py`.
#[cfg(feature = "dhat-heap")]
fn heap_profile() {
    let file = std::env::var("DHAT_FILE").unwrap_or_else(|_| "dhat-heap.json".into());
    let profiler = dhat::Profiler::builder()
        .file_name(file)
        .trim_backtraces(Some(40))
        .build();
    let mut usr1 = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1())
        .expect("SIGUSR1 handler");
    tokio::spawn(async move {
        usr1.recv().await;
        drop(profiler);
        tracing::info!("heap profile written");
    });
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
