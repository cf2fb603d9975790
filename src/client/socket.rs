//! The browser's one WebSocket. It joins the room with `since` (so it catches up without
//! gaps or duplicates) and says "Connected" once the server answers `joined`; it delivers
//! my pending messages in order (again after every reconnect, with the same `client_id`,
//! until each message is stored), reports `received` and `read` markers (throttled), applies server
//! frames, and reconnects on its own with exponential backoff and jitter, showing a
//! countdown. While the browser is offline it waits for the network.

use std::collections::HashSet;

use futures::{
    channel::mpsc,
    future::{select, AbortHandle, Abortable, Either, FutureExt},
    SinkExt, StreamExt,
};
use gloo_net::websocket::{futures::WebSocket, Message};
use gloo_timers::future::TimeoutFuture;
use leptos::{ev, prelude::*};
use uuid::Uuid;

use crate::{
    client::pending as saved,
    protocol::{ClientFrame, Entry, EntryKind, ErrorCode, ServerFrame},
    state::{conn::ConnStatus, room::RoomState},
};

const BACKOFF_START_MS: f64 = 1_000.0;
const BACKOFF_MAX_MS: f64 = 30_000.0;
/// Markers go out at most this often.
const MARKER_INTERVAL_MS: u32 = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    /// My pending messages changed.
    Pending,
    Online,
    Offline,
}

/// Starts the connection for `state`'s room; it ends with the calling component.
pub fn start(state: RoomState) {
    let room = state.room.get_value();
    // Restore what a previous page left unsent.
    if let Some(me) = state.me.get_untracked() {
        let saved = saved::load(&room)
            .into_iter()
            .filter(|m| m.author_id == me.id);
        state.add_pending(saved.map(|msg| Entry { seq: 0, ..msg }).collect());
    }
    let (wake_tx, wake_rx) = mpsc::unbounded::<Wake>();
    // Mirror my pending messages to localStorage and wake the socket, only when they change
    // (not on every incoming message or receipt).
    let pending = state.pending();
    let tx = wake_tx.clone();
    Effect::new(move |_| {
        pending.track();
        state
            .log
            .with_value(|log| saved::save(&room, log.pending()));
        let _ = tx.unbounded_send(Wake::Pending);
    });
    let tx = wake_tx.clone();
    let online = window_event_listener(ev::online, move |_| {
        let _ = tx.unbounded_send(Wake::Online);
    });
    let offline = window_event_listener(ev::offline, move |_| {
        let _ = wake_tx.unbounded_send(Wake::Offline);
    });
    let (abort, registration) = AbortHandle::new_pair();
    leptos::task::spawn_local(async move {
        let _ = Abortable::new(run(state, wake_rx), registration).await;
    });
    on_cleanup(move || {
        abort.abort();
        online.remove();
        offline.remove();
    });
}

fn is_online() -> bool {
    window().navigator().on_line()
}

fn socket_url() -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    format!("{scheme}://{}/ws", location.host().unwrap_or_default())
}

/// Delay before reconnect attempt `attempt` (1, 2, …): doubling from 1 s up to 30 s, with
/// ±50 % jitter so that many clients do not come back at once.
fn backoff_ms(attempt: u32) -> f64 {
    let base = (BACKOFF_START_MS * 2f64.powi(attempt.clamp(1, 16) as i32 - 1)).min(BACKOFF_MAX_MS);
    base * (0.5 + js_sys::Math::random())
}

async fn run(state: RoomState, mut wake: mpsc::UnboundedReceiver<Wake>) {
    let mut attempt = 0;
    loop {
        if is_online() {
            if let Ok(ws) = WebSocket::open(&socket_url()) {
                if session(state, ws, &mut wake).await {
                    attempt = 0;
                }
            }
        }
        attempt += 1;
        wait_to_retry(state, backoff_ms(attempt), &mut wake).await;
    }
}

/// Counts down to the next attempt on the badge; coming back online cuts it short.
async fn wait_to_retry(state: RoomState, delay_ms: f64, wake: &mut mpsc::UnboundedReceiver<Wake>) {
    let deadline = js_sys::Date::now() + delay_ms;
    loop {
        let left = deadline - js_sys::Date::now();
        if left <= 0.0 {
            return;
        }
        let offline = !is_online();
        let retry_in = (left / 1000.0).ceil() as u32;
        state
            .status
            .set(ConnStatus::Reconnecting { retry_in, offline });
        let tick = TimeoutFuture::new(left.min(1000.0 - left % 1000.0).max(1.0) as u32);
        if let Either::Right((Some(Wake::Online), _)) = select(tick, wake.next()).await {
            return;
        }
    }
}

/// One connection, until it closes; true if it was ever open.
async fn session(
    state: RoomState,
    ws: WebSocket,
    wake: &mut mpsc::UnboundedReceiver<Wake>,
) -> bool {
    let (mut sink, mut stream) = ws.split();
    let room = state.room.get_value();
    // The first write waits for the socket to open.
    if sink.send(text(&room_join(state, &room))).await.is_err() {
        return false;
    }
    // Open, and not yet in the room: "Connected" waits for the answer (`joined`).
    state.status.set(ConnStatus::Connecting);
    // The other rooms in the list, live only, for their unread counts.
    let others: Vec<String> = state.rooms.with_untracked(|rooms| {
        rooms
            .iter()
            .filter(|r| r.name != room)
            .map(|r| r.name.clone())
            .collect()
    });
    for other in others {
        if sink
            .send(text(&ClientFrame::Join {
                room: other,
                since: None,
            }))
            .await
            .is_err()
        {
            return true;
        }
    }
    let mut sent_here = HashSet::<Uuid>::new();
    let mut markers_sent = (0u64, 0u64);
    // After `rate_limited`, nothing is sent before this time (ms since the epoch).
    let mut hold_until = 0f64;
    // The room's join was refused for now (limited, or the server failed): ask again then.
    let mut rejoin_at: Option<f64> = None;
    let mut tick = TimeoutFuture::new(MARKER_INTERVAL_MS);
    loop {
        // Deliver every queued message not yet sent on this connection, oldest first.
        let held = js_sys::Date::now() < hold_until;
        let unsent: Vec<_> = state.log.with_value(|l| {
            if held {
                return Vec::new();
            }
            l.pending()
                .iter()
                .filter(|m| !sent_here.contains(&m.client_id))
                .map(|m| match m.kind {
                    EntryKind::Delete(seq) => ClientFrame::Delete {
                        room: room.clone(),
                        seq,
                        client_id: m.client_id,
                    },
                    EntryKind::React { of, undo } => ClientFrame::React {
                        room: room.clone(),
                        seq: of,
                        client_id: m.client_id,
                        emoji: m.text.clone(),
                        undo,
                    },
                    EntryKind::Edit(seq) => ClientFrame::Edit {
                        room: room.clone(),
                        seq,
                        client_id: m.client_id,
                        text: m.text.clone(),
                    },
                    EntryKind::Message => ClientFrame::Send {
                        room: room.clone(),
                        client_id: m.client_id,
                        text: m.text.clone(),
                        reply_to: m.reply_to.as_ref().map(|q| q.seq),
                    },
                })
                .collect()
        });
        for frame in unsent {
            if let ClientFrame::Send { client_id, .. }
            | ClientFrame::Delete { client_id, .. }
            | ClientFrame::Edit { client_id, .. }
            | ClientFrame::React { client_id, .. } = &frame
            {
                sent_here.insert(*client_id);
            }
            if sink.send(text(&frame)).await.is_err() {
                return true;
            }
        }
        let mut ticked = false;
        match select(stream.next(), select(wake.next(), &mut tick)).await {
            Either::Left((Some(Ok(msg)), _)) => {
                // This frame and every other one already here, before anything else: a
                // burst is taken in one go (and applied in one animation frame).
                let mut next = Some(msg);
                while let Some(msg) = next.take() {
                    if let Message::Text(raw) = msg {
                        let reply = on_frame(
                            state,
                            &room,
                            &raw,
                            &mut sent_here,
                            &mut hold_until,
                            &mut rejoin_at,
                        );
                        if let Some(reply) = reply {
                            if sink.send(text(&reply)).await.is_err() {
                                return true;
                            }
                        }
                    }
                    match stream.next().now_or_never() {
                        Some(Some(Ok(msg))) => next = Some(msg),
                        Some(Some(Err(_)) | None) => return true,
                        None => {}
                    }
                }
            }
            Either::Left((Some(Err(_)) | None, _)) => return true,
            Either::Right((Either::Left((Some(Wake::Offline), _)), _)) => return true,
            Either::Right((Either::Right(_), _)) => ticked = true,
            Either::Right(_) => {}
        }
        // Markers go out on the timer, at most every `MARKER_INTERVAL_MS`.
        if ticked {
            tick = TimeoutFuture::new(MARKER_INTERVAL_MS);
            // Typing goes out on the same timer; whoever stopped typing is forgotten.
            let now = window().performance().map_or(0.0, |p| p.now());
            state.typing.prune(now);
            if state.typing.due(now) {
                let typing = ClientFrame::Typing { room: room.clone() };
                if sink.send(text(&typing)).await.is_err() {
                    return true;
                }
            }
            if rejoin_at.is_some_and(|at| js_sys::Date::now() >= at) {
                rejoin_at = None;
                if sink.send(text(&room_join(state, &room))).await.is_err() {
                    return true;
                }
            }
            if let Some(frame) = marker_frame(state, &room, &mut markers_sent) {
                if sink.send(text(&frame)).await.is_err() {
                    return true;
                }
            }
        }
    }
}

/// Handles one frame from the server; returns what to answer (the next window of a
/// catch-up), if anything.
fn on_frame(
    state: RoomState,
    room: &str,
    raw: &str,
    sent_here: &mut HashSet<Uuid>,
    hold_until: &mut f64,
    rejoin_at: &mut Option<f64>,
) -> Option<ClientFrame> {
    match serde_json::from_str::<ServerFrame>(raw) {
        Ok(ServerFrame::More { room: r, since }) if r == room => {
            // The rest of the history, one window at a time.
            Some(ClientFrame::Join {
                room: r,
                since: Some(since),
            })
        }
        // A member, caught up and live: only now does the badge say so.
        Ok(ServerFrame::Joined { room: r, .. }) if r == room => {
            state.status.set(ConnStatus::Connected);
            None
        }
        Ok(frame @ ServerFrame::Error { .. }) if refuses_join(&frame, room) => {
            match &frame {
                // Refused for now (too many joins, a server that failed): asked again
                // after the wait, and the badge waits with it.
                ServerFrame::Error {
                    code: ErrorCode::RateLimited | ErrorCode::Internal,
                    retry_after_ms,
                    ..
                } => {
                    *rejoin_at = Some(js_sys::Date::now() + retry_after_ms.unwrap_or(2_000) as f64)
                }
                // The connection is up and the room is not: the alert says why.
                _ => {
                    state.status.set(ConnStatus::Connected);
                    state.receive(frame);
                }
            }
            None
        }
        Ok(frame) => {
            if let ServerFrame::Error {
                code: ErrorCode::RateLimited,
                client_id,
                retry_after_ms,
                ..
            } = &frame
            {
                // Send it again once the server is ready for it.
                *hold_until = js_sys::Date::now() + retry_after_ms.unwrap_or(1000) as f64;
                if let Some(id) = client_id {
                    sent_here.remove(id);
                }
            }
            if let ServerFrame::Message(msg) = &frame {
                state
                    .me
                    .with_untracked(|me| me.as_ref().map(|me| super::notify::mention(me, msg)));
            }
            match frame {
                // Written into the page at once: nothing else in the room depends on it.
                ServerFrame::Presence(p) => {
                    state.presence(&p);
                    super::members::show(state, &p)
                }
                ServerFrame::Topic { room: r, topic } if r == room => state.topic.set(topic),
                frame => state.receive(frame),
            }
            None
        }
        Err(e) => {
            leptos::logging::warn!("unreadable frame from server: {e}");
            None
        }
    }
}

/// The join of the page's `room`, from the last message held: the server replays what the
/// page missed, then answers `joined`.
fn room_join(state: RoomState, room: &str) -> ClientFrame {
    ClientFrame::Join {
        room: room.to_owned(),
        since: Some(state.log.with_value(|l| l.last_seq())),
    }
}

/// Whether `frame` refuses this socket's join of `room`.
fn refuses_join(frame: &ServerFrame, room: &str) -> bool {
    matches!(frame, ServerFrame::Error { client_id: None, room: Some(r), .. } if r == room)
}

/// `read` for everything while the reader is looking at the end of the log in a visible
/// page, otherwise `received` for everything held; only when the marker rises.
fn marker_frame(state: RoomState, room: &str, sent: &mut (u64, u64)) -> Option<ClientFrame> {
    let last = state.log.with_value(|l| l.last_seq());
    let looking = state.at_bottom.get_untracked() && !document().hidden();
    let room = room.to_owned();
    if looking && last > sent.1 {
        *sent = (sent.0.max(last), last);
        Some(ClientFrame::Read { room, seq: last })
    } else if last > sent.0 {
        sent.0 = last;
        Some(ClientFrame::Received { room, seq: last })
    } else {
        None
    }
}

fn text(frame: &ClientFrame) -> Message {
    Message::Text(serde_json::to_string(frame).expect("client frames always serialise"))
}
