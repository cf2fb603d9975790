//! Postgres cuts its search index into slices of time (each entry's words are keyed by its
//! slice), so that a search gathers the matches of a few slices at a time, newest first.
//! What a person sees of it: every match found, newest first, across the slices.

use cloud_msg::{
    server::{
        domain::search::Terms,
        model::{RoomRef, User},
        store::Store,
    },
    timestamp::Timestamp,
};

use super::{database::Backend, database::TestDatabase, new, open_room, person};

const BASE: i64 = 1_700_000_000_000;

/// `n` messages in `room`, one a second from `BASE + from` seconds: every 60th holds
/// `deploy release`, the others one of the two words only.
async fn fill(store: &Store, ann: &User, room: &RoomRef, from: i64, n: i64) {
    for chunk in (from..from + n).collect::<Vec<_>>().chunks(500) {
        let batch = chunk
            .iter()
            .map(|&i| {
                let text = match i {
                    i if i % 60 == 0 => format!("deploy release {i}"),
                    i if i % 2 == 0 => format!("deploy {i}"),
                    i => format!("release {i}"),
                };
                let mut m = new(ann, &text);
                m.ts = Timestamp::from_millis(BASE + i * 1000);
                m
            })
            .collect();
        store.append(room, batch).await.unwrap();
    }
}

/// Waits (10 s at most) until the index holds `n` entries.
async fn indexed(pool: &sqlx::PgPool, n: i64) {
    for _ in 0..200 {
        let have: i64 = sqlx::query_scalar("SELECT count(*) FROM message_search")
            .fetch_one(pool)
            .await
            .unwrap();
        if have == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the index did not reach {n} entries");
}

async fn found(store: &Store, q: &str, limit: u32) -> Vec<String> {
    let terms = Terms::parse(q).unwrap();
    let hits = store.search(&terms, "", limit).await.unwrap();
    hits.into_iter().map(|h| h.text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rare_pair_of_common_words_is_found_across_slices_newest_first() {
    let db = TestDatabase::new(Backend::Postgres).await;
    let store = Store::open(&db.url).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    // Slices from 500 s, 1,000 s, 1,500 s and 2,500 s: the newest 1,000 messages (read in
    // time order first) end in the fourth, and the rest is asked slice by slice.
    for (slice, at) in [(1, 500), (2, 1000), (3, 1500), (4, 2500)] {
        sqlx::query("INSERT INTO search_slices (slice, from_ts) VALUES ($1, $2)")
            .bind(slice as i64)
            .bind(BASE + at * 1000)
            .execute(&pool)
            .await
            .unwrap();
    }
    let room = open_room(&store, "slices").await;
    let ann = person(&store, "ann").await;
    fill(&store, &ann, &room, 0, 3000).await;
    // A search indexes up to 2,000 waiting messages itself; the indexer does the rest.
    indexed(&pool, 3000).await;
    let hits = found(&store, "deploy release", 50).await;
    let expected: Vec<String> = (0..3000)
        .rev()
        .filter(|i| i % 60 == 0)
        .map(|i| format!("deploy release {i}"))
        .collect();
    assert_eq!(hits, expected, "all 50, newest first");
    // Each entry went into the slice its time belongs to.
    let per_slice: Vec<(i64, i64)> =
        sqlx::query_as("SELECT slice, count(*) FROM message_search GROUP BY slice ORDER BY slice")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        per_slice,
        [(0, 500), (1, 500), (2, 500), (3, 1000), (4, 500)]
    );
    // A page smaller than the matches is the newest of them; a prefix is a prefix.
    assert_eq!(found(&store, "dep rel", 3).await, expected[..3]);
    // A word in every other message is read in time order, newest first.
    let deploys = found(&store, "deploy", 4).await;
    assert_eq!(
        deploys,
        ["deploy 2998", "deploy 2996", "deploy 2994", "deploy 2992"]
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_slice_gives_way_to_a_new_one_after_its_newest_entry() {
    let db = TestDatabase::new(Backend::Postgres).await;
    let store = Store::open(&db.url).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    // Ten entries short of full (`search_index::SLICE`).
    sqlx::query("UPDATE search_slices SET entries = 65536 - 10")
        .execute(&pool)
        .await
        .unwrap();
    let room = open_room(&store, "full").await;
    let ann = person(&store, "ann").await;
    fill(&store, &ann, &room, 0, 20).await;
    assert_eq!(found(&store, "deploy release", 50).await.len(), 1);
    let slices: Vec<(i64, i64)> =
        sqlx::query_as("SELECT slice, from_ts FROM search_slices ORDER BY slice")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(slices, [(0, i64::MIN), (1, BASE + 19_000 + 1)]);
    // Later messages go into the new slice, and both are searched.
    fill(&store, &ann, &room, 60, 30).await;
    let hits = found(&store, "deploy release", 50).await;
    assert_eq!(hits, ["deploy release 60", "deploy release 0"]);
    let newer: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT slice FROM message_search WHERE ts > $1")
            .bind(BASE + 19_000)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(newer, [1]);
    store.close().await;
}
