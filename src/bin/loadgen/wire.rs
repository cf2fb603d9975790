//! A lean WebSocket client for load: the handshake by hand, masked frames out, and the
//! server's frames parsed in place from a 4 KiB buffer (no per-frame allocation), so that
//! the generator measures the server rather than itself.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

pub struct Socket {
    pub stream: TcpStream,
    buf: Vec<u8>,
    /// Parsed up to here.
    start: usize,
    /// Filled up to here.
    end: usize,
    mask: u32,
}

/// A frame from the server, borrowed from the read buffer.
pub enum Frame<'a> {
    Text(&'a [u8]),
    Ping(&'a [u8]),
    Close,
    Other,
}

impl Socket {
    /// Opens `/ws` with a bearer token.
    pub async fn open(addr: &str, token: &str) -> std::io::Result<Self> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let req = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bG9hZGdlbi1rZXktMDAwMA==\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await?;
        // The answer's head ends the first read's worth of bytes we care about; the server
        // sends nothing more until we join.
        let mut head = Vec::with_capacity(256);
        let mut byte = [0u8; 256];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte[..1]))
                .await
                .map_err(|_| std::io::Error::other("handshake timed out"))??;
            if n == 0 {
                return Err(std::io::Error::other("closed during handshake"));
            }
            head.extend_from_slice(&byte[..n]);
        }
        if !head.starts_with(b"HTTP/1.1 101") {
            return Err(std::io::Error::other(format!(
                "upgrade refused: {}",
                String::from_utf8_lossy(&head)
            )));
        }
        Ok(Self {
            stream,
            buf: vec![0; 4096],
            start: 0,
            end: 0,
            mask: 0x9e37_79b9,
        })
    }

    /// Sends a masked text frame.
    pub async fn send_text(&mut self, text: &str) -> std::io::Result<()> {
        let frame = self.frame(OP_TEXT, text.as_bytes());
        self.stream.write_all(&frame).await
    }

    async fn pong(&mut self, payload: Vec<u8>) -> std::io::Result<()> {
        let frame = self.frame(OP_PONG, &payload);
        self.stream.write_all(&frame).await
    }

    fn frame(&mut self, opcode: u8, payload: &[u8]) -> Vec<u8> {
        self.mask = self
            .mask
            .wrapping_mul(1_664_525)
            .wrapping_add(1_013_904_223);
        let mask = self.mask.to_be_bytes();
        let mut out = Vec::with_capacity(payload.len() + 14);
        out.push(0x80 | opcode);
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

    /// Reads once from the socket (waiting for data); false at end of stream.
    pub async fn fill(&mut self) -> std::io::Result<bool> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            // Make room: move the unparsed tail to the front, or grow for a big frame.
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n > 0)
    }

    /// The next complete frame in the buffer, if any. Pings are answered by the caller
    /// with [`Socket::answer_ping`].
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        let buf = &self.buf[self.start..self.end];
        if buf.len() < 2 {
            return None;
        }
        let opcode = buf[0] & 0x0F;
        let (len, header) = match buf[1] & 0x7F {
            126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
            127 if buf.len() >= 10 => (
                u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
                10,
            ),
            126 | 127 => return None,
            n => (n as usize, 2),
        };
        if buf.len() < header + len {
            return None;
        }
        let from = self.start + header;
        self.start += header + len;
        let payload = &self.buf[from..from + len];
        Some(match opcode {
            OP_TEXT => Frame::Text(payload),
            OP_PING => Frame::Ping(payload),
            OP_CLOSE => Frame::Close,
            _ => Frame::Other,
        })
    }

    pub async fn answer_ping(&mut self, payload: Vec<u8>) -> std::io::Result<()> {
        self.pong(payload).await
    }

    /// Answers every ping gathered while parsing, emptying `pings` (a failed write shows
    /// at the next read).
    pub async fn answer_pings(&mut self, pings: &mut Vec<Vec<u8>>) {
        for p in pings.drain(..) {
            let _ = self.pong(p).await;
        }
    }

    /// Joins each of `rooms` (live only) and waits until the server has answered every
    /// join with `joined`; an `error` or a closed socket instead is the error.
    pub async fn join_all(&mut self, rooms: &[&str]) -> Result<(), String> {
        for room in rooms {
            let join = format!(r#"{{"type":"join","room":"{room}"}}"#);
            self.send_text(&join).await.map_err(|e| e.to_string())?;
        }
        let (mut answered, mut pings) = (0, Vec::new());
        while answered < rooms.len() {
            let more = tokio::time::timeout(Duration::from_secs(30), self.fill())
                .await
                .map_err(|_| "no answer to a join within 30 s".to_owned())?;
            if !more.map_err(|e| e.to_string())? {
                return Err("the socket closed before its joins were answered".into());
            }
            while let Some(frame) = self.next_frame() {
                match frame {
                    Frame::Text(t) if t.starts_with(br#"{"type":"joined""#) => answered += 1,
                    Frame::Text(t) if t.starts_with(br#"{"type":"error""#) => {
                        return Err(String::from_utf8_lossy(t).into_owned())
                    }
                    Frame::Close => return Err("the socket closed while joining".into()),
                    Frame::Ping(p) => pings.push(p.to_vec()),
                    _ => {}
                }
            }
            for p in pings.drain(..) {
                self.pong(p).await.map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// The number right after the first `finder`'s key (`"seq":`, say) in `frame`.
pub fn number_after(finder: &memchr::memmem::Finder<'_>, frame: &[u8]) -> Option<u64> {
    let at = finder.find(frame)? + finder.needle().len();
    leading_number(&frame[at..]).map(|(n, _)| n)
}

/// Parses the decimal number at the front of `text`, and what follows it.
pub fn leading_number(text: &[u8]) -> Option<(u64, &[u8])> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let n = text[..digits]
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some((n, &text[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A socket whose buffer holds `bytes` (no network: only the parser is exercised).
    async fn with_buffer(bytes: &[u8]) -> Socket {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let mut buf = bytes.to_vec();
        buf.resize(bytes.len().max(4096), 0);
        Socket {
            stream,
            buf,
            start: 0,
            end: bytes.len(),
            mask: 1,
        }
    }

    fn server_text(payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x81];
        match payload.len() {
            n if n < 126 => out.push(n as u8),
            n => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        out
    }

    #[tokio::test]
    async fn frames_are_parsed_in_place_and_a_partial_one_waits() {
        let mut bytes = server_text(b"short");
        bytes.extend(server_text(&[b'x'; 300]));
        bytes.extend([0x89, 0]); // a ping
        let whole = bytes.len();
        bytes.extend(&server_text(b"cut off")[..4]);
        let mut s = with_buffer(&bytes).await;
        assert!(matches!(s.next_frame(), Some(Frame::Text(b"short"))));
        assert!(matches!(s.next_frame(), Some(Frame::Text(t)) if t.len() == 300));
        assert!(matches!(s.next_frame(), Some(Frame::Ping(p)) if p.is_empty()));
        assert!(
            s.next_frame().is_none(),
            "an incomplete frame is not returned"
        );
        assert_eq!(s.start, whole);
    }

    #[test]
    fn markers_are_read_from_the_text() {
        assert_eq!(leading_number(b"123|4|5"), Some((123, &b"|4|5"[..])));
        assert_eq!(leading_number(b"|4"), None);
        assert_eq!(leading_number(b"99999999999999999999"), None, "no overflow");
    }
}
