//! Starts the real server on an ephemeral port with a fresh database, and speaks the
//! real protocol to it over HTTP and WebSocket.

use std::{collections::VecDeque, net::SocketAddr, sync::Arc, time::Duration};

use cloud_msg::{
    protocol::{ClientFrame, ErrorCode, Presence, ServerFrame, SessionResponse},
    server::{infra::limits::Limits, AppState, Application, Config},
};
use futures::{SinkExt, StreamExt};
use leptos::config::LeptosOptions;
use tokio::{net::TcpStream, sync::oneshot, task::JoinHandle};
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, http::HeaderValue, Message},
    MaybeTlsStream, WebSocketStream,
};
use uuid::Uuid;

pub use crate::database::{Backend, TestDatabase};

/// How long a test waits for a frame that should come: a frame that never comes still
/// fails the test, only later. 5 s was too short on Postgres about once in 15 runs of the
/// suite (`deletes`: a refusal that needs two reads did not come within 5 s). Parallel
/// tests create and drop databases, and each DROP DATABASE forces an immediate checkpoint;
/// a stall behind one is the suspicion, not a proven cause.
pub const WAIT: Duration = Duration::from_secs(15);

/// How long a test waits for an HTTP response (a page render included).
pub const HTTP_WAIT: Duration = Duration::from_secs(60);

/// The password of every account tests make (long and uncommon enough).
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's database (on the backend `CLOUD_MSG_TEST_DATABASE` names).
    pub db: Arc<TestDatabase>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    pub http: reqwest::Client,
    /// The running server's state, to look inside (open rooms, the store).
    pub state: AppState,
}

impl TestApp {
    /// A server with a new, empty database.
    pub async fn spawn() -> Self {
        Self::spawn_in(Arc::new(TestDatabase::from_env().await)).await
    }

    /// A server on the database `db` (to restart on the same data, or run two nodes).
    pub async fn spawn_in(db: Arc<TestDatabase>) -> Self {
        Self::spawn_with(db, |_| {}).await
    }

    /// A server with a new database and every rate limit off (tests that flood on purpose).
    pub async fn spawn_unlimited() -> Self {
        Self::spawn_configured(|c| c.limits = Limits::parse("off").unwrap()).await
    }

    /// A server with a new database and `configure` applied to its configuration.
    pub async fn spawn_configured(configure: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_with(Arc::new(TestDatabase::from_env().await), configure).await
    }

    pub async fn spawn_with(db: Arc<TestDatabase>, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::new(
            "127.0.0.1:0".parse().unwrap(),
            db.url.clone(),
            LeptosOptions::builder()
                .output_name("cloud_msg")
                .site_root("target/site")
                .build(),
        );
        config.allowed_origins = vec!["https://allowed.example".into()];
        if db.backend == Backend::Postgres {
            // A node of a cluster of one, on channels of its own.
            config.redis_url = Some(redis_url());
            config.redis_prefix = format!("test:{}:", Uuid::new_v4().simple());
        }
        configure(&mut config);
        let app = Application::build(config).await.expect("server builds");
        let state = app.state().clone();
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app.run_until(async move {
                let _ = stopped.await;
            })
            .await
            .expect("server runs");
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A response that never comes fails the test instead of hanging the suite.
            .timeout(HTTP_WAIT)
            .build()
            .unwrap();
        Self {
            addr,
            db,
            stop: Some(stop),
            task: Some(task),
            http,
            state,
        }
    }

    /// Graceful shutdown, as on SIGTERM; returns once the server has exited.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(15), self.task.take().unwrap())
            .await
            .expect("server stops in time")
            .expect("server task ends cleanly");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// The HTML of `path` as the holder of `cookie` (`name=value`) sees it.
    pub async fn page_with_cookie(&self, path: &str, cookie: &str) -> String {
        self.http
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("a body")
    }

    pub async fn post_session(&self, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/session"))
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

    /// Makes the account `name` (with [`PASSWORD`]); returns its session.
    pub async fn sign_up(&self, name: &str) -> SessionResponse {
        let res = self
            .http
            .post(self.url("/api/accounts"))
            .json(&serde_json::json!({ "name": name, "password": PASSWORD }))
            .send()
            .await
            .expect("POST");
        assert_eq!(res.status(), 201, "{name} signs up");
        res.json().await.expect("session body")
    }

    /// Signs in as `name`; returns the session.
    pub async fn sign_in(&self, name: &str) -> SessionResponse {
        let res = self.post_session(serde_json::json!({ "name": name })).await;
        assert_eq!(res.status(), 200);
        res.json().await.expect("session body")
    }

    /// Opens a socket with `headers` (name, value) added to the upgrade request.
    pub async fn connect_with(
        &self,
        headers: &[(&'static str, String)],
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .unwrap();
        for (name, value) in headers {
            req.headers_mut()
                .insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Client::new(ws))
    }

    /// Signs in as `name` and opens a socket with a 4 KiB receive window (a client that
    /// reads slowly, or not at all, soon holds the server's writes back).
    pub async fn tiny_window_client(&self, name: &str) -> Client {
        let token = self.sign_in(name).await.token;
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(self.addr).await.unwrap();
        let req = bearer_request(self.addr, &token);
        let stream = MaybeTlsStream::Plain(stream);
        let (ws, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
        Client::new(ws)
    }

    /// Signs in as `name` and opens a socket with the bearer token.
    pub async fn client(&self, name: &str) -> Client {
        let session = self.sign_in(name).await;
        self.connect_with(&[("authorization", format!("Bearer {}", session.token))])
            .await
            .expect("socket opens")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// `presence` frames come whenever someone joins or leaves: kept here for
    /// [`Client::presence`], and passed over by everything else.
    presences: VecDeque<Presence>,
    /// Frames read while [`Client::join`] waited for its answer, in order: the next reads
    /// take them first.
    pending: VecDeque<ServerFrame>,
    /// `joined` answers not waited for yet (room, seq).
    joined: Vec<(String, u64)>,
}

/// How the server answered a `join`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinAnswer {
    /// A member, subscribed, caught up to this `seq`; later messages come live.
    Joined(u64),
    /// The replay stopped at a window: join again with this `since`.
    More(u64),
    /// Refused with this `error` code.
    Refused(ErrorCode),
}

impl Client {
    pub fn new(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            ws,
            presences: Default::default(),
            pending: Default::default(),
            joined: Vec::new(),
        }
    }

    /// The next `presence` frame (of any room; other frames read meanwhile are dropped);
    /// panics after `WAIT`.
    pub async fn presence(&mut self) -> Presence {
        loop {
            if let Some(p) = self.presences.pop_front() {
                return p;
            }
            self.read_frame().await;
        }
    }

    /// The `presence` frames received and not read yet.
    pub fn presences_kept(&mut self) -> Vec<Presence> {
        self.presences.drain(..).collect()
    }

    /// `presence` frames until `room`'s has members as `f` wants; returns those members
    /// as (name, online). Panics after `WAIT` without one.
    pub async fn presence_until(
        &mut self,
        room: &str,
        f: impl Fn(&[(String, bool)]) -> bool,
    ) -> Vec<(String, bool)> {
        let until = tokio::time::Instant::now() + WAIT;
        loop {
            let p = tokio::time::timeout_at(until, self.presence())
                .await
                .unwrap_or_else(|_| panic!("no presence of #{room} as wanted"));
            let members: Vec<(String, bool)> =
                p.people().map(|(n, on)| (n.to_owned(), on)).collect();
            if p.room == room && f(&members) {
                return members;
            }
        }
    }

    pub async fn send_raw(&mut self, msg: Message) {
        self.ws.send(msg).await.expect("socket write");
    }

    pub async fn send_frame(&mut self, frame: &ClientFrame) {
        self.send_raw(Message::text(serde_json::to_string(frame).unwrap()))
            .await;
    }

    /// Joins `room` and waits for the server's answer: `joined` (consumed), `more` or an
    /// `error` naming the room (both also kept for the next reads, as is every frame read
    /// meanwhile, such as the replay). Panics after `WAIT` without an answer.
    pub async fn join(&mut self, room: &str, since: Option<u64>) -> JoinAnswer {
        self.send_frame(&ClientFrame::Join {
            room: room.into(),
            since,
        })
        .await;
        let until = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(i) = self.joined.iter().position(|(r, _)| r == room) {
                return JoinAnswer::Joined(self.joined.remove(i).1);
            }
            let frame = tokio::time::timeout_at(until, self.read_frame())
                .await
                .unwrap_or_else(|_| panic!("no answer to the join of #{room}"));
            let Some(frame) = frame else { continue };
            let answer = match &frame {
                ServerFrame::More { room: r, since } if r == room => Some(JoinAnswer::More(*since)),
                ServerFrame::Error {
                    code,
                    room: Some(r),
                    ..
                } if r == room => Some(JoinAnswer::Refused(*code)),
                _ => None,
            };
            self.pending.push_back(frame);
            if let Some(answer) = answer {
                return answer;
            }
        }
    }

    /// The frames [`Client::join`] read before its answer, taken out of the queue.
    pub fn read_meanwhile(&mut self) -> Vec<ServerFrame> {
        self.pending.drain(..).collect()
    }

    /// The `joined` frames that came and were not waited for, as (room, seq).
    pub fn joined_unread(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.joined)
    }

    /// Sends a `read` marker for `room` (joined on this socket) and waits until the room
    /// passes on that `me` has read `seq`: the marker is stored by then.
    pub async fn read_up_to(&mut self, room: &str, seq: u64, me: &str) {
        self.send_frame(&ClientFrame::Read {
            room: room.into(),
            seq,
        })
        .await;
        self.recv_frame_until(|f| {
            matches!(f, ServerFrame::Receipts { room: r, receipts }
                if r == room && receipts.iter().any(|x| x.name == me && x.read >= seq))
        })
        .await;
    }

    /// Sends `text` to `room`; returns the `client_id` used.
    pub async fn say(&mut self, room: &str, text: &str) -> Uuid {
        let client_id = Uuid::new_v4();
        self.say_as(room, client_id, text).await;
        client_id
    }

    pub async fn say_as(&mut self, room: &str, client_id: Uuid, text: &str) {
        self.send_frame(&ClientFrame::Send {
            room: room.into(),
            client_id,
            text: text.into(),
            reply_to: None,
        })
        .await;
    }

    /// Frames (receipts too) until one matches `f`; panics after `WAIT`.
    pub async fn recv_frame_until(&mut self, f: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let frame = self.recv_frame().await;
            if f(&frame) {
                return frame;
            }
        }
    }

    /// The next frame other than a `receipt`; panics after `WAIT`.
    pub async fn recv(&mut self) -> ServerFrame {
        loop {
            match self.recv_frame().await {
                ServerFrame::Receipts { .. } => continue,
                frame => return frame,
            }
        }
    }

    /// The next text frame but `presence` (kept for [`Client::presence`]), parsed, whatever
    /// it is; panics after `WAIT`.
    pub async fn recv_frame(&mut self) -> ServerFrame {
        if let Some(frame) = self.pending.pop_front() {
            return frame;
        }
        loop {
            if let Some(frame) = self.read_frame().await {
                return frame;
            }
        }
    }

    /// The next text frame from the socket, parsed; `None` for a `presence` or a `joined`,
    /// which are kept.
    async fn read_frame(&mut self) -> Option<ServerFrame> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within the wait")
                .expect("socket still open")
                .expect("socket healthy");
            match msg {
                Message::Text(t) => match serde_json::from_str(&t).expect("valid server frame") {
                    ServerFrame::Presence(p) => {
                        self.presences.push_back(p);
                        return None;
                    }
                    ServerFrame::Joined { room, seq } => {
                        self.joined.push((room, seq));
                        return None;
                    }
                    frame => return Some(frame),
                },
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// The next `n` frames.
    pub async fn recv_n(&mut self, n: usize) -> Vec<ServerFrame> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.recv().await);
        }
        out
    }

    /// Waits until a frame for which `f` is true; returns it (others are discarded).
    /// The next `topic` frame's room and topic, passing over other frames.
    pub async fn topic(&mut self) -> (String, String) {
        match self
            .recv_until(|f| matches!(f, ServerFrame::Topic { .. }))
            .await
        {
            ServerFrame::Topic { room, topic } => (room, topic),
            _ => unreachable!("matched above"),
        }
    }

    pub async fn recv_until(&mut self, f: impl Fn(&ServerFrame) -> bool) -> ServerFrame {
        loop {
            let frame = self.recv_frame().await;
            if f(&frame) {
                return frame;
            }
        }
    }

    /// Asserts that no frame other than a `receipt` or `presence` arrives for `ms`
    /// milliseconds.
    pub async fn expect_silence(&mut self, ms: u64) {
        if let Some(frame) = self
            .pending
            .iter()
            .find(|f| !matches!(f, ServerFrame::Receipts { .. }))
        {
            panic!("expected silence, got {frame:?}");
        }
        self.pending.clear();
        let deadline = tokio::time::sleep(Duration::from_millis(ms));
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                msg = self.ws.next() => match msg {
                    Some(Ok(Message::Text(t))) if t.starts_with(r#"{"type":"receipts""#) => continue,
                    Some(Ok(Message::Text(t))) if t.starts_with(r#"{"type":"joined""#) => continue,
                    Some(Ok(Message::Text(t))) if t.starts_with(r#"{"type":"presence""#) => {
                        if let ServerFrame::Presence(p) = serde_json::from_str(&t).unwrap() {
                            self.presences.push_back(p);
                        }
                    }
                    Some(Ok(Message::Text(t))) => panic!("expected silence, got {t}"),
                    Some(Ok(_)) => continue,
                    other => panic!("socket ended: {other:?}"),
                },
            }
        }
    }

    /// Waits for the close frame; returns its code.
    pub async fn expect_close(&mut self) -> u16 {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("close in time");
            match msg {
                Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
                Some(Ok(Message::Close(None))) | None => return 1005,
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("socket error before close: {e}"),
            }
        }
    }
}

/// Asks `check` every 20 ms until it answers `Some`, for up to `WAIT`; panics with `what`
/// after that. For a state the product announces with no event (a page's contents, a
/// socket's place freed), never in place of a frame that can be awaited.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < until, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The stored message inside a `message` frame.
pub fn message(frame: &ServerFrame) -> &cloud_msg::protocol::Entry {
    match frame {
        ServerFrame::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// The real `cloud_msg` binary as a child process, for tests that SIGKILL it.
pub struct ServerProcess {
    child: std::process::Child,
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// Starts the binary on a free port with its database in `dir`; waits until healthy.
    pub async fn start(dir: &std::path::Path) -> Self {
        let db = format!("sqlite://{}/chat.db", dir.display());
        Self::start_with(&[("DATABASE_URL", db)]).await
    }

    /// Starts the binary on a free port with `env` added (`DATABASE_URL` at least);
    /// waits until healthy.
    pub async fn start_with(env: &[(&str, String)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Self::command(addr, env)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("server binary starts");
        let server = Self { child, addr };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(res) = http.get(format!("http://{addr}/healthz")).send().await {
                if res.status() == 200 {
                    return server;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server did not become healthy");
    }

    /// The server binary's command line, on `addr` with `env` added.
    pub fn command(addr: SocketAddr, env: &[(&str, String)]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cloud_msg"));
        cmd.env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("LEPTOS_OUTPUT_NAME", "cloud_msg")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("RUST_LOG", "warn")
            .env("CLOUD_MSG_LIMITS", "off")
            .env_remove("REDIS_URL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The server's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// The server's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }

    pub async fn sign_in(&self, name: &str) -> String {
        let res = reqwest::Client::new()
            .post(format!("http://{}/api/session", self.addr))
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap();
        res.json::<SessionResponse>().await.unwrap().token
    }

    pub async fn connect(&self, token: &str) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
        tokio_tungstenite::connect_async(bearer_request(self.addr, token))
            .await
            .expect("socket opens")
            .0
    }

    /// Every stored message of `room`, by joining with `since: 0` (and again wherever the
    /// server says there is `more`).
    pub async fn replay(&self, token: &str, room: &str) -> Vec<cloud_msg::protocol::Entry> {
        let mut client = Client::new(self.connect(token).await);
        let mut out = Vec::new();
        let mut since = 0;
        loop {
            let answer = client.join(room, Some(since)).await;
            out.extend(client.pending.drain(..).filter_map(|f| match f {
                ServerFrame::Message(m) => Some(m),
                _ => None,
            }));
            match answer {
                JoinAnswer::Joined(_) => return out,
                JoinAnswer::More(next) => since = next,
                JoinAnswer::Refused(code) => panic!("the replay of #{room} was refused: {code:?}"),
            }
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The upgrade request for `/ws` at `addr`, authenticated with `token`.
pub fn bearer_request(
    addr: SocketAddr,
    token: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    req
}

/// The Redis every machine of this kind runs (`TEST_REDIS_URL` to use another).
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Several nodes on one fresh Postgres database and one Redis, on channels of their own.
pub struct Cluster {
    pub db: Arc<TestDatabase>,
    pub redis_url: String,
    pub prefix: String,
}

impl Cluster {
    pub async fn new(redis_url: String) -> Self {
        Self {
            db: Arc::new(TestDatabase::new(Backend::Postgres).await),
            redis_url,
            prefix: format!("test:{}:", Uuid::new_v4().simple()),
        }
    }

    /// A node in this process, with every rate limit off.
    pub async fn node(&self) -> TestApp {
        let (url, prefix) = (self.redis_url.clone(), self.prefix.clone());
        TestApp::spawn_with(self.db.clone(), move |c| {
            c.redis_url = Some(url);
            c.redis_prefix = prefix;
            c.limits = Limits::parse("off").unwrap();
        })
        .await
    }

    /// A node as a process of its own (to kill with SIGKILL).
    pub async fn process(&self) -> ServerProcess {
        ServerProcess::start_with(&[
            ("DATABASE_URL", self.db.url.clone()),
            ("REDIS_URL", self.redis_url.clone()),
            ("CLOUD_MSG_REDIS_PREFIX", self.prefix.clone()),
        ])
        .await
    }
}

/// A Redis server of the test's own, on a free port, that can be killed and restarted.
pub struct RedisProcess {
    child: Option<std::process::Child>,
    pub port: u16,
}

impl RedisProcess {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self { child: None, port };
        redis.restart().await;
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: every connection drops, every subscription is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// Starts it (again) on the same port; returns once it answers.
    pub async fn restart(&mut self) {
        self.kill();
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts (Debian: apt-get install redis-server)");
        self.child = Some(child);
        for _ in 0..100 {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let mut buf = [0u8; 7];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read(&mut buf).is_ok()
                    && buf.starts_with(b"+PONG")
                {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start");
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `send` frame as the socket carries it.
pub fn send_frame(room: &str, client_id: Uuid, text: &str) -> Message {
    let frame = ClientFrame::Send {
        room: room.into(),
        client_id,
        text: text.into(),
        reply_to: None,
    };
    Message::text(serde_json::to_string(&frame).unwrap())
}

/// Sends `d0`, `d1`, … under `ids` to `room` on `tx` from a task of its own, until all are
/// sent or the socket breaks (its server was killed).
pub fn spawn_sends(
    mut tx: futures::stream::SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>,
    room: &'static str,
    ids: Vec<Uuid>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        for (i, id) in ids.into_iter().enumerate() {
            if tx
                .send(send_frame(room, id, &format!("d{i}")))
                .await
                .is_err()
            {
                break;
            }
        }
    })
}

/// The room's latest page of history (`GET /api/rooms/<room>/messages`), as a visitor.
pub async fn history(app: &TestApp, room: &str) -> Vec<cloud_msg::protocol::Entry> {
    let page: cloud_msg::protocol::HistoryPage = app
        .get(&format!("/api/rooms/{room}/messages"))
        .await
        .json()
        .await
        .unwrap();
    page.messages
}

/// The next `message` frame (skipping what else arrives).
pub async fn next_message(ws: &mut Client) -> cloud_msg::protocol::Entry {
    message(
        &ws.recv_until(|f| matches!(f, ServerFrame::Message(_)))
            .await,
    )
    .clone()
}

/// The `seq` of the next ack on `ws` (an error instead fails the test).
pub async fn ack(ws: &mut Client) -> u64 {
    match ws
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. } | ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Ack { seq, .. } => seq,
        other => panic!("expected an ack, got {other:?}"),
    }
}
