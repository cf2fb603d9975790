//! `--fill TOTAL --rooms R --big B`: years of history, written through the public protocol
//! as people would have written it (every message a durable `send`, acked after the fsync).
//! Room `<prefix>-0` gets `B` messages, the other `R - 1` rooms share the rest. Texts are
//! chat-like: 3–14 words drawn from a Zipf vocabulary (the few common words in about half
//! the messages, a long tail of rare ones), with the word `quetzal` in one message of a
//! million, so a search bench has a common word (`the`), two common words (`the to`), a
//! one-letter prefix (`d`) and a rare word to ask for.

use std::{
    cell::{Cell, RefCell},
    collections::VecDeque,
    rc::Rc,
    time::{Duration, Instant},
};

use crate::{
    http, probe,
    rng::Rng,
    wire::{Frame, Socket},
};

/// Sockets writing at once.
const WORKERS: usize = 64;
/// Sends in flight per socket.
const WINDOW: u64 = 128;
/// A room's messages are written by one socket in runs of at most this many (the big room
/// by several at once).
const RUN: u64 = 250_000;
/// One message in this many carries the rare word.
const RARE_EVERY: u64 = 1_000_000;
pub const RARE_WORD: &str = "quetzal";

/// The head of the vocabulary: real words, most common first.
const HEAD: &[&str] = &[
    "the", "to", "i", "a", "and", "it", "is", "we", "on", "for", "deploy", "that", "you", "in",
    "this", "of", "be", "can", "do", "with", "build", "ok", "not", "just", "now", "have", "will",
    "test", "so", "but", "fix", "at", "are", "if", "was", "me", "review", "up", "my", "merge",
    "what", "no", "yes", "release", "from", "server", "they", "there", "today", "should", "get",
    "branch", "thanks", "see", "one", "think", "out", "back", "lunch", "done",
];
/// Words in the whole vocabulary (the tail is made of syllables).
const VOCABULARY: usize = 30_000;

struct Words {
    words: Vec<String>,
    /// Cumulative Zipf weights (s = 1).
    cumulative: Vec<f64>,
}

impl Words {
    fn new() -> Self {
        const SYL: &[&str] = &[
            "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "ba", "de", "fi", "go", "hu",
            "ja", "pe", "qui", "ro", "su", "wa", "xo", "yi", "bre", "dra", "gli", "pro", "stu",
            "tra", "ven", "mor",
        ];
        let mut words: Vec<String> = HEAD.iter().map(|w| (*w).to_owned()).collect();
        let mut n = 0usize;
        while words.len() < VOCABULARY {
            let (a, b, c) = (n % SYL.len(), (n / SYL.len()) % SYL.len(), n / 900);
            let mut w = format!("{}{}", SYL[a], SYL[b]);
            if c > 0 {
                w.push_str(SYL[c % SYL.len()]);
                if c >= SYL.len() {
                    w.push_str(SYL[(c / SYL.len()) % SYL.len()]);
                }
            }
            n += 1;
            if w != RARE_WORD && !HEAD.contains(&w.as_str()) {
                words.push(w);
            }
        }
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    fn pick(&self, rng: &mut Rng) -> &str {
        let x = rng.unit() * self.cumulative.last().unwrap();
        let i = self.cumulative.partition_point(|c| *c < x);
        &self.words[i.min(self.words.len() - 1)]
    }

    /// A chat line of 3–14 words.
    fn line(&self, rng: &mut Rng, rare: bool) -> String {
        let n = 3 + (rng.next() % 12) as usize;
        let mut text = String::with_capacity(n * 6);
        for i in 0..n {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(self.pick(rng));
        }
        if rare {
            text.push(' ');
            text.push_str(RARE_WORD);
        }
        text
    }
}

struct Fill {
    jobs: RefCell<VecDeque<(String, u64)>>,
    words: Words,
    /// Messages sent (numbers them for the rare word) and acked, by every socket.
    sent: Cell<u64>,
    acked: Cell<u64>,
}

pub async fn run(addr: &str, total: u64, rooms: usize, big: u64, prefix: &str, pid: Option<u32>) {
    assert!(
        rooms >= 2 && big <= total,
        "--fill needs --rooms >= 2 and --big <= the total"
    );
    let mut jobs = VecDeque::new();
    let mut left = big;
    while left > 0 {
        let n = left.min(RUN);
        jobs.push_back((format!("{prefix}-0"), n));
        left -= n;
    }
    let rest = total - big;
    let others = rooms as u64 - 1;
    for r in 1..rooms as u64 {
        let n = rest / others + u64::from(r <= rest % others);
        jobs.push_back((format!("{prefix}-{r}"), n));
    }
    let fill = Rc::new(Fill {
        jobs: RefCell::new(jobs),
        words: Words::new(),
        sent: Cell::new(0),
        acked: Cell::new(0),
    });
    let start = Instant::now();
    let cpu0 = pid.map(probe::cpu_secs).unwrap_or(0.0);
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (fill, addr) = (fill.clone(), addr.to_owned());
        tasks.push(tokio::task::spawn_local(async move {
            let token = http::sign_in(&addr, &format!("writer{w}")).await;
            worker(&addr, &token, w as u64, &fill).await
        }));
    }
    let progress = {
        let fill = fill.clone();
        tokio::task::spawn_local(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(30)).await;
                let now = fill.acked.get();
                println!(
                    "fill: {now} of {total} stored after {:.0}s ({:.0}/s in the last 30 s)",
                    start.elapsed().as_secs_f64(),
                    (now - last) as f64 / 30.0
                );
                last = now;
            }
        })
    };
    for t in tasks {
        t.await.expect("fill worker");
    }
    progress.abort();
    let secs = start.elapsed().as_secs_f64();
    let cpu = pid.map(probe::cpu_secs).unwrap_or(0.0) - cpu0;
    println!(
        "filled: {} messages in {rooms} rooms ({big} in {prefix}-0) in {secs:.0}s, {:.0}/s; server {cpu:.0} CPU-s",
        fill.acked.get(),
        fill.acked.get() as f64 / secs
    );
    indexed(addr, prefix, start).await;
}

/// Posts one last message with a word of its own and waits until search finds it: the
/// search index has taken in that room (it indexes after the messages are stored, room
/// by room, so other rooms may still wait: `bench/years.sh` waits for them too).
async fn indexed(addr: &str, prefix: &str, start: Instant) {
    let token = http::sign_in(addr, "writer-last").await;
    let mut ws = Socket::open(addr, &token).await.expect("last socket");
    let word = format!("fillend{}", std::process::id());
    let frame = format!(
        r#"{{"type":"send","room":"{prefix}-0","client_id":"{}","text":"{word}"}}"#,
        uuid::Uuid::now_v7()
    );
    ws.send_text(&frame).await.expect("last send");
    let waited = Instant::now();
    loop {
        let (status, body) = http::request(addr, "GET", &format!("/search?q={word}"), "").await;
        assert_eq!(status, 200, "search: {body}");
        if body.contains(&format!("<mark>{word}</mark>")) {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(3600),
            "the search index did not catch up within an hour"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    println!(
        "found: search found the last message {:.0}s after the fill ended ({:.0}s after it began)",
        waited.elapsed().as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
}

/// One socket taking rooms off the queue until it is empty.
async fn worker(addr: &str, token: &str, w: u64, fill: &Fill) {
    let mut ws = Socket::open(addr, token).await.expect("fill socket");
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ (w + 1).wrapping_mul(0x1000_0000_01B3));
    loop {
        let Some((room, count)) = fill.jobs.borrow_mut().pop_front() else {
            return;
        };
        // A `send` needs no `join`: the writer hears only its acks, nothing fans out.
        let (mut sent, mut acked) = (0u64, 0u64);
        let mut pings = Vec::new();
        while acked < count {
            while sent < count && sent - acked < WINDOW {
                let n = fill.sent.get();
                fill.sent.set(n + 1);
                let text = fill.words.line(&mut rng, n % RARE_EVERY == RARE_EVERY / 2);
                let frame = format!(
                    r#"{{"type":"send","room":"{room}","client_id":"{}","text":"{text}"}}"#,
                    uuid::Uuid::now_v7()
                );
                ws.send_text(&frame).await.expect("fill send");
                sent += 1;
            }
            let more = tokio::time::timeout(Duration::from_secs(60), ws.fill())
                .await
                .expect("fill: no answer within 60 s");
            assert!(
                more.expect("fill read"),
                "fill: the server closed the socket"
            );
            while let Some(frame) = ws.next_frame() {
                match frame {
                    Frame::Text(t) if t.starts_with(br#"{"type":"ack""#) => {
                        acked += 1;
                        fill.acked.set(fill.acked.get() + 1);
                    }
                    Frame::Text(t) if t.starts_with(br#"{"type":"error""#) => {
                        panic!("fill: {}", String::from_utf8_lossy(t))
                    }
                    Frame::Ping(p) => pings.push(p.to_vec()),
                    Frame::Close => panic!("fill: the server closed the socket"),
                    _ => {}
                }
            }
            for p in pings.drain(..) {
                ws.answer_ping(p).await.expect("pong");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_chat_like_and_the_head_is_common() {
        let words = Words::new();
        let mut rng = Rng::new(42);
        let lines: Vec<String> = (0..10_000).map(|_| words.line(&mut rng, false)).collect();
        let with = |w: &str| {
            lines
                .iter()
                .filter(|l| l.split(' ').any(|x| x == w))
                .count()
        };
        assert!(with("the") > 3_000, "the: {}", with("the"));
        assert!(with("to") > 2_000 && with("deploy") > 200);
        assert_eq!(with(RARE_WORD), 0);
        assert!(lines
            .iter()
            .all(|l| (3..=14).contains(&l.split(' ').count())));
        let distinct: std::collections::HashSet<&str> =
            lines.iter().flat_map(|l| l.split(' ')).collect();
        assert!(distinct.len() > 5_000, "{} distinct words", distinct.len());
    }
}
