//! A WebSocket client that writes exactly the bytes a test asks for, to try the server the
//! way a broken or hostile peer would.

use std::{net::SocketAddr, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

/// A masked client frame; `fin` false for a fragment, `rsv` for reserved bits (0–7).
pub fn frame_rsv(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut out = vec![(if fin { 0x80 } else { 0 }) | (rsv << 4) | opcode];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_rsv(fin, 0, opcode, payload)
}

/// A `send` frame's JSON.
pub fn send_json(room: &str, text: &str) -> String {
    serde_json::json!({
        "type": "send", "room": room, "client_id": uuid::Uuid::new_v4(), "text": text
    })
    .to_string()
}

/// The response head of a raw HTTP request: (status, headers in lower case).
pub async fn http_head(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer in time")
            .unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buf).to_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head)
}

/// An upgrade request for `/ws` with `token`, plus `extra` header lines.
pub fn upgrade_request(addr: SocketAddr, token: &str, extra: &str) -> String {
    format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Authorization: Bearer {token}\r\n{extra}\r\n"
    )
}

impl Raw {
    /// Opens a socket as `token`'s user.
    pub async fn connect(addr: SocketAddr, token: &str) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let req = upgrade_request(
            addr,
            token,
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut raw = Self {
            stream,
            buf: Vec::new(),
        };
        let head = loop {
            if let Some(end) = raw.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw.buf[..end]).into_owned();
                raw.buf.drain(..end + 4);
                break head;
            }
            assert!(raw.fill().await, "handshake answered");
        };
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        raw
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Ok(_) => false,
            Err(_) => panic!("no bytes from the server within 5 s"),
        }
    }

    /// The next frame from the server: (opcode, payload); `None` once the connection ends.
    pub async fn next(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            if self.buf.len() >= 2 {
                let opcode = self.buf[0] & 0x0F;
                assert_eq!(self.buf[1] & 0x80, 0, "server frames are never masked");
                let (len, at) = match self.buf[1] & 0x7F {
                    126 if self.buf.len() >= 4 => {
                        (u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize, 4)
                    }
                    127 if self.buf.len() >= 10 => (
                        u64::from_be_bytes(self.buf[2..10].try_into().unwrap()) as usize,
                        10,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (n as usize, 2),
                };
                if len != usize::MAX && self.buf.len() >= at + len {
                    let payload = self.buf[at..at + len].to_vec();
                    self.buf.drain(..at + len);
                    return Some((opcode, payload));
                }
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next frame that is not a text frame or a server ping.
    pub async fn next_control(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            match self.next().await? {
                (OP_TEXT, _) => continue,
                (OP_PING, p) if p.is_empty() => continue,
                other => return Some(other),
            }
        }
    }

    /// The code of the server's close frame (skipping other frames).
    pub async fn close_code(&mut self) -> u16 {
        loop {
            match self.next().await {
                Some((OP_CLOSE, p)) if p.len() >= 2 => return u16::from_be_bytes([p[0], p[1]]),
                Some((OP_CLOSE, _)) => return 1005,
                Some(_) => continue,
                None => panic!("connection ended without a close frame"),
            }
        }
    }

    /// The next text frame, parsed.
    pub async fn next_json(&mut self) -> serde_json::Value {
        loop {
            match self.next().await {
                Some((OP_TEXT, p)) => return serde_json::from_slice(&p).unwrap(),
                Some((OP_CLOSE, p)) => panic!("closed: {p:?}"),
                Some(_) => continue,
                None => panic!("connection ended"),
            }
        }
    }
}
