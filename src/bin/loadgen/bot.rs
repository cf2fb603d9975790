//! `--bot ROOM --count N --rate R`: one person posting into a room, as a chat bot would,
//! for the browser benchmark (a tab with the room open receives what it posts). `--rate 0`
//! posts everything at once. Prints when the last message went out (Unix ms, the clock the
//! browser's `Date.now()` reads) and when the last ack came (every message stored: the
//! echo to the room leaves the server with it).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{
    http,
    wire::{Frame, Socket},
};

pub async fn run(addr: &str, room: &str, count: usize, rate: f64, prefix: &str) {
    let token = http::sign_in(addr, "bot").await;
    let mut ws = Socket::open(addr, &token).await.expect("bot socket");
    if let Err(e) = ws.join_all(&[room]).await {
        panic!("the bot's join: {e}");
    }
    let start = Instant::now();
    let period = (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate));
    let due = |i: usize| period.map_or(start, |p| start + p * i as u32);
    let mut acked = 0usize;
    let mut sent = 0usize;
    let mut last_sent_ms = 0u128;
    let first_sent_ms = unix_ms();
    let last_acked_ms = loop {
        // Everything due goes now (the timer may have been late).
        while sent < count && Instant::now() >= due(sent) {
            let text = format!(
                r#"{{"type":"send","room":"{room}","client_id":"{}","text":"{prefix} {sent}"}}"#,
                uuid::Uuid::new_v4()
            );
            ws.send_text(&text).await.expect("send");
            sent += 1;
        }
        if sent == count && last_sent_ms == 0 {
            last_sent_ms = unix_ms();
        }
        if acked >= count {
            break unix_ms();
        }
        let next = if sent < count {
            due(sent)
        } else {
            Instant::now() + Duration::from_secs(30)
        };
        tokio::select! {
            r = ws.fill() => {
                if !matches!(r, Ok(true)) {
                    panic!("the bot's socket closed after {acked} acks");
                }
                let mut pings = Vec::new();
                while let Some(frame) = ws.next_frame() {
                    match frame {
                        Frame::Text(t) if t.starts_with(br#"{"type":"ack""#) => acked += 1,
                        Frame::Text(t) if t.starts_with(br#"{"type":"error""#) => {
                            panic!("the server refused a bot message: {}", String::from_utf8_lossy(t))
                        }
                        Frame::Ping(p) => pings.push(p.to_vec()),
                        _ => {}
                    }
                }
                for p in pings {
                    let _ = ws.answer_ping(p).await;
                }
            }
            _ = tokio::time::sleep_until(next.into()) => {}
        }
    };
    println!(
        "bot: {count} messages in {:.2}s; first sent at {first_sent_ms}; last sent at {last_sent_ms}; all acked by {last_acked_ms}",
        start.elapsed().as_secs_f64()
    );
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}
