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
pub enum Incoming {
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
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Incoming>) -> Result<(), WsError> {
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

    fn decode_all(&mut self, mut buf: &[u8], out: &mut Vec<Incoming>) -> Result<usize, WsError> {
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
    ) -> Result<Option<Incoming>, WsError> {
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
            OP_PING => Ok(Some(Incoming::Ping(payload.into()))),
            OP_PONG => Ok(Some(Incoming::Pong)),
            OP_CLOSE => match payload.len() {
                0 => Ok(Some(Incoming::Close(None))),
                1 => Err(WsError::Protocol("close frame with a one-byte payload")),
                _ => {
                    let code = u16::from_be_bytes([payload[0], payload[1]]);
                    if !valid_close_code(code) {
                        return Err(WsError::Protocol("invalid close code"));
                    }
                    if std::str::from_utf8(&payload[2..]).is_err() {
                        return Err(WsError::BadUtf8);
                    }
                    Ok(Some(Incoming::Close(Some(code))))
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

fn finish(text: bool, payload: Vec<u8>) -> Result<Incoming, WsError> {
    if !text {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(payload)
        .map(Incoming::Text)
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
mod tests {
    use super::*;

    /// A frame as a client sends it: masked with `mask`.
    fn client_frame(fin: bool, opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = vec![(if fin { FIN } else { 0 }) | opcode];
        match payload.len() {
            n if n < 126 => out.push(MASKED | n as u8),
            n if n <= 0xFFFF => {
                out.push(MASKED | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(MASKED | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        out
    }

    fn decode(bytes: &[u8]) -> Result<Vec<Incoming>, WsError> {
        let mut d = Decoder::new(64 * 1024);
        let mut out = Vec::new();
        d.feed(bytes, &mut out)?;
        Ok(out)
    }

    #[test]
    fn the_accept_key_of_rfc_6455s_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn masked_text_of_every_length_class() {
        for len in [0, 5, 125, 126, 300, 65535, 65536] {
            let text: String = "é".repeat(len / 2) + &"x".repeat(len % 2);
            let frame = client_frame(true, OP_TEXT, text.as_bytes(), [1, 2, 3, 250]);
            assert_eq!(
                decode(&frame),
                Ok(vec![Incoming::Text(text)]),
                "length {len}"
            );
        }
    }

    #[test]
    fn frames_split_anywhere_come_out_whole_and_in_order() {
        let mut stream = client_frame(true, OP_TEXT, b"first", [9, 8, 7, 6]);
        stream.extend(client_frame(true, OP_PING, b"p", [1, 1, 1, 1]));
        stream.extend(client_frame(true, OP_TEXT, &[b'y'; 200], [4, 3, 2, 1]));
        for cut in 1..stream.len() {
            let mut d = Decoder::new(1024);
            let mut out = Vec::new();
            d.feed(&stream[..cut], &mut out).unwrap();
            d.feed(&stream[cut..], &mut out).unwrap();
            assert_eq!(
                out,
                vec![
                    Incoming::Text("first".into()),
                    Incoming::Ping(Bytes::from_static(b"p")),
                    Incoming::Text("y".repeat(200)),
                ],
                "cut at {cut}"
            );
            assert_eq!(d.buffered(), 0, "nothing held once every frame is in");
        }
    }

    #[test]
    fn fragments_are_joined_around_control_frames() {
        let mut stream = client_frame(false, OP_TEXT, b"hel", [1, 2, 3, 4]);
        stream.extend(client_frame(true, OP_PING, b"", [1, 2, 3, 4]));
        stream.extend(client_frame(false, OP_CONTINUATION, b"lo ", [5, 6, 7, 8]));
        stream.extend(client_frame(
            true,
            OP_CONTINUATION,
            "wörld".as_bytes(),
            [0; 4],
        ));
        assert_eq!(
            decode(&stream),
            Ok(vec![
                Incoming::Ping(Bytes::new()),
                Incoming::Text("hello wörld".into())
            ])
        );
    }

    #[test]
    fn protocol_violations_are_refused() {
        let unmasked = [FIN | OP_TEXT, 2, b'h', b'i'];
        assert!(matches!(decode(&unmasked), Err(WsError::Protocol(_))));
        let rsv = client_frame(true, OP_TEXT | 0x40, b"x", [0; 4]);
        assert!(matches!(decode(&rsv), Err(WsError::Protocol(_))));
        let stray = client_frame(true, OP_CONTINUATION, b"x", [0; 4]);
        assert!(matches!(decode(&stray), Err(WsError::Protocol(_))));
        let mut nested = client_frame(false, OP_TEXT, b"a", [0; 4]);
        nested.extend(client_frame(true, OP_TEXT, b"b", [0; 4]));
        assert!(matches!(decode(&nested), Err(WsError::Protocol(_))));
        let fragmented_ping = client_frame(false, OP_PING, b"", [0; 4]);
        assert!(matches!(
            decode(&fragmented_ping),
            Err(WsError::Protocol(_))
        ));
        let unknown = client_frame(true, 0x3, b"", [0; 4]);
        assert!(matches!(decode(&unknown), Err(WsError::Protocol(_))));
        let bad_utf8 = client_frame(true, OP_TEXT, &[0xff, 0xfe], [0; 4]);
        assert_eq!(decode(&bad_utf8), Err(WsError::BadUtf8));
    }

    #[test]
    fn oversized_messages_are_refused_before_they_are_buffered() {
        let mut d = Decoder::new(100);
        let mut out = Vec::new();
        // Only the header of a huge frame: refused at once.
        let header = &client_frame(true, OP_TEXT, &[0; 101], [0; 4])[..8];
        assert_eq!(d.feed(header, &mut out), Err(WsError::TooBig));
        // Fragments that add up to too much.
        let mut d = Decoder::new(100);
        let mut stream = client_frame(false, OP_TEXT, &[b'a'; 60], [0; 4]);
        stream.extend(client_frame(true, OP_CONTINUATION, &[b'a'; 60], [0; 4]));
        assert_eq!(d.feed(&stream, &mut out), Err(WsError::TooBig));
    }

    #[test]
    fn close_frames_carry_their_code() {
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        let frame = client_frame(true, OP_CLOSE, &payload, [3; 4]);
        assert_eq!(decode(&frame), Ok(vec![Incoming::Close(Some(1000))]));
        let empty = client_frame(true, OP_CLOSE, b"", [3; 4]);
        assert_eq!(decode(&empty), Ok(vec![Incoming::Close(None)]));
        let short = client_frame(true, OP_CLOSE, b"x", [3; 4]);
        assert!(matches!(decode(&short), Err(WsError::Protocol(_))));
        for bad in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let frame = client_frame(true, OP_CLOSE, &bad.to_be_bytes(), [3; 4]);
            assert!(
                matches!(decode(&frame), Err(WsError::Protocol(_))),
                "close code {bad}"
            );
        }
        for good in [1000u16, 1001, 1003, 1007, 1011, 3000, 4999] {
            let frame = client_frame(true, OP_CLOSE, &good.to_be_bytes(), [3; 4]);
            assert_eq!(decode(&frame), Ok(vec![Incoming::Close(Some(good))]));
        }
    }

    #[test]
    fn reserved_opcodes_are_refused_from_the_first_byte() {
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            let mut d = Decoder::new(1024);
            let mut out = Vec::new();
            // Only the first byte has arrived: refused already.
            assert_eq!(
                d.feed(&[FIN | op], &mut out),
                Err(WsError::Protocol("reserved opcode")),
                "opcode {op}"
            );
        }
    }

    #[test]
    fn what_came_before_a_bad_frame_is_still_decoded() {
        let mut stream = client_frame(true, OP_PING, b"hi", [1, 2, 3, 4]);
        stream.extend(client_frame(true, 0x3, b"", [0; 4]));
        let mut d = Decoder::new(1024);
        let mut out = Vec::new();
        assert!(d.feed(&stream, &mut out).is_err());
        assert_eq!(out, vec![Incoming::Ping(Bytes::from_static(b"hi"))]);
    }

    #[test]
    fn server_frames_are_unmasked_with_the_shortest_length() {
        assert_eq!(&text(b"hi")[..], &[FIN | OP_TEXT, 2, b'h', b'i']);
        let long = text(&[b'a'; 300]);
        assert_eq!(&long[..4], &[FIN | OP_TEXT, 126, 1, 44]);
        assert_eq!(long.len(), 304);
        let huge = text(&vec![b'a'; 70_000]);
        assert_eq!(huge[1], 127);
        assert_eq!(huge.len(), 70_010);
        assert_eq!(
            &close(4008, "slow")[..],
            &[FIN | OP_CLOSE, 6, 0x0f, 0xa8, b's', b'l', b'o', b'w']
        );
        assert_eq!(&pong(b"ab")[..], &[FIN | OP_PONG, 2, b'a', b'b']);
    }

    mod fuzz {
        //! The decoder against generated input: arbitrary bytes never panic it or make it
        //! hold more than a message's worth, and valid streams cut anywhere decode whole.
        //! Bounded (a few hundred cases) so that it runs in `make test`.
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_bytes_never_panic_or_grow_unbounded(
                chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..12)
            ) {
                let mut d = Decoder::new(1024);
                let mut out = Vec::new();
                for chunk in &chunks {
                    if d.feed(chunk, &mut out).is_err() {
                        break;
                    }
                    // An unfinished frame: at most its header and the largest payload.
                    prop_assert!(d.pending.len() <= 14 + 1024);
                    prop_assert!(d.fragments.as_ref().map_or(0, |(_, f)| f.len()) <= 1024);
                }
            }

            #[test]
            fn valid_streams_decode_whole_wherever_they_are_cut(
                texts in proptest::collection::vec("[a-zé😀 ]{0,200}", 1..6),
                pings in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..125), 0..4),
                fragment_at in 1usize..50,
                cuts in proptest::collection::vec(1usize..400, 0..8),
                mask in any::<[u8; 4]>(),
            ) {
                let mut stream = Vec::new();
                let mut want = Vec::new();
                for (i, text) in texts.iter().enumerate() {
                    if let Some(p) = pings.get(i) {
                        stream.extend(client_frame(true, OP_PING, p, mask));
                        want.push(Incoming::Ping(Bytes::copy_from_slice(p)));
                    }
                    let bytes = text.as_bytes();
                    if bytes.len() > fragment_at {
                        // Two fragments, cut anywhere, even inside a character.
                        stream.extend(client_frame(false, OP_TEXT, &bytes[..fragment_at], mask));
                        stream.extend(client_frame(true, OP_CONTINUATION, &bytes[fragment_at..], mask));
                    } else {
                        stream.extend(client_frame(true, OP_TEXT, bytes, mask));
                    }
                    want.push(Incoming::Text(text.clone()));
                }
                let mut d = Decoder::new(64 * 1024);
                let mut out = Vec::new();
                let mut rest = &stream[..];
                for cut in cuts {
                    let (now, later) = rest.split_at(cut.min(rest.len()));
                    d.feed(now, &mut out).unwrap();
                    rest = later;
                }
                d.feed(rest, &mut out).unwrap();
                prop_assert_eq!(out, want);
                prop_assert!(!d.in_frame());
            }
        }
    }
}
