//! The reconnect storm (`--storm PIDFILE`): N people connected over R rooms, the server
//! restarted under them, and every one back at once with `since`.
//!
//! 1. Sign in, connect and join (one after another), then one person per room sends
//!    `SEEDED` messages and everyone sees them.
//! 2. Measure the idle server, print `ready:` and wait: the caller restarts the server on
//!    the same data (SIGTERM, start again) and writes the new server's pid to PIDFILE.
//! 3. Every socket closed by the old server tries again every `RETRY` with no jitter
//!    (worse than a browser, whose first retry is 0.5-1.5 s): all arrive at once. Each
//!    joins with `since` = the last seq it saw. After its own `joined`, the room's first
//!    person sends `AFTER` more.
//! 4. A person is caught up when its `joined` came and it has seen its room's last seq.
//!    Reported: the time from the new server's first accepted socket until everyone is,
//!    the `presence` frames each room's sockets got (against its members), the server's
//!    peak RSS (against the idle figure) and CPU, and any message lost or repeated.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
    time::{Duration, Instant},
};

use crate::{
    http, probe,
    wire::{self, Frame, Socket},
};

/// Messages each room has before the restart.
const SEEDED: u64 = 20;
/// Messages each room's first person sends once back.
const AFTER: u64 = 5;
/// How often a socket the old server closed tries to connect again.
const RETRY: Duration = Duration::from_millis(100);
/// The storm's limit: past it, whoever is not caught up is reported and the run ends.
const LIMIT: Duration = Duration::from_secs(60);

/// The run's shared counters (one thread).
struct Storm {
    users: usize,
    rooms: usize,
    /// People whose `joined` came in this generation.
    joined: Cell<usize>,
    /// People caught up after the restart.
    caught_up: Cell<usize>,
    /// When the new server first accepted a socket.
    first_back: Cell<Option<Instant>>,
    /// When the last person was caught up.
    all_back: Cell<Option<Instant>>,
    /// Sockets the old server closed.
    closed: Cell<usize>,
    /// Per room: `presence` frames received after the restart, and members.
    presence: RefCell<Vec<(u64, u64)>>,
    /// Messages after `since` seen twice, or with a seq skipped.
    repeated: Cell<u64>,
    skipped: Cell<u64>,
    /// Connection attempts after the restart (refused ones included).
    attempts: Cell<u64>,
    woken: tokio::sync::Notify,
    seq: memchr::memmem::Finder<'static>,
}

pub async fn run(
    addr: &str,
    users: usize,
    rooms: usize,
    pid: Option<u32>,
    pid_file: &str,
    prefix: &str,
) {
    let pid = pid.expect("--storm needs --pid (the server's)");
    let started = Instant::now();
    let mut tokens = Vec::with_capacity(users);
    for chunk in (0..users).collect::<Vec<_>>().chunks(50) {
        let names: Vec<String> = chunk.iter().map(|i| format!("storm{i}")).collect();
        let futs = names.iter().map(|name| http::sign_in(addr, name));
        tokens.extend(futures::future::join_all(futs).await);
    }
    let st = Rc::new(Storm {
        users,
        rooms,
        joined: Cell::new(0),
        caught_up: Cell::new(0),
        first_back: Cell::new(None),
        all_back: Cell::new(None),
        closed: Cell::new(0),
        presence: RefCell::new(vec![(0, 0); rooms]),
        repeated: Cell::new(0),
        skipped: Cell::new(0),
        attempts: Cell::new(0),
        woken: tokio::sync::Notify::new(),
        seq: memchr::memmem::Finder::new(b"\"seq\":").into_owned(),
    });
    for i in 0..users {
        st.presence.borrow_mut()[i % rooms].1 += 1;
    }
    for (i, token) in tokens.into_iter().enumerate() {
        let ws = Socket::open(addr, &token)
            .await
            .unwrap_or_else(|e| panic!("socket {i} did not open: {e}"));
        let room = format!("{prefix}-{}", i % rooms);
        tokio::task::spawn_local(person(ws, addr.to_owned(), token, room, i, st.clone()));
    }
    wait_for(&st, LIMIT, |st| st.joined.get() >= users).await;
    println!(
        "connected: {users} sockets over {rooms} rooms, joined and seeded with {SEEDED} messages each in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    wait_for(&st, LIMIT, |st| st.caught_up.get() >= users).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_rss = probe::rss_kib(pid);
    println!("ready: {users} sockets idle, server RSS {idle_rss} KiB; restart the server now");
    st.caught_up.set(0);
    st.joined.set(0);

    // The restart: the new pid appears in the file.
    let new_pid = loop {
        if let Some(p) = std::fs::read_to_string(pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|p| *p != pid)
        {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let cpu0 = probe::cpu_secs(new_pid);
    let mut peak_rss = 0u64;
    let deadline = Instant::now() + LIMIT;
    while st.all_back.get().is_none() && Instant::now() < deadline {
        peak_rss = peak_rss.max(probe::rss_kib(new_pid));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu_storm = probe::cpu_secs(new_pid) - cpu0;
    // Presence windows still open go out; count them too.
    let settle = Instant::now() + Duration::from_secs(2);
    while Instant::now() < settle {
        peak_rss = peak_rss.max(probe::rss_kib(new_pid));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after_rss = probe::rss_kib(new_pid);
    let caught = st.caught_up.get();
    match (st.first_back.get(), st.all_back.get()) {
        (Some(first), Some(all)) => println!(
            "caught up: all {users} in {:.2}s from the new server's first socket ({} connection attempts)",
            all.duration_since(first).as_secs_f64(),
            st.attempts.get()
        ),
        _ => println!(
            "caught up: only {caught} of {users} within {}s ({} connection attempts)",
            LIMIT.as_secs(),
            st.attempts.get()
        ),
    }
    let presence = st.presence.borrow();
    let per_member: Vec<f64> = presence
        .iter()
        .map(|(frames, members)| *frames as f64 / (*members).max(1) as f64)
        .collect();
    let worst = per_member.iter().cloned().fold(0.0, f64::max);
    let frames: u64 = presence.iter().map(|(f, _)| f).sum();
    println!(
        "presence: {frames} frames to {users} sockets in {rooms} rooms; per room at most {worst:.2} x its members (mean {:.2})",
        per_member.iter().sum::<f64>() / rooms as f64
    );
    println!(
        "server: peak RSS {peak_rss} KiB ({:.2} x the idle {idle_rss} KiB), {after_rss} KiB after; {cpu_storm:.2} CPU-s until all were caught up",
        peak_rss as f64 / idle_rss.max(1) as f64
    );
    println!(
        "messages: {} repeated, {} skipped, {} sockets closed by the restart",
        st.repeated.get(),
        st.skipped.get(),
        st.closed.get()
    );
}

/// Waits (woken by the people) until `done` holds, or panics after `limit`.
async fn wait_for(st: &Storm, limit: Duration, done: impl Fn(&Storm) -> bool) {
    let wait = async {
        while !done(st) {
            st.woken.notified().await;
        }
    };
    if tokio::time::timeout(limit, wait).await.is_err() {
        panic!(
            "within {}s only {} joined and {} caught up",
            limit.as_secs(),
            st.joined.get(),
            st.caught_up.get()
        );
    }
}

/// One person: in generation 1 joins, (the room's first) seeds, and reads until the old
/// server closes the socket; then, in generation 2, connects again at once and joins with
/// `since`.
async fn person(
    mut ws: Socket,
    addr: String,
    token: String,
    room: String,
    i: usize,
    st: Rc<Storm>,
) {
    let room_index = i % st.rooms;
    let first = i < st.rooms;
    let mut seen = 0u64;
    for generation in [1, 2] {
        let join = if seen == 0 {
            format!(r#"{{"type":"join","room":"{room}"}}"#)
        } else {
            format!(r#"{{"type":"join","room":"{room}","since":{seen}}}"#)
        };
        if ws.send_text(&join).await.is_err() {
            return;
        }
        // What the room's first person sends once joined, and the room's last seq then.
        let (sends, target) = if generation == 1 {
            (SEEDED, SEEDED)
        } else {
            (AFTER, SEEDED + AFTER)
        };
        let (mut joined, mut sent, mut counted) = (false, !first, false);
        let mut pings = Vec::new();
        'read: loop {
            match ws.fill().await {
                Ok(true) => {}
                _ => break 'read,
            }
            let mut closed = false;
            while let Some(frame) = ws.next_frame() {
                match frame {
                    Frame::Text(t) if t.starts_with(br#"{"type":"message""#) => {
                        let seq = wire::number_after(&st.seq, t).unwrap_or(0);
                        if seq <= seen {
                            st.repeated.set(st.repeated.get() + 1);
                        } else {
                            st.skipped.set(st.skipped.get() + (seq - seen - 1));
                            seen = seq;
                        }
                    }
                    Frame::Text(t) if t.starts_with(br#"{"type":"joined""#) => {
                        // A first join replays nothing (a browser has the page): the
                        // room's seq then is where this person starts.
                        if generation == 1 {
                            seen = seen.max(wire::number_after(&st.seq, t).unwrap_or(0));
                        }
                        joined = true;
                        st.joined.set(st.joined.get() + 1);
                        st.woken.notify_one();
                    }
                    Frame::Text(t) if t.starts_with(br#"{"type":"presence""#) => {
                        if generation == 2 {
                            st.presence.borrow_mut()[room_index].0 += 1;
                        }
                    }
                    Frame::Ping(p) => pings.push(p.to_vec()),
                    Frame::Close => closed = true,
                    _ => {}
                }
            }
            ws.answer_pings(&mut pings).await;
            if closed {
                break 'read;
            }
            if joined && !sent {
                sent = true;
                for n in 0..sends {
                    let send = format!(
                        r#"{{"type":"send","room":"{room}","client_id":"{}","text":"storm {generation}.{n}"}}"#,
                        uuid::Uuid::now_v7()
                    );
                    if ws.send_text(&send).await.is_err() {
                        break 'read;
                    }
                }
            }
            if joined && seen >= target && !counted {
                counted = true;
                st.caught_up.set(st.caught_up.get() + 1);
                if generation == 2 && st.caught_up.get() == st.users {
                    st.all_back.set(Some(Instant::now()));
                }
                st.woken.notify_one();
            }
        }
        if generation == 2 {
            return;
        }
        // The old server closed the socket: back at once, every `RETRY`, until it answers.
        st.closed.set(st.closed.get() + 1);
        ws = loop {
            tokio::time::sleep(RETRY).await;
            st.attempts.set(st.attempts.get() + 1);
            if let Ok(ws) = Socket::open(&addr, &token).await {
                if st.first_back.get().is_none() {
                    st.first_back.set(Some(Instant::now()));
                }
                break ws;
            }
        };
    }
}
