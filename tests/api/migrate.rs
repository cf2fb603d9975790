//! `cloud_msg migrate`: a single node's SQLite file moves into Postgres, checked, once.

use std::sync::Arc;

use cloud_msg::protocol::ServerFrame;

use crate::helpers::*;

fn migrate(from: &str, to: &str) -> std::process::Output {
    ServerProcess::command("127.0.0.1:0".parse().unwrap(), &[])
        .args(["migrate", "--from", from, "--to", to])
        .output()
        .expect("the binary runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_node_moves_into_postgres_with_everything_and_only_once() {
    // A single node on SQLite, with history, markers and a session.
    let sqlite = Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let app = TestApp::spawn_in(sqlite.clone()).await;
    let session = app.sign_in("alice").await;
    let mut alice = app
        .connect_with(&[("authorization", format!("Bearer {}", session.token))])
        .await
        .unwrap();
    alice.join("general", None).await;
    for (room, text) in [
        ("general", "one"),
        ("general", "two"),
        ("ops", "<b>three</b>"),
    ] {
        alice.say(room, text).await;
        alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
            .await;
    }
    // A reaction (an entry of its own, and a row of the reactions table).
    alice
        .send_frame(&cloud_msg::protocol::ClientFrame::React {
            room: "ops".into(),
            seq: 1,
            client_id: uuid::Uuid::new_v4(),
            emoji: "👍".into(),
            undo: false,
        })
        .await;
    alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    alice.read_up_to("general", 2, "alice").await;
    // And an account, whose password must still work after the move (the first: the admin,
    // who owns #general from then on, a third membership).
    let zed = app
        .http
        .post(app.url("/api/accounts"))
        .json(&serde_json::json!({"name": "zed", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(zed.status(), 201);
    // zed (the first account: the admin) makes a private room and bans alice from ops.
    let zed: cloud_msg::protocol::SessionResponse = zed.json().await.unwrap();
    let res = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&zed.token)
        .json(&serde_json::json!({"name": "vault", "private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .http
        .post(app.url("/api/rooms/ops/bans"))
        .bearer_auth(&zed.token)
        .json(&serde_json::json!({ "user_id": session.user_id }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    // zed makes a bot, which posts once and is then disabled.
    let bot: cloud_msg::protocol::SessionResponse = app
        .http
        .post(app.url("/api/bots"))
        .bearer_auth(&zed.token)
        .json(&serde_json::json!({"name": "ci-bot"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = app
        .http
        .post(app.url("/api/rooms/general/messages"))
        .bearer_auth(&bot.token)
        .json(&serde_json::json!({"client_id": uuid::Uuid::new_v4(), "text": "deployed", "reply_to": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .http
        .post(app.url(&format!("/api/users/{}/disable", bot.user_id)))
        .bearer_auth(&zed.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    app.stop().await;

    let cluster = Cluster::new(redis_url()).await;
    let out = migrate(&sqlite.url, &cluster.db.url);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains(
            "migrated 3 people, 2 sessions, 3 rooms, 5 messages, 3 memberships, 1 bans, 1 reactions"
        ),
        "{said}"
    );

    // Twice is refused, and changes nothing.
    let again = migrate(&sqlite.url, &cluster.db.url);
    assert!(!again.status.success());
    let log = String::from_utf8_lossy(&again.stdout) + String::from_utf8_lossy(&again.stderr);
    assert!(log.contains("already holds data"), "{log}");

    // A node on Postgres has it all: Alice's session still works, the history and her
    // marker are there, and the rooms go on from their last seq.
    let node = cluster.node().await;
    let mut alice = node
        .connect_with(&[("authorization", format!("Bearer {}", session.token))])
        .await
        .expect("the session moved too");
    let room = |n: &str| cloud_msg::validation::RoomName::parse(n).unwrap();
    alice.join("general", Some(0)).await;
    let texts: Vec<(String, bool)> = alice
        .recv_n(3)
        .await
        .iter()
        .map(|f| (message(f).text.clone(), message(f).bot))
        .collect();
    let want = [("one", false), ("two", false), ("deployed", true)];
    assert_eq!(
        texts,
        want.map(|(t, b)| (t.to_owned(), b)),
        "the bot's mark moved"
    );
    // The reply's quote and the reaction moved.
    let general_history = node.state.store.recent(&room("general"), 10).await.unwrap();
    assert_eq!(
        general_history[2]
            .reply_to
            .as_ref()
            .map(|q| q.text.as_str()),
        Some("one")
    );
    let ops_history = node.state.store.recent(&room("ops"), 10).await.unwrap();
    assert_eq!(ops_history[0].reactions[0].names, ["alice"]);
    alice.say("general", "after the move").await;
    let ack = alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    assert!(matches!(ack, ServerFrame::Ack { seq: 4, .. }), "{ack:?}");
    let general = node
        .state
        .store
        .find_room(&cloud_msg::validation::RoomName::parse("general").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(general.1, 4, "the room's last seq");
    let flags = node.state.store.user_flags(bot.user_id).await.unwrap();
    assert!(
        flags.is_some_and(|f| f.disabled),
        "a disabled account stays disabled"
    );
    let store = &node.state.store;
    let vault = store
        .room_facts(&room("vault"), Some(zed.user_id))
        .await
        .unwrap()
        .unwrap();
    assert!(
        vault.room.private && vault.admin,
        "privacy, ownership and the admin moved"
    );
    assert_eq!(
        vault.member.map(|m| m.0),
        Some(cloud_msg::server::model::Role::Owner)
    );
    let ops = store
        .room_facts(&room("ops"), Some(session.user_id))
        .await
        .unwrap()
        .unwrap();
    assert!(ops.banned, "the ban moved");
    let receipts = node
        .state
        .store
        .receipts(
            &cloud_msg::validation::RoomName::parse("general").unwrap(),
            10,
        )
        .await
        .unwrap();
    assert!(
        receipts.iter().any(|r| r.name == "alice" && r.read == 2),
        "{receipts:?}"
    );
    let zed = node
        .post_session(serde_json::json!({"name": "Zed", "password": "correct horse battery"}))
        .await;
    assert_eq!(zed.status(), 200, "the account and its password moved");
    assert_eq!(
        node.post_session(serde_json::json!({"name": "zed"}))
            .await
            .status(),
        409,
        "and it still owns its name"
    );
    // A new room gets a new id, after the copied ones.
    alice.say("new-room", "fresh").await;
    let ack = alice
        .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
        .await;
    assert!(matches!(ack, ServerFrame::Ack { seq: 1, .. }), "{ack:?}");
}

#[tokio::test]
async fn migrate_refuses_what_it_cannot_do() {
    let pg = TestDatabase::new(Backend::Postgres).await;
    let missing = migrate("sqlite:///nonexistent/dir/chat.db", &pg.url);
    assert!(!missing.status.success());
    let log = String::from_utf8_lossy(&missing.stdout) + String::from_utf8_lossy(&missing.stderr);
    assert!(
        log.contains("there is no SQLite database at /nonexistent/dir/chat.db"),
        "{log}"
    );

    let backwards = migrate(&pg.url, "sqlite://x.db");
    assert!(!backwards.status.success());
    let log =
        String::from_utf8_lossy(&backwards.stdout) + String::from_utf8_lossy(&backwards.stderr);
    assert!(log.contains("migrate copies from sqlite://"), "{log}");
}

/// SQLite kept a NUL in a message before texts refused control characters; Postgres cannot
/// hold one, and `migrate` aborted on it. It now copies everything, stores U+FFFD in the
/// NUL's place, and says which message (and topic) it changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_from_an_older_sqlite_is_replaced_and_reported_not_an_abort() {
    let sqlite = Arc::new(TestDatabase::new(Backend::Sqlite).await);
    let app = TestApp::spawn_in(sqlite.clone()).await;
    let mut alice = app.client("alice").await;
    alice.join("general", None).await;
    for text in ["first", "second"] {
        alice.say("general", text).await;
        alice
            .recv_until(|f| matches!(f, ServerFrame::Ack { .. }))
            .await;
    }
    app.stop().await;
    // What an older server let in.
    let mut db = <sqlx::SqliteConnection as sqlx::Connection>::connect(&sqlite.url)
        .await
        .unwrap();
    sqlx::query("UPDATE messages SET text = 'fir' || char(0) || 'st' WHERE seq = 1")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("UPDATE rooms SET topic = 'to' || char(0) || 'pic' WHERE name = 'general'")
        .execute(&mut db)
        .await
        .unwrap();
    drop(db);

    let cluster = Cluster::new(redis_url()).await;
    let out = migrate(&sqlite.url, &cluster.db.url);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("2 texts held a NUL, stored with U+FFFD instead: the topic of #general, #general message 1"),
        "{said}"
    );
    let node = cluster.node().await;
    let room = cloud_msg::validation::RoomName::parse("general").unwrap();
    let texts: Vec<String> = node
        .state
        .store
        .recent(&room, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts, ["fir\u{FFFD}st", "second"]);
}
