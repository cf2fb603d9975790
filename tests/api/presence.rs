//! `presence`: who is in a room, online first. A socket gets the room's list when it joins;
//! everyone in the room gets it again when someone comes online or goes offline, on any
//! node. A person with two tabs is one person. (`make test` runs these on SQLite and again
//! on Postgres.)

use std::time::{Duration, Instant};

use crate::helpers::*;

fn online(members: &[(String, bool)]) -> Vec<&str> {
    members
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n.as_str())
        .collect()
}

fn listed(members: &[(String, bool)]) -> Vec<(&str, bool)> {
    members.iter().map(|(n, on)| (n.as_str(), *on)).collect()
}

/// `tab` of `who` closes while another stays: `observer` never sees them offline.
async fn one_tab_closes(observer: &mut Client, tab: Client, who: &str) {
    drop(tab);
    observer.expect_silence(500).await;
    assert!(
        observer
            .presences_kept()
            .iter()
            .all(|p| p.people().any(|m| m == (who, true))),
        "{who} never went offline"
    );
}

/// `who`'s last tab closes: `observer` sees only `left` online within a second; returns
/// the list.
async fn last_tab_closes(
    observer: &mut Client,
    tab: Client,
    room: &str,
    left: &[&str],
) -> Vec<(String, bool)> {
    let closed = Instant::now();
    drop(tab);
    let members = observer.presence_until(room, |m| online(m) == left).await;
    assert!(
        closed.elapsed() < Duration::from_secs(1),
        "{:?}",
        closed.elapsed()
    );
    members
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_counts_people_not_tabs_and_follows_joins_and_leaves() {
    let app = TestApp::spawn_unlimited().await;
    // Cy joined the room once and is offline now: listed, after those online.
    let mut cy = app.client("cy").await;
    cy.join("lobby", Some(0)).await;
    cy.presence_until("lobby", |m| online(m) == ["cy"]).await;
    drop(cy);

    let ann_session = app.sign_in("ann").await;
    let auth = [("authorization", format!("Bearer {}", ann_session.token))];
    let mut ann = app.connect_with(&auth).await.unwrap();
    ann.join("lobby", None).await;
    let members = ann.presence_until("lobby", |m| online(m) == ["ann"]).await;
    assert_eq!(listed(&members), [("ann", true), ("cy", false)]);

    let mut bob = app.client("bob").await;
    bob.join("lobby", None).await;
    // Bob's own list at once, and Ann's changes: both online, first, by name.
    let members = bob
        .presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;
    assert_eq!(
        listed(&members),
        [("ann", true), ("bob", true), ("cy", false)]
    );
    ann.presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;

    // Ann's second tab: still one Ann (the tab gets the list; the others hear nothing new).
    let mut ann_tab = app.connect_with(&auth).await.unwrap();
    ann_tab.join("lobby", None).await;
    let members = ann_tab
        .presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;
    assert_eq!(members.iter().filter(|(n, _)| n == "ann").count(), 1);
    // Closing one tab does not make her go offline; closing the last one does.
    one_tab_closes(&mut bob, ann, "ann").await;
    let members = last_tab_closes(&mut bob, ann_tab, "lobby", &["bob"]).await;
    assert_eq!(
        listed(&members),
        [("bob", true), ("ann", false), ("cy", false)]
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_a_room_goes_offline_there_only() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = app.client("ann").await;
    let mut bob = app.client("bob").await;
    for room in ["one", "two"] {
        ann.join(room, None).await;
        bob.join(room, None).await;
    }
    for room in ["one", "two"] {
        bob.presence_until(room, |m| online(m) == ["ann", "bob"])
            .await;
    }
    ann.send_frame(&cloud_msg::protocol::ClientFrame::Leave { room: "one".into() })
        .await;
    bob.presence_until("one", |m| online(m) == ["bob"]).await;
    bob.expect_silence(300).await;
    assert!(
        bob.presences_kept().iter().all(|p| p.room == "one"),
        "nothing changed in #two"
    );
    // Whoever joins and is gone within the moment is a member all the same: listed,
    // offline.
    let mut dee = app.client("dee").await;
    dee.join("one", None).await;
    drop(dee);
    bob.presence_until("one", |m| m.contains(&("dee".into(), false)))
        .await;
    app.stop().await;
}

/// Across nodes: each node says whom it has, and a node that starts hears at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_is_the_same_on_every_node() {
    let cluster = Cluster::new(redis_url()).await;
    let (a, b) = (cluster.node().await, cluster.node().await);
    let mut ann = a.client("ann").await;
    ann.join("lobby", None).await;
    ann.presence_until("lobby", |m| online(m) == ["ann"]).await;
    let bob_session = b.sign_in("bob").await;
    let auth = [("authorization", format!("Bearer {}", bob_session.token))];
    let mut bob = b.connect_with(&auth).await.unwrap();
    bob.join("lobby", None).await;
    // Bob, on the other node, sees Ann (whose node answered his node's first word) …
    bob.presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;
    // … and Ann sees Bob.
    ann.presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;
    // Bob opens a tab on node A too, and closes the one on B: he stays online.
    let mut bob_on_a = a.connect_with(&auth).await.unwrap();
    bob_on_a.join("lobby", None).await;
    bob_on_a
        .presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;
    one_tab_closes(&mut ann, bob, "bob").await;
    // His last tab closes: offline everywhere within a second.
    let members = last_tab_closes(&mut ann, bob_on_a, "lobby", &["ann"]).await;
    assert!(members.contains(&("bob".into(), false)), "{members:?}");
    a.stop().await;
    b.stop().await;
}

/// A node that dies says nothing more: its people go offline on the other nodes once its
/// last word runs out (`REMOTE_FOR`, 6 s after its last word, checked every 2 s: 8 s at
/// most, asserted with slack).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_people_go_offline_everywhere_after_a_while() {
    let cluster = Cluster::new(redis_url()).await;
    let a = cluster.node().await;
    let mut doomed = cluster.process().await;
    let mut ann = a.client("ann").await;
    ann.join("lobby", None).await;
    let token = doomed.sign_in("bob").await;
    let mut bob = Client::new(doomed.connect(&token).await);
    bob.join("lobby", None).await;
    ann.presence_until("lobby", |m| online(m) == ["ann", "bob"])
        .await;
    let killed = Instant::now();
    doomed.kill();
    drop(bob);
    let members = ann.presence_until("lobby", |m| online(m) == ["ann"]).await;
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(members.contains(&("bob".into(), false)), "{members:?}");
    a.stop().await;
}
