//! The decoder and encoder against RFC 6455's rules, and fuzzed with generated input.

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

fn decode(bytes: &[u8]) -> Result<Vec<FromClient>, WsError> {
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
            Ok(vec![FromClient::Text(text)]),
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
                FromClient::Text("first".into()),
                FromClient::Ping(Bytes::from_static(b"p")),
                FromClient::Text("y".repeat(200)),
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
            FromClient::Ping(Bytes::new()),
            FromClient::Text("hello wörld".into())
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
    assert_eq!(decode(&frame), Ok(vec![FromClient::Close(Some(1000))]));
    let empty = client_frame(true, OP_CLOSE, b"", [3; 4]);
    assert_eq!(decode(&empty), Ok(vec![FromClient::Close(None)]));
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
        assert_eq!(decode(&frame), Ok(vec![FromClient::Close(Some(good))]));
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
    assert_eq!(out, vec![FromClient::Ping(Bytes::from_static(b"hi"))]);
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
                    want.push(FromClient::Ping(Bytes::copy_from_slice(p)));
                }
                let bytes = text.as_bytes();
                if bytes.len() > fragment_at {
                    // Two fragments, cut anywhere, even inside a character.
                    stream.extend(client_frame(false, OP_TEXT, &bytes[..fragment_at], mask));
                    stream.extend(client_frame(true, OP_CONTINUATION, &bytes[fragment_at..], mask));
                } else {
                    stream.extend(client_frame(true, OP_TEXT, bytes, mask));
                }
                want.push(FromClient::Text(text.clone()));
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
