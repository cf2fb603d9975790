//! A `join` is answered: `joined` once the person is a member and the socket receives the
//! room (after any replay it asked for), `more` when the replay stopped at a window, an
//! `error` when refused. Nothing a client does next can overtake it.

use cloud_msg::protocol::{ErrorCode, ServerFrame};
use serde_json::json;

use crate::{
    helpers::*,
    rooms::{call, page, remove, sign_up},
};

/// The `seq`s of the messages among `frames`.
fn seqs(frames: &[ServerFrame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| match f {
            ServerFrame::Message(m) => Some(m.seq),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joined_comes_after_the_replay_and_names_the_rooms_last_seq() {
    let app = TestApp::spawn().await;
    let mut alice = app.client("alice").await;
    // A new room: a member of it from its first entry on.
    assert_eq!(alice.join("general", None).await, JoinAnswer::Joined(0));
    assert!(alice.read_meanwhile().is_empty());
    for text in ["one", "two", "three"] {
        alice.say("general", text).await;
        ack(&mut alice).await;
    }

    // With `since`: the missed messages, in order, strictly before `joined`.
    let mut bob = app.client("bob").await;
    assert_eq!(bob.join("general", Some(1)).await, JoinAnswer::Joined(3));
    assert_eq!(seqs(&bob.read_meanwhile()), [2, 3]);
    // Live from there on: the next message is the first after `seq`.
    alice.say("general", "four").await;
    assert_eq!(next_message(&mut bob).await.seq, 4);

    // Without `since`: nothing replayed, the room's last seq named.
    let mut carol = app.client("carol").await;
    assert_eq!(carol.join("general", None).await, JoinAnswer::Joined(4));
    assert!(seqs(&carol.read_meanwhile()).is_empty());
    // Joining again (a reconnect does) is answered again.
    assert_eq!(carol.join("general", Some(4)).await, JoinAnswer::Joined(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_joined_the_membership_is_stored_for_every_path() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = sign_up(&app, "ann").await;
    let mut bob = sign_up(&app, "bob").await;
    assert_eq!(ann.ws.join("open", None).await, JoinAnswer::Joined(0));
    // Over and over, with nothing between the answer and the next step: bob's join is
    // stored (his list shows the room, the owner can remove him) the moment it is answered.
    for round in 0..20 {
        assert!(
            matches!(bob.ws.join("open", None).await, JoinAnswer::Joined(_)),
            "round {round}"
        );
        assert!(
            page(&app, Some(&bob), "/r/general")
                .await
                .contains("/r/open"),
            "round {round}: the room is in bob's list"
        );
        assert_eq!(
            remove(&app, &ann, "open", bob.id()).await,
            204,
            "round {round}"
        );
        match bob
            .ws
            .recv_frame_until(|f| matches!(f, ServerFrame::Error { .. }))
            .await
        {
            ServerFrame::Error { code, .. } => {
                assert_eq!(code, ErrorCode::Removed, "round {round}")
            }
            _ => unreachable!("matched above"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_join_gets_an_error_and_never_joined() {
    let app = TestApp::spawn_unlimited().await;
    let mut ann = sign_up(&app, "ann").await;
    let mut eve = sign_up(&app, "eve").await;
    let res = call(
        &app,
        Some(&ann),
        reqwest::Method::POST,
        "/api/rooms",
        json!({"name": "secret", "private": true}).into(),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        eve.ws.join("secret", Some(0)).await,
        JoinAnswer::Refused(ErrorCode::NotFound)
    );
    assert_eq!(
        eve.ws.join("Not A Room", None).await,
        JoinAnswer::Refused(ErrorCode::BadRoom)
    );
    assert_eq!(
        eve.ws.join("dm-0123456789abcdef0123", None).await,
        JoinAnswer::Refused(ErrorCode::BadRoom)
    );
    // Her socket carries on, and what she may join is answered as usual.
    assert_eq!(eve.ws.join("open", None).await, JoinAnswer::Joined(0));
    // No `joined` came for the refused ones, then or later.
    ann.ws.join("open", None).await;
    ann.ws.say("open", "fence").await;
    assert_eq!(next_message(&mut eve.ws).await.text, "fence");
    assert!(eve.ws.joined_unread().is_empty());
}
