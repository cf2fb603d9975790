//! Building and running the server; tests start it on port 0.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    middleware,
    routing::{delete, get, post, put},
    Router,
};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::server::{
    bus::Bus,
    domain,
    http::pages::shell::shell,
    http::{
        accounts, bots, direct, forms, health, history, invites, messages, openapi, pages, rooms,
        sessions, theme, topic, users,
    },
    hub::Hub,
    infra::{
        admission::Admission,
        connections::{Connections, SocketCaps},
        headers,
        limits::Limiter,
        serve,
    },
    store::{Database, Store},
    ws, AppState, Config, Error, Result,
};

/// The room page's route.
const ROOM_PAGE: &str = "/r/{room}";
/// How long shutdown waits for sockets to finish their writes.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How often rate-limit buckets that are full again are forgotten.
const PRUNE_LIMITS_EVERY: Duration = Duration::from_secs(60);

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Opens the database, binds the listener (port 0 picks a free port) and builds the router.
    pub async fn build(config: Config) -> Result<Self> {
        let kind = check_backends(&config)?;
        // Leptos renders pages on tokio (set once per process; a second server finds it set).
        let _ = any_spawner::Executor::init_tokio();
        let store = Store::open(&config.database_url).await?;
        let (bus, incoming) =
            Bus::connect(config.redis_url.as_deref(), &config.redis_prefix).await?;
        if kind == Database::Postgres {
            tracing::info!("cluster mode: Postgres for storage, Redis between the nodes");
        }
        let listener = TcpListener::bind(config.addr).await?;
        let tasks = TaskTracker::new();
        let limits = config.limits.clone();
        let caps = limits.enabled.then_some(SocketCaps {
            per_user: limits.sockets_per_user,
            per_ip: limits.sockets_per_ip,
            total: limits.sockets_total,
        });
        let (revoked, revocations) = tokio::sync::mpsc::unbounded_channel();
        let state = AppState {
            leptos_options: config.leptos.clone(),
            hub: Hub::new(
                store.clone(),
                bus.clone(),
                incoming,
                revoked,
                tasks.clone(),
                config.timeouts.room_idle,
            ),
            bus,
            store,
            setup: Default::default(),
            passwords: Arc::new(domain::accounts::PasswordWork::new(
                limits.password_workers,
                domain::accounts::password::QUEUE_DEADLINE,
            )),
            limiter: Arc::new(Limiter::new(limits)),
            connections: Connections::new(caps),
            pages: Default::default(),
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            tasks,
        };
        crate::server::domain::revoke::listen(state.clone(), revocations);
        if !state.store.has_admin().await? {
            let addr = listener.local_addr()?;
            let token = state.setup.begin();
            let base = state
                .config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}"));
            tracing::warn!(
                "this server has no admin yet: open {base}/invite/{token} to make the admin                  account (the link works once, whatever CLOUD_MSG_REGISTRATION says; a restart                  prints a new one)"
            );
        }
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The server's state (tests look inside: open rooms, sockets, the store).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    /// Serves until `signal` resolves, then stops accepting, closes every socket with a
    /// close frame after its queued writes, lets the rooms store what they hold, and
    /// closes the database.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        let Self {
            listener,
            router,
            state,
        } = self;
        let token = state.shutdown.clone();
        let limiter = state.limiter.clone();
        let prune_stop = token.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_LIMITS_EVERY);
            loop {
                tokio::select! {
                    _ = every.tick() => limiter.prune(),
                    _ = prune_stop.cancelled() => return,
                }
            }
        });
        let limits = &state.config.limits;
        let edge = serve::Edge {
            header_timeout: state.config.timeouts.request_headers,
            request_deadline: state.config.timeouts.request,
            drain: DRAIN_TIMEOUT,
            admission: Admission::new(
                limits.connections_total,
                limits.enabled.then_some(limits.connections_per_ip),
            ),
        };
        serve::serve(listener, router, edge, async move {
            signal.await;
            tracing::info!("shutting down");
            token.cancel();
        })
        .await;
        state.hub.close();
        state.tasks.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, state.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some sockets did not finish within {DRAIN_TIMEOUT:?}");
        }
        state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// SQLite serves one node, alone; Postgres serves the nodes of a cluster, which need Redis
/// to reach each other. Any other pairing is refused before anything starts.
pub fn check_backends(config: &Config) -> Result<Database> {
    let kind = Database::of(&config.database_url)?;
    match (kind, config.redis_url.is_some()) {
        (Database::Sqlite, false) | (Database::Postgres, true) => Ok(kind),
        (Database::Sqlite, true) => Err(Error::Config(
            "REDIS_URL is set, but DATABASE_URL is SQLite: SQLite serves one node, and the \
             nodes of a cluster share a Postgres database. Set DATABASE_URL=postgres://… \
             for a cluster, or unset REDIS_URL for one node."
                .into(),
        )),
        (Database::Postgres, false) => Err(Error::Config(
            "DATABASE_URL is Postgres, but REDIS_URL is not set: the nodes of a cluster \
             tell each other about new messages through Redis. Set REDIS_URL=redis://…, or \
             use DATABASE_URL=sqlite://… for one node."
                .into(),
        )),
    }
}

fn router(state: AppState) -> Router {
    // The room page has its own handler (a cache in front of Leptos); any other path gets
    // a static file or the page that says it is not found.
    Router::new()
        .route("/", get(health::home))
        .route("/ws", get(ws::upgrade))
        .route(ROOM_PAGE, get(pages::room_page))
        .route(
            "/api/session",
            post(sessions::create_session).delete(sessions::sign_out),
        )
        .route("/api/accounts", post(accounts::create_account))
        .route("/api/sessions", get(sessions::list))
        .route("/api/sessions/{id}", delete(sessions::revoke))
        .route("/api/password", post(accounts::change_password))
        .route("/api/users/{user}/disable", post(users::disable))
        .route("/api/users/{user}/enable", post(users::enable))
        .route("/api/rooms", post(rooms::create))
        .route("/api/bots", post(bots::create))
        .route("/api/bots/{name}/token", post(bots::new_token))
        .route("/api/openapi.json", get(openapi::document))
        .route(
            "/api/rooms/{room}/messages",
            get(history::older_messages).post(messages::post_message),
        )
        .route(
            "/api/rooms/{room}/members",
            get(rooms::members).post(rooms::add_member),
        )
        .route(
            "/api/rooms/{room}/members/{user}",
            delete(rooms::remove_member),
        )
        .route("/api/rooms/{room}/bans", post(rooms::ban))
        .route("/api/rooms/{room}/claim", post(rooms::claim_room))
        .route("/api/rooms/{room}/topic", put(topic::put))
        .route("/api/rooms/{room}/bans/{user}", delete(rooms::unban))
        .route("/join", post(sessions::join_form))
        .route(
            "/signin",
            get(forms::sign_in::show).post(forms::sign_in::sign_in),
        )
        .route("/signup", post(forms::sign_in::sign_up))
        .route("/invite/{token}", get(forms::invite::invite))
        .route("/invite/{token}/join", post(forms::invite::join))
        .route("/dm/{name}", get(direct::open).post(direct::start))
        .route("/api/invites", post(invites::create))
        .route(
            "/rooms/new",
            get(forms::new_room::show).post(forms::new_room::create),
        )
        .route("/rooms", get(forms::directory::show))
        .route("/search", get(forms::search::show))
        .route("/r/{room}/members", get(forms::room_members::show))
        .route("/r/{room}/members/{action}", post(forms::room_members::act))
        .route("/signout", post(sessions::sign_out_form))
        .route("/theme", post(theme::set))
        .route("/healthz", get(health::healthz))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(theme::scope))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            headers::security_headers,
        ))
        .with_state(state)
}
