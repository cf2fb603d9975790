//! RFC 6455 on the server side: the opening handshake's accept key, decoding the frames a
//! client sends (masked, possibly fragmented, with control frames in between) and encoding
//! the server's frames.
//!
//! A server frame is never masked, so it is the same bytes for every receiver: a broadcast
//! is framed once and the bytes are shared (see `hub`). No extensions are negotiated.

use base64::Engine;
use bytes::{BufMut, Bytes, BytesMut};
use sha1::{Digest, Sha1};

const FIN: u8 = 0x80;
const RSV: u8 = 0x70;
const MASKED: u8 = 0x80;

const OP_CONTINUATION: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Control frames carry at most this much payload (RFC 6455 §5.5).
const MAX_CONTROL_PAYLOAD: usize = 125;

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// A complete message (or control frame) from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum FromClient {
    Text(String),
    Binary,
    Ping(Bytes),
    Pong,
    /// The client closes; its status code, if it gave one.
    Close(Option<u16>),
}

/// Why the client's bytes cannot be read; each maps to a close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsError {
    /// A message or frame over the size limit (1009).
    TooBig,
    /// A text message that is not UTF-8 (1007).
    BadUtf8,
    /// Anything else RFC 6455 forbids (1002).
    Protocol(&'static str),
}

/// Turns the client's byte stream into messages. Holds only an unfinished frame or
/// fragmented message; an idle connection's decoder owns no memory.
pub struct Decoder {
    max_message: usize,
    /// Bytes of a frame that has not fully arrived.
    pending: Vec<u8>,
    /// A fragmented data message being put together: (is text, payload so far).
    fragments: Option<(bool, Vec<u8>)>,
}

struct Header {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    header_len: usize,
    payload_len: usize,
}

impl Decoder {
    pub fn new(max_message: usize) -> Self {
        Self {
            max_message,
            pending: Vec::new(),
            fragments: None,
        }
    }

    /// Decodes every complete frame in `pending + data`, appending messages to `out`;
    /// keeps an unfinished frame for the next call.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<FromClient>) -> Result<(), WsError> {
        if self.pending.is_empty() {
            let used = self.decode_all(data, out)?;
            self.pending.extend_from_slice(&data[used..]);
        } else {
            self.pending.extend_from_slice(data);
            let buf = std::mem::take(&mut self.pending);
            let used = self.decode_all(&buf, out)?;
            if used < buf.len() {
                self.pending = buf;
                self.pending.drain(..used);
            }
        }
        Ok(())
    }

    fn decode_all(&mut self, mut buf: &[u8], out: &mut Vec<FromClient>) -> Result<usize, WsError> {
        let mut used = 0;
        while let Some(h) = self.header(buf)? {
            let end = h.header_len + h.payload_len;
            if buf.len() < end {
                break;
            }
            let mut payload = buf[h.header_len..end].to_vec();
            unmask(&mut payload, h.mask);
            if let Some(msg) = self.frame(h.fin, h.opcode, payload)? {
                out.push(msg);
            }
            buf = &buf[end..];
            used += end;
        }
        Ok(used)
    }

    /// The header at the front of `buf`, or `None` until all of it has arrived.
    fn header(&self, buf: &[u8]) -> Result<Option<Header>, WsError> {
        // Judged on the first byte alone: a bad frame is refused before its payload is read.
        let [b0, rest @ ..] = buf else {
            return Ok(None);
        };
        let b0 = *b0;
        if b0 & RSV != 0 {
            return Err(WsError::Protocol("reserved bits set without an extension"));
        }
        let opcode = b0 & 0x0F;
        if !matches!(
            opcode,
            OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
        ) {
            return Err(WsError::Protocol("reserved opcode"));
        }
        match (opcode, &self.fragments) {
            (OP_TEXT | OP_BINARY, Some(_)) => {
                return Err(WsError::Protocol("new message inside a fragmented one"))
            }
            (OP_CONTINUATION, None) => {
                return Err(WsError::Protocol("continuation without a message"))
            }
            _ => {}
        }
        let [b1, ..] = *rest else { return Ok(None) };
        if b1 & MASKED == 0 {
            return Err(WsError::Protocol("client frames must be masked"));
        }
        let fin = b0 & FIN != 0;
        let (len, mut at) = match b1 & 0x7F {
            126 => match buf.get(2..4) {
                Some(b) => (u16::from_be_bytes([b[0], b[1]]) as u64, 4),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => (u64::from_be_bytes(b.try_into().expect("8 bytes")), 10),
                None => return Ok(None),
            },
            n => (n as u64, 2),
        };
        if opcode >= OP_CLOSE {
            if !fin || len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(WsError::Protocol("bad control frame"));
            }
        } else {
            let so_far = self.fragments.as_ref().map_or(0, |(_, f)| f.len()) as u64;
            if len.saturating_add(so_far) > self.max_message as u64 {
                return Err(WsError::TooBig);
            }
        }
        let Some(mask) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        let mask = mask.try_into().expect("4 bytes");
        at += 4;
        Ok(Some(Header {
            fin,
            opcode,
            mask,
            header_len: at,
            payload_len: len as usize,
        }))
    }

    fn frame(
        &mut self,
        fin: bool,
        opcode: u8,
        payload: Vec<u8>,
    ) -> Result<Option<FromClient>, WsError> {
        match opcode {
            OP_TEXT | OP_BINARY => {
                if self.fragments.is_some() {
                    return Err(WsError::Protocol("new message inside a fragmented one"));
                }
                let text = opcode == OP_TEXT;
                if fin {
                    return finish(text, payload).map(Some);
                }
                self.fragments = Some((text, payload));
                Ok(None)
            }
            OP_CONTINUATION => {
                let Some((text, mut so_far)) = self.fragments.take() else {
                    return Err(WsError::Protocol("continuation without a message"));
                };
                if so_far.len() + payload.len() > self.max_message {
                    return Err(WsError::TooBig);
                }
                so_far.extend_from_slice(&payload);
                if fin {
                    return finish(text, so_far).map(Some);
                }
                self.fragments = Some((text, so_far));
                Ok(None)
            }
            OP_PING => Ok(Some(FromClient::Ping(payload.into()))),
            OP_PONG => Ok(Some(FromClient::Pong)),
            OP_CLOSE => match payload.len() {
                0 => Ok(Some(FromClient::Close(None))),
                1 => Err(WsError::Protocol("close frame with a one-byte payload")),
                _ => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    if !valid_close_code(code) {
                        return Err(WsError::Protocol("invalid close code"));
                    }
                    if std::str::from_utf8(&payload[2..]).is_err() {
                        return Err(WsError::BadUtf8);
                    }
                    Ok(Some(FromClient::Close(Some(code))))
                }
            },
            _ => Err(WsError::Protocol("reserved opcode")),
        }
    }

    /// True while a frame, or a fragmented message, has started and not finished.
    pub fn in_frame(&self) -> bool {
        !self.pending.is_empty() || self.fragments.is_some()
    }

    /// Bytes held for unfinished frames and messages.
    pub fn buffered(&self) -> usize {
        self.pending.capacity() + self.fragments.as_ref().map_or(0, |(_, f)| f.capacity())
    }
}

/// Close codes a peer may send (RFC 6455 §7.4): the defined ones that are not reserved
/// for local use (1005, 1006, 1015) and the ranges for libraries and applications.
pub fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn finish(text: bool, payload: Vec<u8>) -> Result<FromClient, WsError> {
    if !text {
        return Ok(FromClient::Binary);
    }
    String::from_utf8(payload)
        .map(FromClient::Text)
        .map_err(|_| WsError::BadUtf8)
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    // Eight bytes at a time, then the rest.
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let (chunks, rest) = payload.as_chunks_mut::<8>();
    for chunk in chunks {
        *chunk = (u64::from_ne_bytes(*chunk) ^ wide).to_ne_bytes();
    }
    for (i, b) in rest.iter_mut().enumerate() {
        *b ^= mask[i % 4];
    }
}

/// Appends an unmasked, final frame with `payload` to `out`.
pub fn put_frame(out: &mut BytesMut, opcode: u8, payload: &[u8]) {
    out.reserve(payload.len() + 10);
    out.put_u8(FIN | opcode);
    match payload.len() {
        n if n < 126 => out.put_u8(n as u8),
        n if n <= u16::MAX as usize => {
            out.put_u8(126);
            out.put_u16(n as u16);
        }
        n => {
            out.put_u8(127);
            out.put_u64(n as u64);
        }
    }
    out.put_slice(payload);
}

/// Appends a text frame to `out`.
pub fn put_text(out: &mut BytesMut, text: &[u8]) {
    put_frame(out, OP_TEXT, text);
}

/// A text frame on its own.
pub fn text(text: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(text.len() + 4);
    put_text(&mut out, text);
    out.freeze()
}

pub fn ping() -> Bytes {
    Bytes::from_static(&[FIN | OP_PING, 0])
}

pub fn pong(payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(payload.len() + 2);
    put_frame(&mut out, OP_PONG, payload);
    out.freeze()
}

pub fn close(code: u16, reason: &str) -> Bytes {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.to_be_bytes());
    // A close frame's payload is at most 125 bytes; our reasons are short ASCII.
    payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(MAX_CONTROL_PAYLOAD - 2)]);
    let mut out = BytesMut::with_capacity(payload.len() + 2);
    put_frame(&mut out, OP_CLOSE, &payload);
    out.freeze()
}

#[cfg(test)]
mod tests;
