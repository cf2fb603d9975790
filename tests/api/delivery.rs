//! "Nothing lost": receipts, slow consumers, and durable acks across SIGKILL.

use std::{collections::HashMap, time::Duration};

use cloud_msg::protocol::{ClientFrame, Receipt, ServerFrame};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::helpers::{message, spawn_sends, ServerProcess, TestApp};

/// Bob's receipt, if a `receipts` frame carries one.
fn receipt(frame: &ServerFrame) -> Option<&Receipt> {
    match frame {
        ServerFrame::Receipts { receipts, .. } => receipts.iter().find(|r| r.name == "bob"),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_and_read_markers_are_stored_capped_and_fanned_out() {
    let app = TestApp::spawn().await;
    let (mut alice, mut bob) = (app.client("alice").await, app.client("bob").await);
    alice.join("general", None).await;
    bob.join("general", None).await;
    alice.say("general", "one").await;
    alice.say("general", "two").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Message(m) if m.seq == 2))
        .await;
    bob.recv_n(2).await;

    bob.send_frame(&ClientFrame::Received {
        room: "general".into(),
        seq: 2,
    })
    .await;
    let r = alice.recv_until(|f| receipt(f).is_some()).await;
    let r = receipt(&r).unwrap();
    assert_eq!((r.name.as_str(), r.delivered, r.read), ("bob", 2, 0));

    // Read implies delivered; a marker past the room's end is capped.
    bob.send_frame(&ClientFrame::Read {
        room: "general".into(),
        seq: 99,
    })
    .await;
    let r = alice.recv_until(|f| receipt(f).is_some()).await;
    assert_eq!(
        (receipt(&r).unwrap().delivered, receipt(&r).unwrap().read),
        (2, 2)
    );
    // Lower or equal markers change nothing and are not broadcast.
    bob.send_frame(&ClientFrame::Read {
        room: "general".into(),
        seq: 1,
    })
    .await;
    bob.send_frame(&ClientFrame::Received {
        room: "general".into(),
        seq: 2,
    })
    .await;
    alice.expect_silence(300).await;

    // Someone joining later learns where everyone is.
    let mut carol = app.client("carol").await;
    carol.join("general", Some(2)).await;
    let r = carol
        .recv_until(|f| receipt(f).is_some_and(|r| r.name == "bob"))
        .await;
    assert_eq!(
        (receipt(&r).unwrap().delivered, receipt(&r).unwrap().read),
        (2, 2)
    );
    // And a bad room in a marker is refused like any other.
    carol
        .send_raw(Message::text(r#"{"type":"read","room":"NO","seq":1}"#))
        .await;
    assert!(matches!(carol.recv().await, ServerFrame::Error { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reader_is_disconnected_while_others_keep_receiving() {
    const N: usize = 3000;
    let app = TestApp::spawn_unlimited().await;
    // The stalled reader: a tiny receive window, and it never reads.
    let mut stalled = app.tiny_window_client("sleepy").await;
    // It reads the answer to its join, and nothing after.
    stalled.join("busy", None).await;
    let mut stalled = stalled.ws;

    let mut bob = app.client("bob").await;
    bob.join("busy", None).await;

    let alice = app.client("alice").await;
    let (mut tx, mut rx) = alice.ws.split();
    let body = "x".repeat(2000);
    let sender = tokio::spawn(async move {
        for i in 0..N {
            let frame = ClientFrame::Send {
                room: "busy".into(),
                client_id: Uuid::new_v4(),
                text: format!("{i} {body}"),
                reply_to: None,
            };
            tx.send(Message::text(serde_json::to_string(&frame).unwrap()))
                .await
                .unwrap();
        }
        tx
    });
    let acks = tokio::spawn(async move {
        let mut acked = 0;
        while acked < N {
            match rx.next().await {
                Some(Ok(Message::Text(t))) => {
                    let frame: ServerFrame = serde_json::from_str(&t).unwrap();
                    assert!(matches!(frame, ServerFrame::Ack { .. }), "{frame:?}");
                    acked += 1;
                }
                Some(Ok(_)) => {}
                other => panic!("sender lost its socket: {other:?}"),
            }
        }
    });
    // Bob gets every message, in order.
    let started = std::time::Instant::now();
    for seq in 1..=N as u64 {
        let frame = bob.recv().await;
        assert_eq!(message(&frame).seq, seq);
    }
    let elapsed = started.elapsed();
    acks.await.unwrap();
    let _ = sender.await.unwrap();
    println!("{N} messages of 2 KB to the healthy reader in {elapsed:?}");

    // The stalled reader was cut off: what it finds is less than everything, then the end.
    let mut got = 0;
    let mut close_code = None;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stalled.next()).await {
            Ok(Some(Ok(Message::Text(_)))) => got += 1,
            Ok(Some(Ok(Message::Close(frame)))) => {
                close_code = frame.map(|f| u16::from(f.code));
                break;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) => break,
            Err(_) => panic!("the stalled socket was never closed"),
        }
    }
    assert!(
        got < N,
        "the stalled reader was not disconnected ({got} frames)"
    );
    assert!(matches!(close_code, None | Some(4008)), "{close_code:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_that_reads_its_acks_late_is_slowed_down_not_cut_off() {
    const N: usize = 20_000;
    let app = TestApp::spawn_unlimited().await;
    // A bot that sends everything before it reads anything, with a tiny receive window:
    // its acks back up in the server.
    let (tx, mut rx) = app.tiny_window_client("hasty").await.ws.split();
    let sender = spawn_sends(tx, "hasty", (0..N).map(|_| Uuid::new_v4()).collect());
    // Not reading for a while: TCP holds the sender back meanwhile.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut acked = 0;
    while acked < N {
        match tokio::time::timeout(Duration::from_secs(30), rx.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => {
                let frame: ServerFrame = serde_json::from_str(&t).unwrap();
                assert!(matches!(frame, ServerFrame::Ack { .. }), "{frame:?}");
                acked += 1;
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                panic!("closed after {acked} acks: {frame:?}")
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the socket ended after {acked} acks: {other:?}"),
        }
    }
    sender.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acked_message_survives_sigkill_exactly_once() {
    const N: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path()).await;
    let token = server.sign_in("writer").await;
    let ids: Vec<Uuid> = (0..N).map(|_| Uuid::new_v4()).collect();

    let ws = server.connect(&token).await;
    let (tx, mut rx) = ws.split();
    let sender = spawn_sends(tx, "durable", ids.clone());
    // Collect acks; pull the plug part way.
    let mut acked: HashMap<Uuid, u64> = HashMap::new();
    let mut server = server;
    while let Some(Ok(msg)) = rx.next().await {
        if let Message::Text(t) = msg {
            if let ServerFrame::Ack { client_id, seq, .. } = serde_json::from_str(&t).unwrap() {
                acked.insert(client_id, seq);
                if acked.len() == N / 3 {
                    server.kill();
                }
            }
        }
    }
    let _ = sender.await;
    assert!(
        acked.len() >= N / 3 && acked.len() < N,
        "killed part way: {} acked",
        acked.len()
    );

    // After a restart every acked message is there, once, with its seq; seqs are gapless.
    let server = ServerProcess::start(dir.path()).await;
    let stored = server.replay(&token, "durable").await;
    let seqs: Vec<u64> = stored.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, (1..=stored.len() as u64).collect::<Vec<_>>());
    let by_id: HashMap<Uuid, u64> = stored.iter().map(|m| (m.client_id, m.seq)).collect();
    assert_eq!(by_id.len(), stored.len(), "no client_id stored twice");
    for (id, seq) in &acked {
        assert_eq!(by_id.get(id), Some(seq), "acked message {id} lost or moved");
    }

    // The client's outbox sends everything again: each message ends up stored exactly once.
    let mut ws = server.connect(&token).await;
    for (i, id) in ids.iter().enumerate() {
        let frame = ClientFrame::Send {
            room: "durable".into(),
            client_id: *id,
            text: format!("d{i}"),
            reply_to: None,
        };
        ws.send(Message::text(serde_json::to_string(&frame).unwrap()))
            .await
            .unwrap();
    }
    let mut acks = 0;
    while acks < N {
        if let Some(Ok(Message::Text(t))) = ws.next().await {
            if let ServerFrame::Ack { client_id, seq, .. } = serde_json::from_str(&t).unwrap() {
                if let Some(before) = acked.get(&client_id) {
                    assert_eq!(*before, seq, "a retry gets the original seq");
                }
                acks += 1;
            }
        }
    }
    let stored = server.replay(&token, "durable").await;
    assert_eq!(stored.len(), N);
    let distinct: std::collections::HashSet<_> = stored.iter().map(|m| m.client_id).collect();
    assert_eq!(distinct.len(), N);
    println!(
        "{} of {N} acked before SIGKILL; all {N} stored exactly once after retry",
        acked.len()
    );
}
