//! Several nodes on one Postgres database and one Redis: clients on different nodes chat
//! as if on one server, in one order, and a dead node or a restarted Redis loses nothing.

use std::{collections::HashMap, time::Duration};

use cloud_msg::{
    protocol::{ClientFrame, ServerFrame},
    server::{Application, Config},
};
use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::helpers::*;

/// Reads frames until `n` messages of `room` came; returns their `(seq, client_id)`.
async fn collect(client: &mut Client, room: &str, n: usize, within: Duration) -> Vec<(u64, Uuid)> {
    let mut got = Vec::with_capacity(n);
    let deadline = tokio::time::Instant::now() + within;
    while got.len() < n {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let Ok(Some(Ok(msg))) = tokio::time::timeout(left, client.ws.next()).await else {
            panic!(
                "only {} of {n} messages arrived: {:?}",
                got.len(),
                got.last()
            );
        };
        if let Message::Text(t) = msg {
            if let ServerFrame::Message(m) = serde_json::from_str(&t).unwrap() {
                if m.room == room {
                    got.push((m.seq, m.client_id));
                }
            }
        }
    }
    got
}

fn assert_gapless(seen: &[(u64, Uuid)], n: usize, who: &str) {
    let seqs: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        seqs,
        (1..=n as u64).collect::<Vec<_>>(),
        "{who}: every seq once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_two_nodes_chat_as_on_one_server() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let alice_session = a.sign_in("alice").await;
    let mut alice = a
        .connect_with(&[("authorization", format!("Bearer {}", alice_session.token))])
        .await
        .unwrap();
    let mut bob = b.client("bob").await;
    alice.join("team", Some(0)).await;
    bob.join("team", Some(0)).await;

    alice.say("team", "hello from a").await;
    let got = bob
        .recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    assert_eq!(
        (message(&got).text.as_str(), message(&got).seq),
        ("hello from a", 1)
    );
    bob.say("team", "hello from b").await;
    let got = alice
        .recv_until(|f| matches!(f, ServerFrame::Message(m) if m.author == "bob"))
        .await;
    assert_eq!(
        (message(&got).text.as_str(), message(&got).seq),
        ("hello from b", 2)
    );

    // Bob's read marker, stored by node B, reaches Alice on node A.
    bob.send_frame(&ClientFrame::Read {
        room: "team".into(),
        seq: 2,
    })
    .await;
    let receipt = alice
        .recv_frame_until(|f| {
            matches!(f, ServerFrame::Receipts { receipts, .. }
                if receipts.iter().any(|r| r.name == "bob" && r.read == 2))
        })
        .await;
    assert!(matches!(receipt, ServerFrame::Receipts { .. }));

    // No sticky sessions: Alice's session works on node B, and catch-up there has both.
    let mut again = b
        .connect_with(&[("authorization", format!("Bearer {}", alice_session.token))])
        .await
        .unwrap();
    again.join("team", Some(0)).await;
    let replayed = again.recv_n(2).await;
    let texts: Vec<&str> = replayed.iter().map(|f| message(f).text.as_str()).collect();
    assert_eq!(texts, ["hello from a", "hello from b"]);

    // The room page on node B shows what was said on node A.
    let page = b.get("/r/team").await.text().await.unwrap();
    assert!(
        page.contains("hello from a"),
        "node B's page has node A's message"
    );

    // Room lists and unread counts: Alice is in #side on node A; Bob writes there on node B;
    // Alice's page, rendered by node B, counts what she has not read.
    alice.join("side", None).await;
    bob.say("side", "one").await;
    bob.say("side", "two").await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Message(m) if m.room == "side" && m.seq == 2))
        .await;
    let cookie = format!("cloud_msg_session={}", alice_session.token);
    let page = b.page_with_cookie("/r/team", &cookie).await;
    assert!(
        page.contains("side, 2 unread"),
        "the room list on node B counts Alice's unread"
    );
}

/// A ban on one node takes the banned person's socket on another node out of the room at
/// once (the removal crosses the bus), and that node refuses them from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_on_one_node_removes_the_socket_on_another() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    // Owner powers belong to accounts.
    let owner = a.sign_up("owner").await;
    let mut ann = a
        .connect_with(&[("authorization", format!("Bearer {}", owner.token))])
        .await
        .unwrap();
    ann.join("hall", None).await;
    ann.say("hall", "first").await;
    ann.recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    let troll = b.sign_in("troll").await;
    let mut troll_ws = b
        .connect_with(&[("authorization", format!("Bearer {}", troll.token))])
        .await
        .unwrap();
    troll_ws.join("hall", Some(0)).await;
    troll_ws
        .recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;

    let res = a
        .http
        .post(a.url("/api/rooms/hall/bans"))
        .bearer_auth(&owner.token)
        .json(&serde_json::json!({ "user_id": troll.user_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    match troll_ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Error { .. }))
        .await
    {
        ServerFrame::Error { code, .. } => {
            assert_eq!(code, cloud_msg::protocol::ErrorCode::Removed)
        }
        _ => unreachable!(),
    }
    ann.say("hall", "after the ban").await;
    troll_ws.expect_silence(500).await;
    let client_id = troll_ws.say("hall", "still here?").await;
    match troll_ws
        .recv_frame_until(|f| matches!(f, ServerFrame::Error { .. } | ServerFrame::Ack { .. }))
        .await
    {
        ServerFrame::Error {
            code,
            client_id: Some(id),
            ..
        } => assert!(code == cloud_msg::protocol::ErrorCode::Banned && id == client_id),
        other => panic!("the other node must refuse the banned person: {other:?}"),
    }
}

/// Signing out on one node ends the session on every node at once: its socket on another
/// node closes with 4001, and that node (which had it cached) refuses it from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_on_one_node_ends_the_session_on_all() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let session = a.sign_in("alice").await;
    let mut on_b = b
        .connect_with(&[("authorization", format!("Bearer {}", session.token))])
        .await
        .unwrap();
    on_b.join("general", None).await;
    let sessions = |node: &TestApp| {
        node.http
            .get(node.url("/api/sessions"))
            .bearer_auth(&session.token)
            .send()
    };
    assert_eq!(sessions(&b).await.unwrap().status(), 200, "cached on b now");

    let out = a
        .http
        .delete(a.url("/api/session"))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(on_b.expect_close().await, 4001, "the socket on b closes");
    assert_eq!(sessions(&b).await.unwrap().status(), 401, "b forgot it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_on_two_nodes_are_seen_in_one_order_everywhere() {
    const PER_SENDER: usize = 60;
    const SENDERS: usize = 4;
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let mut reader_a = a.client("reader-a").await;
    let mut reader_b = b.client("reader-b").await;
    reader_a.join("busy", Some(0)).await;
    reader_b.join("busy", Some(0)).await;

    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let node = if i % 2 == 0 { &a } else { &b };
        let mut client = node.client(&format!("sender-{i}")).await;
        senders.push(tokio::spawn(async move {
            for j in 0..PER_SENDER {
                client.say("busy", &format!("{i}:{j}")).await;
            }
            // Every ack, so that the sender's socket stays open until all are stored.
            let mut acks = 0;
            while acks < PER_SENDER {
                if matches!(client.recv_frame().await, ServerFrame::Ack { .. }) {
                    acks += 1;
                }
            }
        }));
    }
    let total = PER_SENDER * SENDERS;
    let within = Duration::from_secs(20);
    let (seen_a, seen_b) = tokio::join!(
        collect(&mut reader_a, "busy", total, within),
        collect(&mut reader_b, "busy", total, within)
    );
    for s in senders {
        s.await.unwrap();
    }
    assert_gapless(&seen_a, total, "reader on node A");
    assert_gapless(&seen_b, total, "reader on node B");
    assert_eq!(
        seen_a, seen_b,
        "both nodes deliver the same message at each seq"
    );
    reader_a.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_burst_delays_delivery_but_loses_nothing() {
    const N: usize = 300;
    let mut redis = RedisProcess::start().await;
    let cluster = Cluster::new(redis.url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let mut reader_a = a.client("reader-a").await;
    let mut reader_b = b.client("reader-b").await;
    reader_a.join("storm", Some(0)).await;
    reader_b.join("storm", Some(0)).await;

    // A writer on each node. The first third goes out with Redis up, the second while it is
    // dead (every publish of it is lost), the third after it is back.
    let mut writers = [a.client("writer-a").await, b.client("writer-b").await];
    for third in 0..3 {
        if third == 1 {
            redis.kill();
        }
        if third == 2 {
            redis.restart().await;
        }
        for i in third * N / 3..(third + 1) * N / 3 {
            writers[i % 2].say("storm", &format!("m{i}")).await;
        }
        // Every send of this third is stored before the next third begins.
        for writer in &mut writers {
            let mut acked = 0;
            while acked < N / 6 {
                if matches!(writer.recv_frame().await, ServerFrame::Ack { .. }) {
                    acked += 1;
                }
            }
        }
    }
    let within = Duration::from_secs(20);
    let (seen_a, seen_b) = tokio::join!(
        collect(&mut reader_a, "storm", N, within),
        collect(&mut reader_b, "storm", N, within)
    );
    assert_gapless(&seen_a, N, "reader on node A");
    assert_gapless(&seen_b, N, "reader on node B");
    assert_eq!(seen_a, seen_b, "every client converges to the same history");
    // And the room goes on across nodes.
    writers[0].say("storm", "after").await;
    let seen = collect(&mut reader_b, "storm", 1, Duration::from_secs(3)).await;
    assert_eq!(seen[0].0, N as u64 + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_burst_loses_no_acked_message_and_the_client_moves_on() {
    const N: usize = 600;
    let cluster = Cluster::new(redis_url()).await;
    let mut doomed = cluster.process().await;
    let survivor = cluster.process().await;
    let token = doomed.sign_in("writer").await;
    let reader_token = survivor.sign_in("reader").await;
    let mut reader = Client::new(survivor.connect(&reader_token).await);
    reader.join("durable", Some(0)).await;

    // Send everything to the doomed node, collecting acks; pull its plug part way.
    let ids: Vec<Uuid> = (0..N).map(|_| Uuid::new_v4()).collect();
    let (tx, mut rx) = doomed.connect(&token).await.split();
    let sender = spawn_sends(tx, "durable", ids.clone());
    let mut acked: HashMap<Uuid, u64> = HashMap::new();
    while let Some(Ok(msg)) = rx.next().await {
        if let Message::Text(t) = msg {
            if let ServerFrame::Ack { client_id, seq, .. } = serde_json::from_str(&t).unwrap() {
                acked.insert(client_id, seq);
                if acked.len() == N / 3 {
                    doomed.kill();
                }
            }
        }
    }
    sender.abort();
    assert!(
        acked.len() >= N / 3 && acked.len() < N,
        "killed mid-burst: {}",
        acked.len()
    );

    // The client reconnects to the other node and re-sends what was not acked.
    let mut ws = survivor.connect(&token).await;
    let resend: Vec<Uuid> = ids
        .iter()
        .filter(|id| !acked.contains_key(id))
        .copied()
        .collect();
    for id in &resend {
        let i = ids.iter().position(|x| x == id).unwrap();
        ws.send(send_frame("durable", *id, &format!("d{i}")))
            .await
            .unwrap();
    }
    let mut reacked = 0;
    while reacked < resend.len() {
        let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_secs(10), ws.next()).await
        else {
            panic!("re-sends were not acked");
        };
        if let ServerFrame::Ack { client_id, seq, .. } = serde_json::from_str(&t).unwrap() {
            assert!(!acked.contains_key(&client_id));
            acked.insert(client_id, seq);
            reacked += 1;
        }
    }

    // The reader on the surviving node saw every message exactly once, in order, and each
    // acked seq holds the message it was acked for.
    let seen = collect(&mut reader, "durable", N, Duration::from_secs(20)).await;
    assert_gapless(&seen, N, "reader on the surviving node");
    for (seq, client_id) in &seen {
        assert_eq!(
            acked.get(client_id),
            Some(seq),
            "acked seq holds its message"
        );
    }
    reader.expect_silence(300).await;
}

#[tokio::test]
async fn a_backend_pairing_that_cannot_work_is_refused_at_start() {
    let leptos = leptos::config::LeptosOptions::builder()
        .output_name("cloud_msg")
        .site_root("target/site")
        .build();
    let db = TestDatabase::new(Backend::Sqlite).await;
    let mut config = Config::new(
        "127.0.0.1:0".parse().unwrap(),
        db.url.clone(),
        leptos.clone(),
    );
    config.redis_url = Some(redis_url());
    let Err(error) = Application::build(config).await else {
        panic!("SQLite with Redis must be refused");
    };
    assert!(error.to_string().contains("REDIS_URL is set"), "{error}");

    let pg = TestDatabase::new(Backend::Postgres).await;
    let config = Config::new("127.0.0.1:0".parse().unwrap(), pg.url.clone(), leptos);
    let Err(error) = Application::build(config).await else {
        panic!("Postgres without Redis must be refused");
    };
    assert!(
        error.to_string().contains("REDIS_URL is not set"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_or_redis_stops_the_server_with_a_clear_error() {
    let pg = TestDatabase::new(Backend::Postgres).await;
    // Nothing listens on port 1.
    let cases = [
        (
            "postgres://postgres:secret@127.0.0.1:1/chat".to_string(),
            redis_url(),
            "could not reach Postgres at 127.0.0.1:1 after 2 tries",
        ),
        (
            pg.url.clone(),
            "redis://:secret@127.0.0.1:1".into(),
            "could not reach Redis at 127.0.0.1:1 after 2 tries",
        ),
    ];
    for (database, redis, expected) in cases {
        let out = ServerProcess::command(
            "127.0.0.1:0".parse().unwrap(),
            &[
                ("DATABASE_URL", database),
                ("REDIS_URL", redis),
                ("CLOUD_MSG_CONNECT_TRIES", "2".into()),
            ],
        )
        .output()
        .expect("the server runs");
        assert!(!out.status.success(), "exit status: {:?}", out.status);
        let log = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(log.contains(expected), "{log}");
        assert!(
            !log.contains("secret"),
            "a password never reaches the log: {log}"
        );
    }
}

/// A topic set on one node reaches the room's members on every node at once, and every
/// node's kept page of the room shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_set_on_one_node_is_shown_on_every_node() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let ann = a.sign_up("ann").await.token;
    let mut bob = b.client("bob").await;
    bob.join("lobby", None).await;
    bob.presence().await;
    let in_header = |html: &str| html.contains(r#"<p class="topic">Release on Friday"#);
    assert!(!in_header(&b.get("/r/lobby").await.text().await.unwrap()));

    let res = a
        .http
        .put(a.url("/api/rooms/lobby/topic"))
        .bearer_auth(&ann)
        .json(&serde_json::json!({ "topic": "Release on Friday" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (room, topic) = bob.topic().await;
    assert_eq!(
        (room.as_str(), topic.as_str()),
        ("lobby", "Release on Friday")
    );
    assert!(
        in_header(&b.get("/r/lobby").await.text().await.unwrap()),
        "node b's page"
    );
    assert!(
        in_header(&a.get("/r/lobby").await.text().await.unwrap()),
        "node a's page"
    );
}

#[tokio::test]
async fn reactions_and_replies_on_one_node_are_seen_on_every_node() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let mut ann = a.client("ann").await;
    let mut bob = b.client("bob").await;
    ann.join("hall", Some(0)).await;
    bob.join("hall", Some(0)).await;
    bob.presence().await;
    ann.say("hall", "ship it?").await;
    let seen = bob
        .recv_until(|f| matches!(f, ServerFrame::Message(_)))
        .await;
    assert_eq!(message(&seen).seq, 1);
    // bob, on node b: a 👍 and a reply; ann, on node a, sees both.
    bob.send_frame(&ClientFrame::React {
        room: "hall".into(),
        seq: 1,
        client_id: Uuid::new_v4(),
        emoji: "👍".into(),
        undo: false,
    })
    .await;
    bob.send_frame(&ClientFrame::Send {
        room: "hall".into(),
        client_id: Uuid::new_v4(),
        text: "shipped".into(),
        reply_to: Some(1),
    })
    .await;
    let mut got = Vec::new();
    while got.len() < 2 {
        if let ServerFrame::Message(m) = ann.recv().await {
            if m.author == "bob" {
                got.push(m);
            }
        }
    }
    assert_eq!(
        (got[0].kind.reacts(), got[0].text.as_str()),
        (Some(1), "👍")
    );
    assert_eq!(
        got[1].reply_to.as_ref().map(|q| q.text.as_str()),
        Some("ship it?")
    );
    // Both nodes' pages show the chip and the quote.
    for node in [&a, &b] {
        let html = node.get("/r/hall").await.text().await.unwrap();
        assert!(
            html.contains("👍 1") && html.contains(r#"title="bob""#),
            "{html}"
        );
        assert!(html.contains("Go to ann"), "{html}");
    }
}
