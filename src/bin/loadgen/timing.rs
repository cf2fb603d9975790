//! Timing one reader's requests, one after another (the server on its one core):
//!
//! - `--get PATH --requests N`: whole answers (first byte to last) of a GET, each on a new
//!   connection, as a visitor (an older history page, a search, a room page);
//! - `--replay ROOM --requests N`: a socket joining `ROOM` with `since=0` again and again,
//!   timed from the `join` to the replay's end (`more` or `joined`).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    http,
    wire::{Frame, Socket},
};

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap()
}

fn report(what: &str, n: usize, h: &Histogram<u64>, extra: &str) {
    let ms = |v: u64| v as f64 / 1000.0;
    println!(
        "{what}: {n} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms{extra}",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
}

pub async fn get(addr: &str, path: &str, requests: usize) {
    let mut h = hist();
    let mut bytes = 0;
    for _ in 0..requests {
        let t = Instant::now();
        let mut s = TcpStream::connect(addr).await.expect("server reachable");
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        h.record(t.elapsed().as_micros().max(1) as u64).unwrap();
        assert!(
            out.starts_with(b"HTTP/1.1 200"),
            "GET {path}: {}",
            String::from_utf8_lossy(&out[..out.len().min(200)])
        );
        bytes = out.len();
    }
    report(
        &format!("get {path}"),
        requests,
        &h,
        &format!(" (whole answer, new connection each, {bytes} bytes with gzip)"),
    );
}

pub async fn replay(addr: &str, room: &str, requests: usize) {
    let token = http::sign_in(addr, "replayer").await;
    let mut ws = Socket::open(addr, &token).await.expect("replay socket");
    let mut h = hist();
    let mut messages = 0u64;
    let mut pings = Vec::new();
    for _ in 0..requests {
        let t = Instant::now();
        let join = format!(r#"{{"type":"join","room":"{room}","since":0}}"#);
        ws.send_text(&join).await.expect("join");
        let mut done = false;
        messages = 0;
        while !done {
            let more = tokio::time::timeout(Duration::from_secs(30), ws.fill())
                .await
                .expect("no end of the replay within 30 s");
            assert!(more.expect("read"), "the server closed the socket");
            while let Some(frame) = ws.next_frame() {
                match frame {
                    Frame::Text(t) if t.starts_with(br#"{"type":"message""#) => messages += 1,
                    Frame::Text(t)
                        if t.starts_with(br#"{"type":"more""#)
                            || t.starts_with(br#"{"type":"joined""#) =>
                    {
                        done = true
                    }
                    Frame::Text(t) if t.starts_with(br#"{"type":"error""#) => {
                        panic!("replay: {}", String::from_utf8_lossy(t))
                    }
                    Frame::Ping(p) => pings.push(p.to_vec()),
                    Frame::Close => panic!("replay: the server closed the socket"),
                    _ => {}
                }
            }
            for p in pings.drain(..) {
                ws.answer_ping(p).await.expect("pong");
            }
        }
        h.record(t.elapsed().as_micros().max(1) as u64).unwrap();
        let leave = format!(r#"{{"type":"leave","room":"{room}"}}"#);
        ws.send_text(&leave).await.expect("leave");
    }
    report(
        &format!("join {room} since=0"),
        requests,
        &h,
        &format!(" (to the replay's end, {messages} messages each)"),
    );
}
