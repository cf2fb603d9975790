//! The `Store` boundary, spoken to as the server does, on both backends: every test runs
//! once on SQLite and once on Postgres (a fresh database each, dropped afterwards).

#[path = "../common/database.rs"]
mod database;
mod search_slices;

use std::collections::HashSet;

use cloud_msg::{
    protocol::EntryKind,
    server::{
        model::{NewEntry, NewSession, Role, RoomRef, User},
        store::{Database, Store},
    },
    timestamp::Timestamp,
    validation::{DisplayName, RoomName},
};
use database::{Backend, TestDatabase};
use uuid::Uuid;

/// Runs `test` on a fresh store of each backend.
macro_rules! on_both {
    ($name:ident, |$store:ident, $db:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            for backend in Backend::ALL {
                let $db = TestDatabase::new(backend).await;
                let $store = Store::open(&$db.url).await.expect("store opens");
                assert_eq!(
                    $store.kind(),
                    match backend {
                        Backend::Sqlite => Database::Sqlite,
                        Backend::Postgres => Database::Postgres,
                    }
                );
                eprintln!("{} on {backend:?}", stringify!($name));
                $body
                $store.close().await;
            }
        }
    };
}

fn room(name: &str) -> RoomName {
    RoomName::parse(name).unwrap()
}

fn new(author: &User, text: &str) -> NewEntry {
    NewEntry {
        client_id: Uuid::now_v7(),
        author: author.clone(),
        text: text.into(),
        ts: Timestamp::from_millis(1_700_000_000_000),
        kind: EntryKind::Message,
        reply_to: None,
        // As the room's actor renders it before the store.
        html: cloud_msg::server::domain::markdown::render(text),
    }
}

async fn person(store: &Store, name: &str) -> User {
    store
        .create_user_session(
            &DisplayName::parse(name).unwrap(),
            &NewSession::new(Uuid::new_v4().as_bytes().to_vec(), "test"),
        )
        .await
        .unwrap()
}

/// The room called `name`, made by a person of its own (its owner).
async fn open_room(store: &Store, name: &str) -> RoomRef {
    let founder = person(store, "founder").await;
    let (r, made) = store
        .ensure_room(&room(name), false, &founder)
        .await
        .unwrap();
    assert!(made);
    r
}

fn texts(msgs: &[cloud_msg::protocol::Entry]) -> Vec<&str> {
    msgs.iter().map(|m| m.text.as_str()).collect()
}

on_both!(
    seqs_are_gapless_per_room_and_resends_are_answered_with_what_was_stored,
    |store, _db| {
        let ann = person(&store, "ann").await;
        let lobby = open_room(&store, "lobby").await;
        let other = open_room(&store, "other").await;
        assert_eq!(
            store.ensure_room(&room("lobby"), true, &ann).await.unwrap(),
            (lobby.clone(), false),
            "ensure is an upsert: the room stays as it was made"
        );

        let first = new(&ann, "one");
        let stored = store
            .append(&lobby, vec![first.clone(), new(&ann, "two"), first.clone()])
            .await
            .unwrap();
        let seqs: Vec<u64> = stored.iter().map(|a| a.msg.seq).collect();
        assert_eq!(
            seqs,
            [1, 2, 1],
            "a client_id twice in one batch is stored once"
        );
        assert!(stored[0].fresh && stored[1].fresh && !stored[2].fresh && !stored[2].reused);
        assert_eq!(stored[2].msg.id, stored[0].msg.id);

        let again = store.append(&lobby, vec![first.clone()]).await.unwrap();
        assert!(!again[0].fresh && !again[0].reused && again[0].msg.seq == 1);
        let reused = NewEntry {
            text: "another text".into(),
            ..first
        };
        let reused = store.append(&lobby, vec![reused]).await.unwrap();
        assert!(
            reused[0].reused && reused[0].msg.text == "one",
            "the stored text stays"
        );

        assert_eq!(
            store.append(&other, vec![new(&ann, "x")]).await.unwrap()[0]
                .msg
                .seq,
            1
        );
        assert_eq!(
            store
                .append(&lobby, vec![new(&ann, "three")])
                .await
                .unwrap()[0]
                .msg
                .seq,
            3
        );
        assert_eq!(store.find_room(&room("lobby")).await.unwrap().unwrap().1, 3);
        assert_eq!(store.room_count().await.unwrap(), 2);
    }
);

on_both!(
    history_reads_in_order_and_never_create_a_room,
    |store, _db| {
        let ann = person(&store, "ann").await;
        let r = open_room(&store, "hist").await;
        let batch: Vec<_> = (1..=10).map(|i| new(&ann, &format!("m{i}"))).collect();
        store.append(&r, batch).await.unwrap();

        let after = store.messages_after(&r, 7, 100).await.unwrap();
        assert_eq!(texts(&after), ["m8", "m9", "m10"]);
        assert_eq!(store.messages_after(&r, 0, 2).await.unwrap().len(), 2);
        let recent = store.recent(&room("hist"), 3).await.unwrap();
        assert_eq!(texts(&recent), ["m8", "m9", "m10"]);
        let before = store.messages_before(&room("hist"), 4, 10).await.unwrap();
        assert_eq!(texts(&before), ["m1", "m2", "m3"]);
        let m = &recent[0];
        assert_eq!(
            (m.room.as_str(), m.author.as_str(), m.author_id),
            ("hist", "ann", ann.id)
        );
        assert_eq!(m.ts, Timestamp::from_millis(1_700_000_000_000));

        assert!(store.find_room(&room("nowhere")).await.unwrap().is_none());
        assert!(store.recent(&room("nowhere"), 10).await.unwrap().is_empty());
        assert!(store
            .messages_before(&room("nowhere"), 5, 10)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .receipts(&room("nowhere"), 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            store.room_count().await.unwrap(),
            1,
            "reads created nothing"
        );
    }
);

on_both!(
    markers_only_rise_are_capped_and_count_unread,
    |store, _db| {
        let ann = person(&store, "ann").await;
        let bob = person(&store, "bob").await;
        let r = open_room(&store, "marks").await;
        let batch: Vec<_> = (1..=5).map(|i| new(&ann, &format!("m{i}"))).collect();
        store.append(&r, batch).await.unwrap();

        assert!(
            store.raise_markers(&r, &bob, 3, 2).await.unwrap().is_none(),
            "markers never make a member"
        );
        let markers = |who: Uuid| {
            let (store, name) = (store.clone(), room("marks"));
            async move {
                let facts = store.room_facts(&name, Some(who)).await.unwrap().unwrap();
                facts.member.map(|(_, delivered, read)| (delivered, read))
            }
        };
        assert_eq!(markers(bob.id).await, None);
        store.admit(&r, &bob, Role::Member).await.unwrap();
        store.admit(&r, &ann, Role::Member).await.unwrap();
        let up = store.raise_markers(&r, &bob, 3, 2).await.unwrap().unwrap();
        assert!(up.rose);
        assert_eq!((up.receipt.delivered, up.receipt.read), (3, 2));
        let same = store.raise_markers(&r, &bob, 1, 1).await.unwrap().unwrap();
        assert!(!same.rose, "lower markers change nothing");
        assert_eq!((same.receipt.delivered, same.receipt.read), (3, 2));
        let capped = store.raise_markers(&r, &bob, 0, 99).await.unwrap().unwrap();
        assert_eq!(
            (capped.receipt.delivered, capped.receipt.read),
            (5, 5),
            "capped at the last seq; read implies delivered"
        );
        store.raise_markers(&r, &ann, 1, 1).await.unwrap();
        assert_eq!(markers(bob.id).await, Some((5, 5)));
        let carl = User::new(&DisplayName::parse("carl").unwrap());
        assert_eq!(markers(carl.id).await, None);

        let receipts = store.receipts(&room("marks"), 10).await.unwrap();
        let order: Vec<&str> = receipts.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["bob", "ann", "founder"], "most recently read first");

        let other = open_room(&store, "a-first").await;
        store
            .append(&other, vec![new(&ann, "x"), new(&ann, "y")])
            .await
            .unwrap();
        store.admit(&other, &ann, Role::Member).await.unwrap();
        let rooms = store.rooms_of(&ann, 10).await.unwrap();
        let rooms: Vec<(&str, u64)> = rooms.iter().map(|r| (r.name.as_str(), r.unread)).collect();
        assert_eq!(
            rooms,
            [("a-first", 2), ("marks", 4)],
            "by name, with unread counts"
        );
    }
);

on_both!(sessions_live_expire_and_end, |store, _db| {
    let hash = Uuid::new_v4().as_bytes().to_vec();
    let ann = store
        .create_user_session(
            &DisplayName::parse("ann").unwrap(),
            &NewSession::new(hash.clone(), "test"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.user_by_token_hash(&hash).await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(store.user_by_token_hash(b"unknown").await.unwrap(), None);

    // Used two days ago: still alive, and the use is recorded.
    let two_days = 2 * 24 * 3600 * 1000;
    store
        .backdate_session(&hash, Timestamp::now().millis() - two_days)
        .await
        .unwrap();
    assert_eq!(store.user_by_token_hash(&hash).await.unwrap(), Some(ann));
    // Unused for 31 days: gone.
    store
        .backdate_session(&hash, Timestamp::now().millis() - 31 * 24 * 3600 * 1000)
        .await
        .unwrap();
    assert_eq!(store.user_by_token_hash(&hash).await.unwrap(), None);

    let hash2 = Uuid::new_v4().as_bytes().to_vec();
    store
        .create_user_session(
            &DisplayName::parse("bob").unwrap(),
            &NewSession::new(hash2.clone(), "test"),
        )
        .await
        .unwrap();
    store.delete_session(&hash2).await.unwrap();
    assert_eq!(store.user_by_token_hash(&hash2).await.unwrap(), None);
});

on_both!(a_failing_write_fails_alone, |store, _db| {
    let ann = person(&store, "ann").await;
    let r = open_room(&store, "ok").await;
    let ghost = RoomRef {
        id: 999_999,
        name: room("ghost"),
        private: false,
    };
    // Queued together, so that they are likely to share a pass.
    let (a, b, c) = tokio::join!(
        store.append(&r, vec![new(&ann, "one")]),
        store.append(&ghost, vec![new(&ann, "lost")]),
        store.append(&r, vec![new(&ann, "two")]),
    );
    assert!(b.is_err(), "no such room");
    let mut seqs = vec![a.unwrap()[0].msg.seq, c.unwrap()[0].msg.seq];
    seqs.sort();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(store.messages_after(&r, 0, 10).await.unwrap().len(), 2);
});

on_both!(what_was_stored_is_there_after_a_restart, |store, db| {
    let ann = person(&store, "ann").await;
    let r = open_room(&store, "keep").await;
    store.append(&r, vec![new(&ann, "kept")]).await.unwrap();
    store.close().await;
    let store = Store::open(&db.url).await.expect("reopens");
    assert_eq!(
        texts(&store.recent(&room("keep"), 5).await.unwrap()),
        ["kept"]
    );
    let r = store.find_room(&room("keep")).await.unwrap().unwrap().0;
    assert_eq!(
        store.append(&r, vec![new(&ann, "next")]).await.unwrap()[0]
            .msg
            .seq,
        2
    );
});

/// Two stores on one database are two nodes: their writers race for the same rooms, and
/// every room's seqs still come out gapless, each message once, each sender's in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_on_one_database_keep_every_room_gapless() {
    for backend in Backend::ALL {
        let db = TestDatabase::new(backend).await;
        let a = Store::open(&db.url).await.unwrap();
        let b = Store::open(&db.url).await.unwrap();
        let ann = person(&a, "ann").await;
        let bob = person(&b, "bob").await;
        let rooms = [room("r1"), room("r2"), room("r3")];
        for r in &rooms {
            a.ensure_room(r, false, &ann).await.unwrap();
        }
        const PER_WRITER: usize = 60;
        let mut tasks = Vec::new();
        for (store, who) in [(a.clone(), ann.clone()), (b.clone(), bob.clone())] {
            for r in &rooms {
                let (store, who, r) = (store.clone(), who.clone(), r.clone());
                tasks.push(tokio::spawn(async move {
                    let rr = store.find_room(&r).await.unwrap().unwrap().0;
                    let mut seqs = Vec::new();
                    for i in 0..PER_WRITER / 3 {
                        let batch =
                            (0..3).map(|j| new(&who, &format!("{}-{}", who.name, i * 3 + j)));
                        let stored = store.append(&rr, batch.collect()).await.unwrap();
                        seqs.extend(stored.iter().map(|s| s.msg.seq));
                    }
                    seqs
                }));
            }
        }
        for t in tasks {
            let seqs = t.await.unwrap();
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "{backend:?}: a sender's messages in order"
            );
        }
        for r in &rooms {
            let all = a
                .messages_after(&a.find_room(r).await.unwrap().unwrap().0, 0, 1000)
                .await
                .unwrap();
            let seqs: Vec<u64> = all.iter().map(|m| m.seq).collect();
            assert_eq!(
                seqs,
                (1..=2 * PER_WRITER as u64).collect::<Vec<_>>(),
                "{backend:?}: gapless"
            );
            let unique: HashSet<&str> = all.iter().map(|m| m.text.as_str()).collect();
            assert_eq!(unique.len(), 2 * PER_WRITER, "{backend:?}: each once");
        }
        a.close().await;
        b.close().await;
    }
}

#[tokio::test]
async fn a_database_url_must_name_a_backend() {
    let Err(error) = Store::open("mysql://localhost/chat").await else {
        panic!("mysql is not a backend");
    };
    assert!(error.to_string().contains("sqlite://"), "{error}");
}

on_both!(
    a_person_sees_their_sessions_and_ends_the_others,
    |store, _db| {
        let hashes: Vec<Vec<u8>> = (0..3).map(|_| Uuid::new_v4().as_bytes().to_vec()).collect();
        let ann = store
            .create_user_session(
                &DisplayName::parse("ann").unwrap(),
                &NewSession::new(hashes[0].clone(), "Firefox\u{7}on Linux"),
            )
            .await
            .unwrap();
        for (h, device) in hashes[1..].iter().zip(["Chrome", "curl/8"]) {
            store
                .create_session(&ann, &NewSession::new(h.clone(), device))
                .await
                .unwrap();
        }
        let other = person(&store, "bob").await;
        let mine = store.sessions_of(&ann).await.unwrap();
        assert_eq!(mine.len(), 3, "bob's session is not listed");
        assert!(
            mine.iter().any(|s| s.device == "Firefoxon Linux"),
            "control characters dropped"
        );
        store.delete_other_sessions(&ann, &hashes[1]).await.unwrap();
        let left: Vec<_> = store.sessions_of(&ann).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].token_hash, hashes[1]);
        assert_eq!(
            store.user_by_token_hash(&hashes[0]).await.unwrap(),
            None,
            "gone from the cache too"
        );
        assert!(store
            .user_by_token_hash(&hashes[1])
            .await
            .unwrap()
            .is_some());
        assert_eq!(
            store.sessions_of(&other).await.unwrap().len(),
            1,
            "bob's untouched"
        );
    }
);

on_both!(memberships_roles_bans_and_the_first_admin, |store, _db| {
    let account = |name: &str| {
        let store = store.clone();
        let name = DisplayName::parse(name).unwrap();
        async move {
            let key = name.as_str().to_lowercase();
            let session = NewSession::new(Uuid::new_v4().as_bytes().to_vec(), "test");
            store
                .create_account(&name, key, "hash".into(), &session, None)
                .await
                .unwrap()
        }
    };
    let guest = person(&store, "guest").await;
    let ann = account("ann").await;
    let bob = account("bob").await;
    let secret = room("secret");
    assert!(store
        .room_facts(&secret, Some(ann.id))
        .await
        .unwrap()
        .is_none());
    let (r, made) = store.ensure_room(&secret, true, &ann).await.unwrap();
    assert!(made && r.private);

    let facts = |who: Uuid| {
        let store = store.clone();
        let secret = secret.clone();
        async move { store.room_facts(&secret, Some(who)).await.unwrap().unwrap() }
    };
    let of_ann = facts(ann.id).await;
    assert!(of_ann.room.private);
    assert_eq!(
        of_ann.member.map(|m| m.0),
        Some(Role::Owner),
        "the creator owns it"
    );
    assert!(of_ann.admin, "the first account is the admin");
    let of_bob = facts(bob.id).await;
    assert!(of_bob.member.is_none() && !of_bob.admin && !of_bob.banned);
    assert!(!facts(guest.id).await.admin, "a guest before her is not");

    store.admit(&r, &bob, Role::Member).await.unwrap();
    store.admit(&r, &bob, Role::Member).await.unwrap();
    assert_eq!(
        facts(bob.id).await.member.map(|m| m.0),
        Some(Role::Member),
        "admitting a member again changes nothing"
    );
    // Admitting as an owner makes a member one (the admin's #general, a claimed room),
    // and admitting an owner as a member does not demote them.
    store.admit(&r, &bob, Role::Owner).await.unwrap();
    store.admit(&r, &bob, Role::Member).await.unwrap();
    assert_eq!(facts(bob.id).await.member.map(|m| m.0), Some(Role::Owner));
    let members = store.members(&r, 10).await.unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["ann", "bob"], "owners first");
    assert!(members.iter().all(|m| m.role == Role::Owner));
    let rooms = store.rooms_of(&bob, 10).await.unwrap();
    assert_eq!(rooms.len(), 1);
    assert!(
        rooms[0].private && rooms[0].with.is_none(),
        "listed as private"
    );

    assert!(store.remove_member(&r, bob.id, None).await.unwrap());
    assert!(!store.remove_member(&r, bob.id, None).await.unwrap());
    assert!(facts(bob.id).await.member.is_none());
    assert!(store.rooms_of(&bob, 10).await.unwrap().is_empty());

    store.admit(&r, &bob, Role::Member).await.unwrap();
    assert!(store.remove_member(&r, bob.id, Some(ann.id)).await.unwrap());
    let banned = facts(bob.id).await;
    assert!(banned.banned && banned.member.is_none());
    assert!(store.unban(&r, bob.id).await.unwrap());
    assert!(!store.unban(&r, bob.id).await.unwrap());
    assert!(!facts(bob.id).await.banned);

    let (_, made) = store.ensure_room(&room("open"), false, &bob).await.unwrap();
    assert!(made);
    let open = store
        .room_facts(&room("open"), None)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !open.room.private && open.member.is_none(),
        "a visitor's facts"
    );
});

on_both!(a_bot_owns_its_name_and_marks_its_messages, |store, _db| {
    let name = DisplayName::parse("Deploy-Bot").unwrap();
    let token = b"bot token hash".to_vec();
    let bot = store
        .create_bot(
            &name,
            "deploy-bot".into(),
            &NewSession::new(token.clone(), "bot"),
        )
        .await
        .unwrap();
    assert!(bot.bot);
    // A second bot (or account) of the same key is refused.
    let again = store
        .create_bot(
            &name,
            "deploy-bot".into(),
            &NewSession::new(b"other".to_vec(), "bot"),
        )
        .await;
    let again = again.unwrap_err().to_string();
    assert!(again.contains("taken"), "{again}");
    // It owns the name, with no password to sign in with.
    let (owner, password) = store.account("deploy-bot").await.unwrap().unwrap();
    assert_eq!((owner.id, owner.bot, password), (bot.id, true, None));
    // Its token finds it as a bot, also after the cache is gone.
    store.forget_session(&token);
    let found = store.user_by_token_hash(&token).await.unwrap().unwrap();
    assert_eq!((found.id, found.bot), (bot.id, true));

    let r = open_room(&store, "builds").await;
    let ann = person(&store, "ann").await;
    let stored = store
        .append(&r, vec![new(&found, "build 7 passed"), new(&ann, "thanks")])
        .await
        .unwrap();
    assert!(stored[0].msg.bot && !stored[1].msg.bot);
    let read = store.recent(&room("builds"), 10).await.unwrap();
    let bots: Vec<bool> = read.iter().map(|m| m.bot).collect();
    assert_eq!(bots, [true, false], "kept with each message");
});

on_both!(
    a_deletion_is_an_entry_that_leaves_a_tombstone,
    |store, _db| {
        let r = open_room(&store, "tidy").await;
        let ann = person(&store, "ann").await;
        let oops = new(&ann, "my password is hunter2");
        let stored = store
            .append(&r, vec![oops.clone(), new(&ann, "ok")])
            .await
            .unwrap();
        assert_eq!(stored[0].msg.seq, 1);
        // The deletion and a message after it, in one batch.
        let deletion = NewEntry {
            text: String::new(),
            kind: EntryKind::Delete(1),
            ..new(&ann, "")
        };
        let stored = store
            .append(&r, vec![deletion.clone(), new(&ann, "after")])
            .await
            .unwrap();
        assert_eq!(
            (stored[0].msg.seq, stored[0].msg.kind.deletes()),
            (3, Some(1))
        );
        let read = store.recent(&room("tidy"), 10).await.unwrap();
        let shape: Vec<(u64, &str, bool, Option<u64>)> = read
            .iter()
            .map(|m| (m.seq, m.text.as_str(), m.deleted, m.kind.deletes()))
            .collect();
        assert_eq!(
            shape,
            [
                (1, "", true, None),
                (2, "ok", false, None),
                (3, "", false, Some(1)),
                (4, "after", false, None)
            ]
        );
        // Retries stay idempotent: the deletion's, and a late one of the deleted message.
        let again = store.append(&r, vec![deletion, oops]).await.unwrap();
        assert!(again.iter().all(|a| !a.fresh && !a.reused));
        assert_eq!((again[0].msg.seq, again[1].msg.seq), (3, 1));
    }
);

on_both!(
    an_edit_is_an_entry_that_gives_its_message_the_new_text,
    |store, _db| {
        let r = open_room(&store, "drafts").await;
        let ann = person(&store, "ann").await;
        let typo = new(&ann, "teh plan");
        let gone = new(&ann, "to delete");
        store
            .append(&r, vec![typo.clone(), gone.clone()])
            .await
            .unwrap();
        let edit = |seq: u64, text: &str| NewEntry {
            kind: EntryKind::Edit(seq),
            ..new(&ann, text)
        };
        // Two edits of one message in one batch (the last wins), and the deletion of
        // another before its edit (it stays deleted).
        let first = edit(1, "the plan");
        let deletion = NewEntry {
            text: String::new(),
            kind: EntryKind::Delete(2),
            ..new(&ann, "")
        };
        let stored = store
            .append(
                &r,
                vec![
                    first.clone(),
                    edit(1, "the plan, *final*"),
                    deletion,
                    edit(2, "back?"),
                ],
            )
            .await
            .unwrap();
        assert_eq!(
            (stored[0].msg.seq, stored[0].msg.kind.edits()),
            (3, Some(1))
        );
        assert_eq!(
            stored[1].msg.html.as_deref(),
            Some("<p>the plan, <em>final</em></p>")
        );
        let read = store.recent(&room("drafts"), 10).await.unwrap();
        let shape: Vec<(u64, &str, bool, Option<u64>, Option<u64>)> = read
            .iter()
            .map(|m| (m.seq, m.text.as_str(), m.deleted, m.kind.edits(), m.edited))
            .collect();
        assert_eq!(
            shape,
            [
                (1, "the plan, *final*", false, None, Some(4)),
                (2, "", true, None, None),
                (3, "the plan", false, Some(1), None),
                (4, "the plan, *final*", false, Some(1), None),
                (5, "", false, None, None),
                (6, "back?", false, Some(2), None),
            ]
        );
        assert_eq!(
            read[0].html.as_deref(),
            Some("<p>the plan, <em>final</em></p>")
        );
        // Retries stay idempotent: the edit's, and a late one of the edited message.
        let again = store.append(&r, vec![first, typo]).await.unwrap();
        assert!(again.iter().all(|a| !a.fresh && !a.reused), "{again:?}");
        assert_eq!((again[0].msg.seq, again[1].msg.seq), (3, 1));
    }
);

on_both!(
    a_reaction_is_an_entry_and_counts_once_per_person_and_emoji,
    |store, _db| {
        let r = open_room(&store, "fans").await;
        let ann = person(&store, "ann").await;
        let bob = person(&store, "bob").await;
        store
            .append(&r, vec![new(&ann, "ship it"), new(&ann, "to delete")])
            .await
            .unwrap();
        let react = |who: &User, seq: u64, emoji: &str, undo: bool| NewEntry {
            kind: EntryKind::React { of: seq, undo },
            ..new(who, emoji)
        };
        let bob_thumbs = react(&bob, 1, "👍", false);
        // Twice from bob (once counts), ann's, a party taken back, and a reaction to a
        // message deleted in the same batch (it is not kept).
        let stored = store
            .append(
                &r,
                vec![
                    bob_thumbs.clone(),
                    react(&bob, 1, "👍", false),
                    react(&ann, 1, "👍", false),
                    react(&ann, 1, "🎉", false),
                    react(&ann, 1, "🎉", true),
                    NewEntry {
                        text: String::new(),
                        kind: EntryKind::Delete(2),
                        ..new(&ann, "")
                    },
                    react(&bob, 2, "😢", false),
                    react(&bob, 1, "❤️", false),
                ],
            )
            .await
            .unwrap();
        assert_eq!(stored.len(), 8);
        assert!(stored.iter().all(|a| a.fresh));
        assert_eq!(
            (stored[0].msg.kind.reacts(), stored[0].msg.html.as_deref()),
            (Some(1), None)
        );
        assert!(stored[4].msg.kind.undo());
        let read = store.recent(&room("fans"), 20).await.unwrap();
        let chips: Vec<(&str, Vec<&str>)> = read[0]
            .reactions
            .iter()
            .map(|r| {
                (
                    r.emoji.as_str(),
                    r.names.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(chips, [("👍", vec!["bob", "ann"]), ("❤️", vec!["bob"])]);
        assert_eq!(read[0].reactions[0].by, [bob.id, ann.id]);
        assert!(read[1].deleted && read[1].reactions.is_empty());
        // Catch-up replays the entries; applied to the message as read, they end the same.
        let mut replayed = read[0].clone();
        let after = store.messages_after(&r, 2, 20).await.unwrap();
        assert_eq!(after.len(), 8);
        for entry in &after {
            if entry.changes() == Some(1) {
                entry.apply_to(&mut replayed);
            }
        }
        assert_eq!(replayed.reactions, read[0].reactions);
        // Taking back and a retry: the retry is the same entry, nothing changes.
        store
            .append(&r, vec![react(&bob, 1, "👍", true)])
            .await
            .unwrap();
        let again = store.append(&r, vec![bob_thumbs]).await.unwrap();
        assert!(!again[0].fresh && !again[0].reused && again[0].msg.seq == 3);
        let read = store.recent(&room("fans"), 1).await.unwrap();
        let first = store.messages_before(&room("fans"), 2, 1).await.unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(first[0].reactions[0].names, ["ann"]);
    }
);
