//! RFC 6455 conformance, case group by case group in the manner of the Autobahn TestSuite
//! (1 framing, 2 pings, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8, 7 close,
//! 9 limits, plus the opening handshake), against the real server with raw bytes.

use std::time::Duration;

use crate::{
    helpers::TestApp,
    raw::{
        frame, frame_rsv, http_head, send_json, upgrade_request, Raw, OP_BINARY, OP_CLOSE, OP_CONT,
        OP_PING, OP_PONG, OP_TEXT,
    },
};

async fn socket(app: &TestApp) -> Raw {
    let token = app.sign_in("peer").await.token;
    Raw::connect(app.addr, &token).await
}

/// Sends `bytes` on a new socket and returns the server's close code.
async fn close_code_for(app: &TestApp, bytes: &[u8]) -> u16 {
    let mut raw = socket(app).await;
    raw.send(bytes).await;
    raw.close_code().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_1_framing_every_length_class_is_read() {
    let app = TestApp::spawn().await;
    let mut raw = socket(&app).await;
    // 7-bit, 16-bit and 64-bit lengths: JSON padded with spaces to the size wanted.
    for len in [100usize, 126, 1000, 65_535, 65_536] {
        let json = send_json("framing", "x");
        let padded = format!("{json}{}", " ".repeat(len.saturating_sub(json.len())));
        let bytes = frame(true, OP_TEXT, padded.as_bytes());
        raw.send(&bytes).await;
        let ack = raw.next_json().await;
        assert_eq!(ack["type"], "ack", "length {len}: {ack}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_2_pings_are_answered_with_their_payload() {
    let app = TestApp::spawn().await;
    let mut raw = socket(&app).await;
    for payload in [&b""[..], b"hello", &[0xAB; 125]] {
        raw.send(&frame(true, OP_PING, payload)).await;
        assert_eq!(raw.next_control().await, Some((OP_PONG, payload.to_vec())));
    }
    // An unsolicited pong is ignored.
    raw.send(&frame(true, OP_PONG, b"unasked")).await;
    raw.send(&frame(true, OP_PING, b"still here")).await;
    assert_eq!(
        raw.next_control().await,
        Some((OP_PONG, b"still here".to_vec()))
    );
    // A ping with 126 bytes, or fragmented, breaks the protocol.
    assert_eq!(
        close_code_for(&app, &frame(true, OP_PING, &[0; 126])).await,
        1002
    );
    assert_eq!(
        close_code_for(&app, &frame(false, OP_PING, b"")).await,
        1002
    );
    // A ping in the same write as a later bad frame is still answered, then the close.
    let mut raw = socket(&app).await;
    let mut bytes = frame(true, OP_PING, b"first");
    bytes.extend(frame(true, 0x3, b""));
    raw.send(&bytes).await;
    assert_eq!(raw.next_control().await, Some((OP_PONG, b"first".to_vec())));
    assert_eq!(raw.close_code().await, 1002);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_3_reserved_bits_close_with_1002() {
    let app = TestApp::spawn().await;
    for rsv in 1..=7u8 {
        let bytes = frame_rsv(true, rsv, OP_TEXT, send_json("r", "x").as_bytes());
        assert_eq!(close_code_for(&app, &bytes).await, 1002, "rsv {rsv}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_4_reserved_opcodes_close_with_1002_before_their_payload() {
    let app = TestApp::spawn().await;
    for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        // Only a header that announces 60 KiB: refused without waiting for the payload.
        let header = &frame(true, op, &[0; 60_000])[..8];
        assert_eq!(close_code_for(&app, header).await, 1002, "opcode {op}");
    }
    // Binary frames are valid WebSocket but not our protocol: an error, not a close.
    let mut raw = socket(&app).await;
    raw.send(&frame(true, OP_BINARY, b"\x00\x01")).await;
    assert_eq!(raw.next_json().await["code"], "binary_frame");
    // Unmasked client frames break the protocol.
    let mut unmasked = vec![0x81, 2];
    unmasked.extend_from_slice(b"{}");
    assert_eq!(close_code_for(&app, &unmasked).await, 1002);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_5_fragments_are_joined_and_misuse_is_refused() {
    let app = TestApp::spawn().await;
    let mut raw = socket(&app).await;
    let json = send_json("frag", "in three parts");
    let (a, rest) = json.split_at(5);
    let (b, c) = rest.split_at(10);
    let mut bytes = frame(false, OP_TEXT, a.as_bytes());
    bytes.extend(frame(true, OP_PING, b"between"));
    bytes.extend(frame(false, OP_CONT, b.as_bytes()));
    bytes.extend(frame(true, OP_CONT, c.as_bytes()));
    raw.send(&bytes).await;
    assert_eq!(
        raw.next_control().await,
        Some((OP_PONG, b"between".to_vec()))
    );
    assert_eq!(raw.next_json().await["type"], "ack");
    // A continuation with nothing to continue; a new message inside a fragmented one.
    assert_eq!(
        close_code_for(&app, &frame(true, OP_CONT, b"x")).await,
        1002
    );
    let mut nested = frame(false, OP_TEXT, b"{");
    nested.extend(frame(true, OP_TEXT, b"{}"));
    assert_eq!(close_code_for(&app, &nested).await, 1002);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_6_text_must_be_utf8_even_when_split_inside_a_character() {
    let app = TestApp::spawn().await;
    assert_eq!(
        close_code_for(&app, &frame(true, OP_TEXT, &[0xce, 0xba, 0xff])).await,
        1007
    );
    // A character split across two fragments is fine.
    let mut raw = socket(&app).await;
    let json = send_json("utf8", "κόσμε");
    let bytes = json.as_bytes();
    let cut = json.find('κ').unwrap() + 1;
    let mut stream = frame(false, OP_TEXT, &bytes[..cut]);
    stream.extend(frame(true, OP_CONT, &bytes[cut..]));
    raw.send(&stream).await;
    let ack = raw.next_json().await;
    assert_eq!(ack["type"], "ack", "{ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_7_close_codes() {
    let app = TestApp::spawn().await;
    for ok in [1000u16, 1001, 1003, 1007, 1011, 3000, 4999] {
        let mut payload = ok.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        assert_eq!(
            close_code_for(&app, &frame(true, OP_CLOSE, &payload)).await,
            1000,
            "{ok}"
        );
    }
    assert_eq!(
        close_code_for(&app, &frame(true, OP_CLOSE, b"")).await,
        1000
    );
    for bad in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
        let bytes = frame(true, OP_CLOSE, &bad.to_be_bytes());
        assert_eq!(close_code_for(&app, &bytes).await, 1002, "close code {bad}");
    }
    assert_eq!(
        close_code_for(&app, &frame(true, OP_CLOSE, b"x")).await,
        1002
    );
    let mut bad_reason = 1000u16.to_be_bytes().to_vec();
    bad_reason.extend_from_slice(&[0xff, 0xfe]);
    assert_eq!(
        close_code_for(&app, &frame(true, OP_CLOSE, &bad_reason)).await,
        1007
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_9_limits_size_and_time() {
    let app = TestApp::spawn_configured(|c| c.timeouts.frame = Duration::from_millis(400)).await;
    // Over 64 KiB: refused from the header alone, then across fragments.
    let header = &frame(true, OP_TEXT, &vec![b' '; 64 * 1024 + 1])[..10];
    assert_eq!(close_code_for(&app, header).await, 1009);
    let mut parts = frame(false, OP_TEXT, &vec![b' '; 40_000]);
    parts.extend(frame(true, OP_CONT, &vec![b' '; 40_000]));
    assert_eq!(close_code_for(&app, &parts).await, 1009);
    // A frame trickled in never completes: closed after the frame timeout (1008).
    let mut raw = socket(&app).await;
    let whole = frame(true, OP_TEXT, send_json("slow", "x").as_bytes());
    let started = std::time::Instant::now();
    raw.send(&whole[..3]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    raw.send(&whole[3..4]).await;
    assert_eq!(raw.close_code().await, 1008);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_handshake_errors() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("h").await.token;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    // Not an upgrade at all, or another version: 426 naming version 13.
    let (status, head) = http_head(
        app.addr,
        &format!("GET /ws HTTP/1.1\r\nHost: {}\r\n\r\n", app.addr),
    )
    .await;
    assert_eq!(status, 426);
    assert!(head.contains("sec-websocket-version: 13"), "{head}");
    let (status, head) = http_head(
        app.addr,
        &upgrade_request(
            app.addr,
            &token,
            &format!("Sec-WebSocket-Version: 8\r\n{key}"),
        ),
    )
    .await;
    assert_eq!(status, 426);
    assert!(head.contains("sec-websocket-version: 13"), "{head}");
    // A missing or malformed key: 400.
    for bad_key in [
        "",
        "Sec-WebSocket-Key: short\r\n",
        "Sec-WebSocket-Key: !!!!\r\n",
    ] {
        let (status, _) = http_head(
            app.addr,
            &upgrade_request(
                app.addr,
                &token,
                &format!("Sec-WebSocket-Version: 13\r\n{bad_key}"),
            ),
        )
        .await;
        assert_eq!(status, 400, "{bad_key:?}");
    }
    // No session: 401; a foreign page: 403.
    let (status, _) = http_head(
        app.addr,
        &upgrade_request(
            app.addr,
            "nope",
            &format!("Sec-WebSocket-Version: 13\r\n{key}"),
        ),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = http_head(
        app.addr,
        &upgrade_request(
            app.addr,
            &token,
            &format!("Sec-WebSocket-Version: 13\r\n{key}Origin: https://evil.example\r\n"),
        ),
    )
    .await;
    assert_eq!(status, 403);
}
