//! Load generator for cloud_msg, speaking the public protocol over loopback.
//!
//! Signs in N users, opens their sockets over R rooms (user i joins room i % R), and lets
//! the first S users send at a fixed rate each, spaced evenly. Every text carries its send
//! time and step (`t:<µs>|<step>|<n>`), so every receiver measures latency on one clock
//! and late deliveries count toward their own step. Reports deliveries, loss, latency
//! percentiles, the server's RSS and CPU (from /proc for `--pid`) and the generator's own
//! CPU, so a generator-bound run shows. One current-thread runtime, one task and one
//! 4 KiB buffer per socket, frames parsed in place.
//!
//! ```text
//! loadgen --url 127.0.0.1:3000 --pid 1234 --users 1000 --rooms 1 --senders 5 --rate 20 --secs 10
//! loadgen ... --steps 20,40,80,160 --p99-max 50   # highest rate with p99 <= 50 ms, no loss
//! loadgen ... --idle 30        # connect, join, hold for 30 s, report memory only
//! loadgen ... --idle 5 --burst # every socket opened at once, as after a restart
//! loadgen ... --durable        # senders keep 32 sends in flight; report acked/s
//! loadgen ... --markers        # every member reports `read` as the browser does (400 ms)
//! loadgen --ttfb /r/general --requests 1000 --conns 32 [--cookie-of alice]
//! loadgen --bot general --count 5000 --rate 50   # one bot posting (0: all at once)
//! loadgen --url A,B ...        # several nodes: senders on A, everyone else on the others
//! loadgen --url A,B --spread   # several nodes: user i on node i % nodes
//! loadgen --fill 10000000 --rooms 1000 --big 2000000 --room-prefix years   # history
//! loadgen --get '/search?q=the' --requests 200   # whole answers, one after another
//! loadgen --replay years-0 --requests 200        # join since=0, to the replay's end
//! loadgen --soak 1800 --users 1000 --rooms 50 --pid P --wal chat.db-wal   # mixed load
//! loadgen --storm pidfile --users 5000 --rooms 10 --pid P   # restart, all back at once
//! ```

mod bot;
mod fill;
mod http;
mod probe;
mod rng;
mod soak;
mod socket;
mod storm;
mod timing;
mod wire;

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use probe::Meter;
use wire::Socket;

#[derive(Debug, Clone)]
struct Args {
    /// The first node: sign-ins, pages, senders.
    addr: String,
    /// Every node (`--url A,B,…`); sockets are spread over them.
    nodes: Vec<String>,
    spread: bool,
    users: usize,
    rooms: usize,
    senders: usize,
    rate: f64,
    steps: Vec<f64>,
    p99_max_ms: f64,
    secs: f64,
    pid: Option<u32>,
    idle: Option<f64>,
    durable: bool,
    markers: bool,
    ttfb: Option<String>,
    requests: usize,
    conns: usize,
    signed_in: bool,
    room_prefix: String,
    bot: Option<String>,
    count: usize,
    text: String,
    fill: Option<u64>,
    big: u64,
    get: Option<String>,
    replay: Option<String>,
    soak: Option<f64>,
    wal: String,
    burst: bool,
    storm: Option<String>,
}

fn parse_args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:3000".into(),
        nodes: Vec::new(),
        spread: false,
        users: 100,
        rooms: 1,
        senders: 1,
        rate: 10.0,
        steps: Vec::new(),
        p99_max_ms: 100.0,
        secs: 5.0,
        pid: None,
        idle: None,
        durable: false,
        markers: false,
        ttfb: None,
        requests: 1000,
        conns: 32,
        signed_in: false,
        room_prefix: format!("load{}", std::process::id()),
        bot: None,
        count: 100,
        text: "bot".into(),
        fill: None,
        big: 0,
        get: None,
        replay: None,
        soak: None,
        wal: String::new(),
        burst: false,
        storm: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = || argv.get(i + 1).cloned().unwrap_or_default();
        let flag = argv[i].as_str();
        match flag {
            "--durable" => a.durable = true,
            "--markers" => a.markers = true,
            "--signed-in" => a.signed_in = true,
            "--spread" => a.spread = true,
            "--burst" => a.burst = true,
            _ => {
                match flag {
                    "--url" => {
                        a.nodes = v()
                            .split(',')
                            .map(|u| u.trim_start_matches("http://").trim_end_matches('/').into())
                            .collect();
                        a.addr = a.nodes[0].clone();
                    }
                    "--users" => a.users = v().parse().expect("--users N"),
                    "--rooms" => a.rooms = v().parse().expect("--rooms N"),
                    "--senders" => a.senders = v().parse().expect("--senders N"),
                    "--rate" => a.rate = v().parse().expect("--rate msgs/s per sender"),
                    "--steps" => {
                        a.steps = v()
                            .split(',')
                            .map(|r| r.parse().expect("--steps R1,R2,… (msgs/s per sender)"))
                            .collect()
                    }
                    "--p99-max" => a.p99_max_ms = v().parse().expect("--p99-max MS"),
                    "--secs" => a.secs = v().parse().expect("--secs S"),
                    "--pid" => a.pid = Some(v().parse().expect("--pid PID")),
                    "--idle" => a.idle = Some(v().parse().expect("--idle S")),
                    "--ttfb" => a.ttfb = Some(v()),
                    "--requests" => a.requests = v().parse().expect("--requests N"),
                    "--conns" => a.conns = v().parse().expect("--conns N"),
                    "--room-prefix" => a.room_prefix = v(),
                    "--bot" => a.bot = Some(v()),
                    "--count" => a.count = v().parse().expect("--count N"),
                    "--text" => a.text = v(),
                    "--fill" => a.fill = Some(v().parse().expect("--fill N")),
                    "--big" => a.big = v().parse().expect("--big N"),
                    "--get" => a.get = Some(v()),
                    "--replay" => a.replay = Some(v()),
                    "--soak" => a.soak = Some(v().parse().expect("--soak SECS")),
                    "--wal" => a.wal = v(),
                    "--storm" => a.storm = Some(v()),
                    other => panic!("unknown argument {other}"),
                }
                i += 1;
            }
        }
        i += 1;
    }
    if a.nodes.is_empty() {
        a.nodes = vec![a.addr.clone()];
    }
    a
}

impl Args {
    /// The node user `i` connects to: with `--spread` node `i % n`; otherwise senders on
    /// the first node and everyone else over the others (all on the first when alone).
    fn node_of(&self, i: usize, senders: usize) -> &str {
        let n = self.nodes.len();
        if self.spread {
            &self.nodes[i % n]
        } else if n == 1 || i < senders {
            &self.nodes[0]
        } else {
            &self.nodes[1 + (i - senders) % (n - 1)]
        }
    }
}

/// What happened to the messages of one step.
pub struct StepStats {
    pub sent: u64,
    pub acked: u64,
    pub expected: u64,
    pub received: u64,
    pub latency_us: Histogram<u64>,
    /// `read` markers sent and `receipts` frames received (with `--markers`).
    pub markers: u64,
    pub receipt_frames: u64,
}

impl StepStats {
    fn new() -> Self {
        Self {
            sent: 0,
            acked: 0,
            expected: 0,
            received: 0,
            latency_us: Histogram::new_with_bounds(1, 600_000_000, 3).unwrap(),
            markers: 0,
            receipt_frames: 0,
        }
    }
}

/// State every socket task sees.
pub struct Shared {
    pub t0: Instant,
    pub step: Cell<usize>,
    pub step_start: Cell<Instant>,
    pub rate: Cell<f64>,
    pub sending: Cell<bool>,
    pub durable: bool,
    pub markers: bool,
    pub senders: usize,
    pub open: Cell<usize>,
    /// Sockets whose join the server answered (`joined`): members, subscribed.
    pub joined: Cell<usize>,
    /// Woken at each `joined`.
    pub joins_answered: tokio::sync::Notify,
    pub steps: RefCell<Vec<StepStats>>,
    pub marker: memchr::memmem::Finder<'static>,
    pub seq_marker: memchr::memmem::Finder<'static>,
}

fn main() {
    let args = parse_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run(args));
}

async fn run(args: Args) {
    if let Some(room) = &args.bot {
        return bot::run(&args.addr, room, args.count, args.rate, &args.text).await;
    }
    if let Some(total) = args.fill {
        let (rooms, big) = (args.rooms, args.big);
        return fill::run(&args.addr, total, rooms, big, &args.room_prefix, args.pid).await;
    }
    if let Some(secs) = args.soak {
        let (users, rooms) = (args.users, args.rooms);
        return soak::run(&args.addr, secs, users, rooms, args.pid, &args.wal).await;
    }
    if let Some(pid_file) = &args.storm {
        let (users, rooms) = (args.users, args.rooms);
        return storm::run(
            &args.addr,
            users,
            rooms,
            args.pid,
            pid_file,
            &args.room_prefix,
        )
        .await;
    }
    if let Some(path) = &args.get {
        return timing::get(&args.addr, path, args.requests).await;
    }
    if let Some(room) = &args.replay {
        return timing::replay(&args.addr, room, args.requests).await;
    }
    if let Some(path) = &args.ttfb {
        let cookie = if args.signed_in {
            let token = http::member(&args.addr, "reader", path).await;
            Some(format!("cloud_msg_session={token}"))
        } else {
            None
        };
        http::ttfb(&args.addr, path, args.requests, cookie.as_deref()).await;
        http::throughput(&args.addr, path, args.conns, args.secs, cookie.as_deref()).await;
        return;
    }
    let rss_before = args.pid.map(probe::rss_kib).unwrap_or(0);
    let started = Instant::now();
    let sh = Rc::new(Shared {
        t0: Instant::now(),
        step: Cell::new(0),
        step_start: Cell::new(Instant::now()),
        rate: Cell::new(args.rate),
        sending: Cell::new(false),
        durable: args.durable,
        markers: args.markers,
        senders: args.senders.min(args.users),
        open: Cell::new(0),
        joined: Cell::new(0),
        joins_answered: tokio::sync::Notify::new(),
        steps: RefCell::new(vec![StepStats::new()]),
        marker: memchr::memmem::Finder::new(b"\"text\":\"t:").into_owned(),
        seq_marker: memchr::memmem::Finder::new(b"\"seq\":").into_owned(),
    });

    // Sign in (50 at a time), then connect and join.
    let mut tokens = Vec::with_capacity(args.users);
    for chunk in (0..args.users).collect::<Vec<_>>().chunks(50) {
        let names: Vec<String> = chunk.iter().map(|i| format!("load{i}")).collect();
        let futs = names.iter().map(|name| http::sign_in(&args.addr, name));
        tokens.extend(futures::future::join_all(futs).await);
    }
    let mut members = vec![0u64; args.rooms];
    for i in 0..args.users {
        members[i % args.rooms] += 1;
    }
    // One after another (a gentle ramp), or with `--burst` all at once, as after a restart.
    let mut opening = Vec::new();
    for (i, token) in tokens.into_iter().enumerate() {
        let node = args.node_of(i, sh.senders).to_owned();
        let room = format!("{}-{}", args.room_prefix, i % args.rooms);
        let sender = (i < sh.senders).then(|| (i, members[i % args.rooms]));
        let sh = sh.clone();
        let open = async move {
            let socket = Socket::open(&node, &token)
                .await
                .unwrap_or_else(|e| panic!("socket {i} did not open: {e}"));
            sh.open.set(sh.open.get() + 1);
            tokio::task::spawn_local(socket::run(socket, room, sender, sh));
        };
        if args.burst {
            opening.push(tokio::task::spawn_local(open));
        } else {
            open.await;
        }
    }
    for task in opening {
        task.await.expect("a socket did not open");
    }
    println!(
        "connected: {} sockets over {} rooms in {:.1}s",
        args.users,
        args.rooms,
        started.elapsed().as_secs_f64()
    );
    // Every join answered (each membership stored, each socket subscribed) before measuring.
    let all_joined = async {
        while sh.joined.get() < args.users {
            sh.joins_answered.notified().await;
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), all_joined)
        .await
        .is_err()
    {
        panic!(
            "only {} of {} joins were answered within 120 s",
            sh.joined.get(),
            args.users
        );
    }
    println!(
        "joined: {} sockets in {:.1}s",
        args.users,
        started.elapsed().as_secs_f64()
    );

    if let Some(idle) = args.idle {
        tokio::time::sleep(Duration::from_secs_f64(idle)).await;
        let rss = args.pid.map(probe::rss_kib).unwrap_or(0);
        println!(
            "idle: {} of {} sockets open after {idle:.0}s; server RSS: {rss} KiB ({rss_before} KiB before), {:.2} KiB per connection",
            sh.open.get(),
            args.users,
            rss.saturating_sub(rss_before) as f64 / args.users as f64
        );
        return;
    }

    let rates = if args.steps.is_empty() {
        vec![args.rate]
    } else {
        args.steps.clone()
    };
    let stepping = !args.steps.is_empty();
    let mut best: Option<(f64, f64, f64)> = None;
    for (i, rate) in rates.into_iter().enumerate() {
        if i > 0 {
            sh.steps.borrow_mut().push(StepStats::new());
        }
        let report = run_step(&args, &sh, i, rate).await;
        if stepping {
            let ok = report.lost == 0 && report.p99_ms <= args.p99_max_ms;
            println!(
                "step {i}: {rate} msgs/s per sender: {:.0} deliveries/s, p99 {:.2} ms, lost {} -> {}",
                report.per_sec,
                report.p99_ms,
                report.lost,
                if ok { "sustained" } else { "not sustained" }
            );
            if !ok {
                break;
            }
            best = Some((report.per_sec, report.p99_ms, report.loadgen_share));
        }
    }
    if stepping {
        match best {
            Some((per_sec, p99, share)) => println!(
                "max: {per_sec:.0} deliveries/s sustained with p99 {p99:.2} ms <= {} ms and nothing lost (loadgen at {:.0}% of its core)",
                args.p99_max_ms,
                share * 100.0
            ),
            None => println!("max: not even the first step was sustained"),
        }
    }
}

struct StepReport {
    per_sec: f64,
    p99_ms: f64,
    lost: u64,
    loadgen_share: f64,
}

async fn run_step(args: &Args, sh: &Rc<Shared>, step: usize, rate: f64) -> StepReport {
    let server = Meter::start(args.pid);
    let me = Meter::start(Some(std::process::id()));
    sh.rate.set(rate);
    sh.step.set(step);
    sh.step_start
        .set(Instant::now() + Duration::from_millis(10));
    sh.sending.set(true);
    let start = Instant::now();
    // A long run says what each minute did, so a rate that sinks over time shows.
    let end = start + Duration::from_secs_f64(args.secs);
    let (mut minute, mut acked_before, mut received_before) = (0, 0, 0);
    while Instant::now() < end {
        let whole = start + Duration::from_secs(60 * (minute + 1));
        tokio::time::sleep_until(whole.min(end).into()).await;
        if args.secs < 120.0 || whole > end {
            continue;
        }
        minute += 1;
        let s = &sh.steps.borrow()[step];
        println!(
            "minute {minute}: {} acked/s, {} deliveries/s",
            (s.acked - acked_before) / 60,
            (s.received - received_before) / 60
        );
        (acked_before, received_before) = (s.acked, s.received);
    }
    sh.sending.set(false);
    let send_secs = start.elapsed().as_secs_f64();
    // Let the last deliveries arrive.
    let drain_until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < drain_until {
        let done = {
            let s = &sh.steps.borrow()[step];
            s.received >= s.expected && (!args.durable || s.acked >= s.sent)
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let server_cpu = server.cpu();
    let my_cpu = me.cpu();
    let steps = sh.steps.borrow();
    let s = &steps[step];
    let h = &s.latency_us;
    let ms = |v: u64| v as f64 / 1000.0;
    let lost = s.expected.saturating_sub(s.received);
    let per_sec = s.received as f64 / send_secs;
    println!(
        "sent: {} in {send_secs:.1}s; acked: {} ({:.0}/s)",
        s.sent,
        s.acked,
        s.acked as f64 / send_secs
    );
    println!(
        "deliveries: expected {}, received {}, lost {lost}; {per_sec:.0} deliveries/s",
        s.expected, s.received
    );
    println!(
        "latency ms: p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.9)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
    if args.markers {
        println!(
            "markers: {} read markers sent ({:.0}/s); {} receipts frames received, {:.0} per message sent",
            s.markers,
            s.markers as f64 / send_secs,
            s.receipt_frames,
            s.receipt_frames as f64 / s.sent.max(1) as f64
        );
    }
    if args.pid.is_some() {
        let per100k = if s.received > 0 {
            server_cpu / s.received as f64 * 100_000.0
        } else {
            0.0
        };
        println!(
            "server: {server_cpu:.2} CPU-s ({per100k:.3} CPU-s per 100k deliveries), RSS {} KiB",
            server.rss()
        );
    }
    println!(
        "loadgen: {my_cpu:.2} CPU-s ({:.0}% of one core)",
        my_cpu / send_secs * 100.0
    );
    StepReport {
        per_sec,
        p99_ms: ms(h.value_at_quantile(0.99)),
        lost,
        loadgen_share: my_cpu / send_secs,
    }
}
