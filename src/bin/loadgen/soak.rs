//! `--soak SECS --users N --rooms R`: a day of a team's use, pressed into minutes. N people,
//! each a member of three of the R rooms, on sockets in one of them at a time, read every
//! message (and say `read` as the browser does, at most every 400 ms), while per second 100
//! messages go out, 10 reactions come and go, 20 people type, 5 move to another of their
//! rooms (`leave`, then `join` with `since`), and 2 visitors sign in (and out again), 2
//! search and 10 load a room page. The people and their rooms stay the same, so a steady
//! server stays the same size. Each minute prints the messages' delivery p99, the
//! HTTP p99 of each kind of request, and the server's RSS, open files, WAL size and CPU
//! (`--pid`, `--wal PATH`) with the steal on both cores; at the end, how each grew from the
//! fifth minute to the last, and the p50 and p99 of minutes 5–9 against the last five.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use tokio::sync::mpsc;

use crate::{
    http, probe,
    rng::Rng,
    wire::{self, Frame, Socket},
};

/// Per second, over the whole soak.
const MESSAGES: f64 = 100.0;
const REACTIONS: f64 = 10.0;
const TYPING: f64 = 20.0;
const MOVES: f64 = 5.0;
const SIGN_INS: f64 = 2.0;
const SEARCHES: f64 = 2.0;
const PAGES: f64 = 10.0;
const MARKER_INTERVAL: Duration = Duration::from_millis(400);
/// Each person's rooms: `i`, `i + 7` and `i + 19` (mod R).
const THEIR_ROOMS: [usize; 3] = [0, 7, 19];
const WORDS: &[&str] = &["deploy", "review", "lunch", "the", "release", "fix"];

/// The HTTP requests, each timed on its own: a sign-in (and its sign-out), a search, a
/// room page.
const KINDS: [&str; 3] = ["sign-in", "search", "page"];

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap()
}

struct Minute {
    delivery_us: Histogram<u64>,
    http_us: [Histogram<u64>; 3],
    delivered: u64,
    errors: u64,
}

impl Minute {
    fn new() -> Self {
        Self {
            delivery_us: histogram(),
            http_us: [histogram(), histogram(), histogram()],
            delivered: 0,
            errors: 0,
        }
    }
}

struct Soak {
    t0: Instant,
    rooms: usize,
    /// The newest `seq` seen per room (reactions go to recent messages).
    newest: RefCell<Vec<u64>>,
    minute: RefCell<Minute>,
    marker: memchr::memmem::Finder<'static>,
    seq_marker: memchr::memmem::Finder<'static>,
    room_marker: memchr::memmem::Finder<'static>,
    joined: Cell<usize>,
    open: Cell<usize>,
}

/// What the driver asks a person to do, in the room they are in.
enum Ask {
    Send(String),
    React {
        undo: bool,
    },
    Typing,
    /// Leave the room and join this one of theirs (an index into `THEIR_ROOMS`) with `since`.
    Move(usize),
}

#[derive(Default, Clone, Copy)]
struct Sample {
    rss: u64,
    fds: u64,
    wal: u64,
    p99: f64,
}

/// The minutes `from..to` together (five minutes hold 600 searches, where one minute's
/// p99 is its second slowest).
fn merged(
    minutes: &[Minute],
    from: usize,
    to: usize,
    pick: &dyn Fn(&Minute) -> &Histogram<u64>,
) -> Histogram<u64> {
    let mut all = histogram();
    for m in &minutes[from..to] {
        let _ = all.add(pick(m));
    }
    all
}

pub async fn run(addr: &str, secs: f64, users: usize, rooms: usize, pid: Option<u32>, wal: &str) {
    let sh = Rc::new(Soak {
        t0: Instant::now(),
        rooms,
        newest: RefCell::new(vec![0; rooms]),
        minute: RefCell::new(Minute::new()),
        marker: memchr::memmem::Finder::new(b"\"text\":\"t:").into_owned(),
        seq_marker: memchr::memmem::Finder::new(b"\"seq\":").into_owned(),
        room_marker: memchr::memmem::Finder::new(b"\"room\":\"soak-").into_owned(),
        joined: Cell::new(0),
        open: Cell::new(0),
    });
    let mut asks = Vec::with_capacity(users);
    for chunk in (0..users).collect::<Vec<_>>().chunks(50) {
        let names: Vec<String> = chunk.iter().map(|i| format!("soak{i}")).collect();
        let futs = names.iter().map(|name| http::sign_in(addr, name));
        for (k, token) in futures::future::join_all(futs)
            .await
            .into_iter()
            .enumerate()
        {
            let i = chunk[k];
            let ws = Socket::open(addr, &token).await.expect("soak socket");
            let (tx, rx) = mpsc::unbounded_channel();
            asks.push(tx);
            sh.open.set(sh.open.get() + 1);
            tokio::task::spawn_local(person(ws, i % rooms, rx, sh.clone()));
        }
    }
    while sh.joined.get() < users {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "soak: {users} people over {rooms} rooms; per second {MESSAGES} messages, {REACTIONS} reactions, \
         {TYPING} typing, {MOVES} room changes, {SIGN_INS} sign-ins, {SEARCHES} searches, {PAGES} pages"
    );
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    let mut rand = move |n: usize| rng.below(n);
    let start = Instant::now();
    let tick = Duration::from_millis(10);
    let mut due = [0.0f64; 7];
    let rates = [
        MESSAGES, REACTIONS, TYPING, MOVES, SIGN_INS, SEARCHES, PAGES,
    ];
    let mut samples: Vec<Sample> = Vec::new();
    let mut minutes: Vec<Minute> = Vec::new();
    let mut cpu_before = pid.map(probe::cpu_secs).unwrap_or(0.0);
    let mut steal_before = [probe::steal_secs(0), probe::steal_secs(1)];
    let mut next_minute = start + Duration::from_secs(60);
    let disk = probe::DiskProbe::start(
        std::path::Path::new(wal)
            .parent()
            .unwrap_or(std::path::Path::new(".")),
    );
    let (mut sent, mut visitor) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < secs {
        tokio::time::sleep(tick).await;
        for (d, r) in due.iter_mut().zip(rates) {
            *d += r * tick.as_secs_f64();
        }
        while due[0] >= 1.0 {
            due[0] -= 1.0;
            let now = sh.t0.elapsed().as_micros();
            let text = format!("t:{now}|0|{sent} {}", WORDS[sent as usize % WORDS.len()]);
            sent += 1;
            let _ = asks[rand(users)].send(Ask::Send(text));
        }
        while due[1] >= 1.0 {
            due[1] -= 1.0;
            let undo = rand(2) == 0;
            let _ = asks[rand(users)].send(Ask::React { undo });
        }
        while due[2] >= 1.0 {
            due[2] -= 1.0;
            let _ = asks[rand(users)].send(Ask::Typing);
        }
        while due[3] >= 1.0 {
            due[3] -= 1.0;
            let _ = asks[rand(users)].send(Ask::Move(rand(THEIR_ROOMS.len())));
        }
        for (kind, (k, path)) in [(4usize, None), (5, Some("search")), (6, Some("page"))]
            .into_iter()
            .enumerate()
        {
            while due[k] >= 1.0 {
                due[k] -= 1.0;
                let (sh, addr) = (sh.clone(), addr.to_owned());
                let n = visitor;
                visitor += 1;
                let path = path.map(|p| match p {
                    "search" => format!("/search?q={}", WORDS[n as usize % WORDS.len()]),
                    _ => format!("/r/soak-{}", n as usize % sh.rooms),
                });
                tokio::task::spawn_local(async move {
                    let t = Instant::now();
                    let ok = match path {
                        None => {
                            let body = format!(r#"{{"name":"visitor{n}"}}"#);
                            let (status, body) =
                                http::request(&addr, "POST", "/api/session", &body).await;
                            let token = serde_json::from_str::<serde_json::Value>(&body)
                                .ok()
                                .and_then(|v| v["token"].as_str().map(str::to_owned));
                            match (status, token) {
                                (200, Some(token)) => {
                                    let out = http::request_as(
                                        &addr,
                                        "DELETE",
                                        "/api/session",
                                        "",
                                        Some(&token),
                                    );
                                    out.await.0 == 204
                                }
                                _ => false,
                            }
                        }
                        Some(p) => http::request(&addr, "GET", &p, "").await.0 == 200,
                    };
                    let mut m = sh.minute.borrow_mut();
                    let _ = m.http_us[kind].record(t.elapsed().as_micros().max(1) as u64);
                    m.errors += u64::from(!ok);
                });
            }
        }
        if Instant::now() >= next_minute {
            next_minute += Duration::from_secs(60);
            let m = sh.minute.replace(Minute::new());
            let ms = |v: u64| v as f64 / 1000.0;
            let s = Sample {
                rss: pid.map(probe::rss_kib).unwrap_or(0),
                fds: pid.map(fds).unwrap_or(0),
                wal: std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0),
                p99: ms(m.delivery_us.value_at_quantile(0.99)),
            };
            samples.push(s);
            let cpu = pid.map(probe::cpu_secs).unwrap_or(0.0);
            let steal = [probe::steal_secs(0), probe::steal_secs(1)];
            let http: Vec<String> = KINDS
                .iter()
                .zip(&m.http_us)
                .map(|(kind, h)| format!("{kind} {:.2}", ms(h.value_at_quantile(0.99))))
                .collect();
            println!(
                "minute {}: {} deliveries, p99 {:.2} ms (max {:.2}); http p99 ms: {}; {} errors; \
                 server RSS {} KiB, {} open files, WAL {} MB, CPU {:.0}%; steal {:.1}% on CPU 0, {:.1}% on 1; \
                 slowest disk sync {:.1} ms; {} of {users} sockets open",
                samples.len(),
                m.delivered,
                s.p99,
                ms(m.delivery_us.max()),
                http.join(", "),
                m.errors,
                s.rss,
                s.fds,
                s.wal / 1_048_576,
                (cpu - cpu_before) / 0.6,
                (steal[0] - steal_before[0]) / 0.6,
                (steal[1] - steal_before[1]) / 0.6,
                ms(disk.take_max_us()),
                sh.open.get()
            );
            (cpu_before, steal_before) = (cpu, steal);
            minutes.push(m);
        }
    }
    if samples.len() > 5 {
        let (first, last) = (samples[4], *samples.last().unwrap());
        let peak = |f: fn(&Sample) -> f64| samples[4..].iter().map(f).fold(0.0, f64::max);
        let growth = |a: f64, b: f64| (b - a) / a.max(1e-9) * 100.0;
        println!(
            "soak: from minute 5 to {}: RSS {:+.1}% (peak {:.0} KiB), open files {:+.1}%, \
             delivery p99 {:.2} -> {:.2} ms (worst minute {:.2}); largest WAL {} MB",
            samples.len(),
            growth(first.rss as f64, last.rss as f64),
            peak(|s| s.rss as f64),
            growth(first.fds as f64, last.fds as f64),
            first.p99,
            last.p99,
            peak(|s| s.p99),
            samples.iter().map(|s| s.wal).max().unwrap_or(0) / 1_048_576
        );
    }
    // Five minutes against five: from the fifth minute, and the last five.
    let n = minutes.len();
    if n >= 10 {
        let windows = |pick: &dyn Fn(&Minute) -> &Histogram<u64>| {
            let (a, b) = (
                merged(&minutes, 4, 9, pick),
                merged(&minutes, n - 5, n, pick),
            );
            let at = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
            let (a50, b50, a99, b99) = (at(&a, 0.5), at(&b, 0.5), at(&a, 0.99), at(&b, 0.99));
            format!(
                "p50 {a50:.2} -> {b50:.2} ms ({:+.0}%), p99 {a99:.2} -> {b99:.2} ms ({:+.0}%)",
                (b50 - a50) / a50.max(1e-9) * 100.0,
                (b99 - a99) / a99.max(1e-9) * 100.0
            )
        };
        let mut parts = vec![format!("delivery {}", windows(&|m| &m.delivery_us))];
        for (k, kind) in KINDS.iter().enumerate() {
            parts.push(format!("{kind} {}", windows(&|m| &m.http_us[k])));
        }
        println!(
            "soak: minutes 5-9 against {}-{n}: {}",
            n - 4,
            parts.join("; ")
        );
    }
}

fn fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// One person: in one room at a time, reading all of it.
async fn person(mut ws: Socket, home: usize, mut asks: mpsc::UnboundedReceiver<Ask>, sh: Rc<Soak>) {
    let mine = THEIR_ROOMS.map(|k| (home + k) % sh.rooms);
    let mut room = home;
    let join = |room: usize, since: u64| {
        format!(r#"{{"type":"join","room":"soak-{room}","since":{since}}}"#)
    };
    // A member of all three rooms, then in the first only.
    for r in mine {
        if ws.send_text(&join(r, 0)).await.is_err() {
            return;
        }
    }
    let (mut seen, mut reported, mut joins) = (0u64, 0u64, 0);
    let mut next_mark = Instant::now() + MARKER_INTERVAL;
    // As the browser: one `typing` at most every 3 s.
    let mut typed = Instant::now() - Duration::from_secs(3);
    let mut pings = Vec::new();
    loop {
        tokio::select! {
            r = ws.fill() => {
                if !matches!(r, Ok(true)) {
                    break;
                }
                let mut closed = false;
                while let Some(frame) = ws.next_frame() {
                    match frame {
                        Frame::Text(t) if t.starts_with(br#"{"type":"message""#) => {
                            let seq = seq_of(&sh, t);
                            // A frame names its room: after a move, the last messages
                            // of the room left still arrive, and their numbers are not
                            // the new room's (a reaction to one was refused).
                            let from = wire::number_after(&sh.room_marker, t)
                                .map(|r| r as usize)
                                .filter(|&r| r < sh.rooms);
                            if from == Some(room) {
                                seen = seen.max(seq);
                            }
                            // Reactions go to messages, not to other reactions.
                            if record(&sh, t) {
                                if let Some(from) = from {
                                    let mut newest = sh.newest.borrow_mut();
                                    newest[from] = newest[from].max(seq);
                                }
                            }
                        }
                        Frame::Text(t) if t.starts_with(br#"{"type":"joined""#) => {
                            joins += 1;
                            if joins == mine.len() {
                                sh.joined.set(sh.joined.get() + 1);
                            }
                        }
                        Frame::Text(t) if t.starts_with(br#"{"type":"error""#) => {
                            let mut m = sh.minute.borrow_mut();
                            m.errors += 1;
                            if m.errors <= 3 {
                                eprintln!("soak: {}", String::from_utf8_lossy(t));
                            }
                        }
                        Frame::Ping(p) => pings.push(p.to_vec()),
                        Frame::Close => closed = true,
                        _ => {}
                    }
                }
                ws.answer_pings(&mut pings).await;
                if closed {
                    break;
                }
                if joins == mine.len() {
                    joins += 1;
                    for r in &mine[1..] {
                        let leave = format!(r#"{{"type":"leave","room":"soak-{r}"}}"#);
                        if ws.send_text(&leave).await.is_err() {
                            break;
                        }
                    }
                }
            }
            ask = asks.recv() => {
                let frame = match ask {
                    None => break,
                    Some(Ask::Send(text)) => format!(
                        r#"{{"type":"send","room":"soak-{room}","client_id":"{}","text":"{text}"}}"#,
                        uuid::Uuid::now_v7()
                    ),
                    Some(Ask::React { undo }) => {
                        let seq = sh.newest.borrow()[room];
                        if seq == 0 {
                            continue;
                        }
                        let undo = if undo { r#","undo":true"# } else { "" };
                        format!(
                            r#"{{"type":"react","room":"soak-{room}","seq":{seq},"client_id":"{}","emoji":"👍"{undo}}}"#,
                            uuid::Uuid::now_v7()
                        )
                    }
                    Some(Ask::Typing) if typed.elapsed() >= Duration::from_secs(3) => {
                        typed = Instant::now();
                        format!(r#"{{"type":"typing","room":"soak-{room}"}}"#)
                    }
                    Some(Ask::Typing) => continue,
                    Some(Ask::Move(k)) if mine[k] != room => {
                        let to = mine[k];
                        let leave = format!(r#"{{"type":"leave","room":"soak-{room}"}}"#);
                        if ws.send_text(&leave).await.is_err() {
                            break;
                        }
                        room = to;
                        seen = sh.newest.borrow()[room];
                        reported = seen;
                        join(room, seen)
                    }
                    Some(Ask::Move(_)) => continue,
                };
                if ws.send_text(&frame).await.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep_until(next_mark.into()) => {
                next_mark = Instant::now() + MARKER_INTERVAL;
                if seen > reported {
                    reported = seen;
                    let read = format!(r#"{{"type":"read","room":"soak-{room}","seq":{seen}}}"#);
                    if ws.send_text(&read).await.is_err() {
                        break;
                    }
                }
            }
        }
    }
    sh.open.set(sh.open.get() - 1);
}

fn seq_of(sh: &Soak, frame: &[u8]) -> u64 {
    wire::number_after(&sh.seq_marker, frame).unwrap_or(0)
}

/// Times a message the soak sent (its text carries the send time); false for any other
/// entry (a reaction, say).
fn record(sh: &Soak, frame: &[u8]) -> bool {
    let Some(sent) = wire::number_after(&sh.marker, frame) else {
        return false;
    };
    let now = sh.t0.elapsed().as_micros() as u64;
    let mut m = sh.minute.borrow_mut();
    m.delivered += 1;
    let _ = m.delivery_us.record(now.saturating_sub(sent).max(1));
    true
}
