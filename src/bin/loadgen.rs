//! Load generator for cloud_msg, speaking the public protocol over loopback.
//!
//! Signs in N users, opens their sockets over R rooms (user i joins room i % R), and lets
//! S of them send at a fixed rate each, spaced evenly. Every text carries its send time, so
//! every receiver measures latency on one clock. Reports deliveries, loss, latency
//! percentiles, the server's RSS and CPU (from /proc for `--pid`) and the generator's own
//! CPU, so a generator-bound run shows. One current-thread runtime, 4 KiB read buffers.
//!
//! ```text
//! loadgen --url 127.0.0.1:3000 --users 1000 --rooms 1 --senders 5 --rate 20 --secs 10 --pid 1234
//! loadgen ... --idle 30            # connect, join, hold for 30 s, report memory only
//! loadgen ... --durable            # senders send as fast as acks allow; report acked/s
//! loadgen ... --ttfb /r/general --requests 1000
//! ```

use std::{
    cell::RefCell,
    collections::HashMap,
    rc::Rc,
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tokio_tungstenite::tungstenite::{
    client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig, Message,
};

#[derive(Debug, Clone)]
struct Args {
    addr: String,
    users: usize,
    rooms: usize,
    senders: usize,
    rate: f64,
    secs: f64,
    pid: Option<u32>,
    idle: Option<f64>,
    durable: bool,
    ttfb: Option<String>,
    requests: usize,
    room_prefix: String,
}

fn parse_args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:3000".into(),
        users: 100,
        rooms: 1,
        senders: 1,
        rate: 10.0,
        secs: 5.0,
        pid: None,
        idle: None,
        durable: false,
        ttfb: None,
        requests: 1000,
        room_prefix: format!("load{}", std::process::id()),
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let v = || argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--url" => {
                a.addr = v()
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .into()
            }
            "--users" => a.users = v().parse().expect("--users N"),
            "--rooms" => a.rooms = v().parse().expect("--rooms N"),
            "--senders" => a.senders = v().parse().expect("--senders N"),
            "--rate" => a.rate = v().parse().expect("--rate msgs/s per sender"),
            "--secs" => a.secs = v().parse().expect("--secs S"),
            "--pid" => a.pid = Some(v().parse().expect("--pid PID")),
            "--idle" => a.idle = Some(v().parse().expect("--idle S")),
            "--ttfb" => a.ttfb = Some(v()),
            "--requests" => a.requests = v().parse().expect("--requests N"),
            "--room-prefix" => a.room_prefix = v(),
            "--durable" => {
                a.durable = true;
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    a
}

/// CPU seconds (user + system) of a process, from /proc.
fn cpu_secs(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Resident memory of a process in KiB, from /proc.
fn rss_kib(pid: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A one-shot HTTP/1.1 request over loopback; returns (status, body).
async fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.expect("server reachable");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

async fn sign_in(addr: &str, name: String) -> String {
    let (status, body) = http(
        addr,
        "POST",
        "/api/session",
        &format!(r#"{{"name":"{name}"}}"#),
    )
    .await;
    assert_eq!(status, 200, "sign-in failed: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("session JSON");
    v["token"].as_str().expect("token").to_owned()
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

async fn open(addr: &str, token: &str) -> Ws {
    let mut req = format!("ws://{addr}/ws").into_client_request().unwrap();
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false)
        .await
        .expect("socket opens");
    ws
}

#[derive(Default)]
struct Stats {
    received: u64,
    acked: u64,
    sent: u64,
    lat: Option<Histogram<u64>>,
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
    if let Some(path) = &args.ttfb {
        return ttfb(&args, path).await;
    }
    let me = std::process::id().to_string();
    let server = args.pid.map(|p| p.to_string());
    let rss_before = server.as_deref().map(rss_kib).unwrap_or(0);
    let t0 = Instant::now();

    // Sign in (a handful at a time) and connect.
    let mut tokens = Vec::with_capacity(args.users);
    for chunk in (0..args.users).collect::<Vec<_>>().chunks(50) {
        let futs = chunk
            .iter()
            .map(|i| sign_in(&args.addr, format!("load{i}")));
        tokens.extend(futures::future::join_all(futs).await);
    }
    let stats = Rc::new(RefCell::new(Stats {
        lat: Some(Histogram::new_with_bounds(1, 60_000_000, 3).unwrap()),
        ..Default::default()
    }));
    let mut writers = Vec::with_capacity(args.users);
    let mut members: HashMap<usize, u64> = HashMap::new();
    for (i, token) in tokens.iter().enumerate() {
        let ws = open(&args.addr, token).await;
        let (mut tx, mut rx) = ws.split();
        let room = format!("{}-{}", args.room_prefix, i % args.rooms);
        *members.entry(i % args.rooms).or_default() += 1;
        let join = format!(r#"{{"type":"join","room":"{room}"}}"#);
        tx.send(Message::text(join)).await.unwrap();
        let stats = stats.clone();
        tokio::task::spawn_local(async move {
            while let Some(Ok(msg)) = rx.next().await {
                let Message::Text(t) = msg else { continue };
                let t = t.as_str();
                if t.starts_with(r#"{"type":"message""#) {
                    // The send time is the number after "t:" in the text.
                    if let Some(sent) = t
                        .split("\"text\":\"t:")
                        .nth(1)
                        .and_then(|r| r.split('|').next())
                        .and_then(|n| n.parse::<u64>().ok())
                    {
                        let now = t0.elapsed().as_micros() as u64;
                        let mut s = stats.borrow_mut();
                        s.received += 1;
                        let _ = s
                            .lat
                            .as_mut()
                            .unwrap()
                            .record(now.saturating_sub(sent).max(1));
                    }
                } else if t.starts_with(r#"{"type":"ack""#) {
                    stats.borrow_mut().acked += 1;
                }
            }
        });
        writers.push((tx, room));
    }
    let connect_secs = t0.elapsed().as_secs_f64();
    println!(
        "connected: {} sockets over {} rooms in {connect_secs:.1}s",
        args.users, args.rooms
    );
    // Let every join (and its membership write) land before measuring.
    tokio::time::sleep(Duration::from_millis(500 + 2 * args.users as u64)).await;

    if let Some(idle) = args.idle {
        tokio::time::sleep(Duration::from_secs_f64(idle)).await;
        if let Some(pid) = server.as_deref() {
            let rss = rss_kib(pid);
            println!(
                "server RSS: {rss} KiB ({} KiB before), {:.2} KiB per connection",
                rss_before,
                (rss.saturating_sub(rss_before)) as f64 / args.users as f64
            );
        }
        return;
    }

    // Senders: the first S users, spread over the rooms by construction (i % R).
    let server_cpu0 = server.as_deref().map(cpu_secs).unwrap_or(0.0);
    let my_cpu0 = cpu_secs(&me);
    let start = Instant::now();
    let deadline = Duration::from_secs_f64(args.secs);
    let mut expected = 0u64;
    let senders: Vec<_> = writers.drain(..args.senders.min(args.users)).collect();
    let mut handles = Vec::new();
    for (k, (mut tx, room)) in senders.into_iter().enumerate() {
        let room_members = members[&(k % args.rooms)];
        let stats = stats.clone();
        let rate = args.rate;
        let durable = args.durable;
        let senders = args.senders;
        let offset = Duration::from_secs_f64(k as f64 / (rate * args.senders as f64).max(1.0));
        handles.push(tokio::task::spawn_local(async move {
            let mut n = 0u64;
            if durable {
                // As fast as acks allow: at most 32 unacked sends per sender.
                let limit = 32 * senders as u64;
                while start.elapsed() < deadline {
                    while {
                        let s = stats.borrow();
                        s.sent - s.acked >= limit
                    } {
                        tokio::time::sleep(Duration::from_micros(200)).await;
                    }
                    send(&mut tx, &room, t0, n).await;
                    stats.borrow_mut().sent += 1;
                    n += 1;
                }
            } else {
                tokio::time::sleep(offset).await;
                let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                while start.elapsed() < deadline {
                    tick.tick().await;
                    send(&mut tx, &room, t0, n).await;
                    stats.borrow_mut().sent += 1;
                    n += 1;
                }
            }
            (n * room_members, tx)
        }));
    }
    let mut keep = Vec::new();
    for h in handles {
        let (e, tx) = h.await.unwrap();
        expected += e;
        keep.push(tx);
    }
    let send_secs = start.elapsed().as_secs_f64();
    // Let the last deliveries arrive.
    let drain_until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < drain_until {
        let s = stats.borrow();
        if s.received >= expected && (!args.durable || s.acked >= s.sent) {
            break;
        }
        drop(s);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let s = stats.borrow();
    let h = s.lat.as_ref().unwrap();
    let server_cpu = server.as_deref().map(cpu_secs).unwrap_or(0.0) - server_cpu0;
    let my_cpu = cpu_secs(&me) - my_cpu0;
    let ms = |v: u64| v as f64 / 1000.0;
    println!(
        "sent: {} in {send_secs:.1}s; acked: {} ({:.0}/s)",
        s.sent,
        s.acked,
        s.acked as f64 / send_secs
    );
    println!(
        "deliveries: expected {expected}, received {}, lost {}; {:.0} deliveries/s",
        s.received,
        expected.saturating_sub(s.received),
        s.received as f64 / send_secs
    );
    println!(
        "latency ms: p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.9)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
    if server.is_some() {
        let per100k = if s.received > 0 {
            server_cpu / s.received as f64 * 100_000.0
        } else {
            0.0
        };
        println!(
            "server: {server_cpu:.2} CPU-s ({per100k:.3} CPU-s per 100k deliveries), RSS {} KiB",
            rss_kib(server.as_deref().unwrap())
        );
    }
    println!(
        "loadgen: {my_cpu:.2} CPU-s ({:.0}% of one core)",
        my_cpu / send_secs * 100.0
    );
}

async fn send(tx: &mut futures::stream::SplitSink<Ws, Message>, room: &str, t0: Instant, n: u64) {
    let now = t0.elapsed().as_micros();
    let frame = format!(
        r#"{{"type":"send","room":"{room}","client_id":"{}","text":"t:{now}|{n}"}}"#,
        uuid::Uuid::new_v4()
    );
    tx.send(Message::text(frame)).await.expect("send");
}

async fn ttfb(args: &Args, path: &str) {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let start = Instant::now();
    for _ in 0..args.requests {
        let t = Instant::now();
        let mut s = TcpStream::connect(&args.addr).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            args.addr
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut first = [0u8; 1];
        s.read_exact(&mut first).await.unwrap();
        h.record(t.elapsed().as_micros() as u64).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ttfb {path}: {} requests, p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s (sequential)",
        args.requests,
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        args.requests as f64 / secs
    );
}
