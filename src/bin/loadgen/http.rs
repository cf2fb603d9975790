//! Plain HTTP/1.1 over loopback: signing in, and the room page's time to first byte and
//! throughput.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// A one-shot request (`Connection: close`); returns (status, body).
pub async fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    request_as(addr, method, path, body, None).await
}

/// [`request`] with a bearer token.
pub async fn request_as(
    addr: &str,
    method: &str,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.expect("server reachable");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {auth}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
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

/// Signs in as `name`; returns the bearer token.
pub async fn sign_in(addr: &str, name: &str) -> String {
    let (status, body) = request(
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

/// Signs in as `name`, a member of the room `page` shows (`/r/<room>`) and of four rooms
/// of their own, as a person who reads their room is; returns the bearer token.
pub async fn member(addr: &str, name: &str, page: &str) -> String {
    let token = sign_in(addr, name).await;
    let room = page.trim_start_matches("/r/");
    let mut ws = crate::wire::Socket::open(addr, &token)
        .await
        .expect("the reader's socket");
    let mine: Vec<String> = (1..=4).map(|i| format!("{name}-{i}")).collect();
    let rooms: Vec<&str> = std::iter::once(room)
        .chain(mine.iter().map(String::as_str))
        .collect();
    // Every join answered: a member of each room.
    if let Err(e) = ws.join_all(&rooms).await {
        panic!("the reader's joins: {e}");
    }
    let last = &mine[3];
    let cookie = format!("cloud_msg_session={token}");
    let (status, body) = request_with(addr, page, &cookie).await;
    assert!(
        status == 200 && body.contains(&format!("/r/{last}")),
        "the reader's page lists their rooms"
    );
    token
}

/// A one-shot GET of `path` with `cookie`; returns (status, body).
async fn request_with(addr: &str, path: &str, cookie: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.expect("server reachable");
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text.into_owned())
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// `requests` GETs of `path`, one after another, each on a new connection (as a first
/// visit): time to the first byte of the answer.
pub async fn ttfb(addr: &str, path: &str, requests: usize, cookie: Option<&str>) {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
    let mut bytes = 0;
    let start = Instant::now();
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    for _ in 0..requests {
        let t = Instant::now();
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: gzip\r\n{cookie}Connection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut first = [0u8; 1];
        s.read_exact(&mut first).await.unwrap();
        h.record(t.elapsed().as_micros() as u64).unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        assert!(rest.starts_with(b"TTP/1.1 200"), "GET {path} failed");
        bytes = rest.len() + 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ttfb {path}{}: {requests} requests, p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s (sequential, new connection each, {bytes} bytes with gzip)",
        if cookie.is_empty() { "" } else { " (signed in)" },
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        requests as f64 / secs
    );
}

/// `conns` keep-alive connections GET `path` back to back for `secs`: pages per second
/// and latency under load.
pub async fn throughput(addr: &str, path: &str, conns: usize, secs: f64, cookie: Option<&str>) {
    let hist = Rc::new(RefCell::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap(),
    ));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let req =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: gzip\r\n{cookie}\r\n");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (hist, req, addr) = (hist.clone(), req.clone(), addr.to_owned());
        tasks.push(tokio::task::spawn_local(async move {
            let mut s = TcpStream::connect(&addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut done = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                s.write_all(req.as_bytes()).await.unwrap();
                read_response(&mut s, &mut buf).await;
                hist.borrow_mut()
                    .record(t.elapsed().as_micros() as u64)
                    .unwrap();
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let h = hist.borrow();
    println!(
        "pages {path}{}: {conns} keep-alive connections, {total} pages in {secs:.1}s = {:.0} pages/s; latency p50 {:.2} ms, p99 {:.2} ms",
        if cookie.is_empty() { "" } else { " (signed in)" },
        total as f64 / secs,
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
    );
}

/// Reads one response (Content-Length or chunked) from `s`; panics on anything but 200.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) {
    buf.clear();
    let head_end = loop {
        if let Some(i) = memchr::memmem::find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        read_more(s, buf).await;
    };
    let head = std::str::from_utf8(&buf[..head_end]).expect("ASCII head");
    assert!(head.starts_with("HTTP/1.1 200"), "page failed: {head}");
    let header = |name: &str| {
        head.lines()
            .find(|l| l.len() > name.len() && l[..name.len()].eq_ignore_ascii_case(name))
            .map(|l| l[name.len()..].trim().to_owned())
    };
    if let Some(len) = header("content-length:") {
        let len: usize = len.parse().expect("content length");
        while buf.len() < head_end + len {
            read_more(s, buf).await;
        }
        return;
    }
    assert!(
        header("transfer-encoding:").is_some_and(|v| v.contains("chunked")),
        "no length and not chunked"
    );
    let mut at = head_end;
    loop {
        let line_end = loop {
            if let Some(i) = memchr::memmem::find(&buf[at..], b"\r\n") {
                break at + i;
            }
            read_more(s, buf).await;
        };
        let size = usize::from_str_radix(
            std::str::from_utf8(&buf[at..line_end])
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .expect("chunk size");
        let chunk_end = line_end + 2 + size + 2;
        while buf.len() < chunk_end {
            read_more(s, buf).await;
        }
        at = chunk_end;
        if size == 0 {
            return;
        }
    }
}

async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 16 * 1024];
    let n = s.read(&mut chunk).await.unwrap();
    assert!(n > 0, "server closed the connection");
    buf.extend_from_slice(&chunk[..n]);
}
