//! The browser's one WebSocket: joins the room with `since`, delivers queued sends (again
//! after every reconnect, with the same `client_id`), applies server frames, and
//! reconnects on its own with exponential backoff and jitter.

use std::collections::HashSet;

use futures::{
    channel::mpsc,
    future::{select, AbortHandle, Abortable, Either},
    SinkExt, StreamExt,
};
use gloo_net::websocket::{futures::WebSocket, Message};
use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    components::{chat_room::RoomState, connection_badge::ConnStatus},
    protocol::{ClientFrame, ServerFrame},
};

const BACKOFF_START_MS: f64 = 500.0;
const BACKOFF_MAX_MS: f64 = 15_000.0;

/// Starts the connection for `state`'s room; it ends with the calling component.
pub fn start(state: RoomState) {
    let (wake_tx, wake_rx) = mpsc::unbounded::<()>();
    // Wake the socket whenever a message is queued.
    Effect::new(move |_| {
        state.log.with(|l| l.pending().len());
        let _ = wake_tx.unbounded_send(());
    });
    let (abort, registration) = AbortHandle::new_pair();
    leptos::task::spawn_local(async move {
        let _ = Abortable::new(run(state, wake_rx), registration).await;
    });
    on_cleanup(move || abort.abort());
}

fn socket_url() -> String {
    let location = window().location();
    let scheme = match location.protocol().as_deref() {
        Ok("https:") => "wss",
        _ => "ws",
    };
    format!("{scheme}://{}/ws", location.host().unwrap_or_default())
}

/// Delay before reconnect attempt `attempt` (1, 2, …): doubling, capped, ±50 % jitter.
fn backoff_ms(attempt: u32) -> u32 {
    let base = (BACKOFF_START_MS * 2f64.powi(attempt.min(16) as i32 - 1)).min(BACKOFF_MAX_MS);
    (base * (0.5 + js_sys::Math::random())) as u32
}

async fn run(state: RoomState, mut wake: mpsc::UnboundedReceiver<()>) {
    let mut attempt = 0;
    loop {
        if let Ok(ws) = WebSocket::open(&socket_url()) {
            if session(state, ws, &mut wake).await {
                attempt = 0;
            }
        }
        attempt += 1;
        state.status.set(ConnStatus::Reconnecting);
        gloo_timers::future::TimeoutFuture::new(backoff_ms(attempt)).await;
    }
}

/// One connection, until it closes; true if it was ever open.
async fn session(state: RoomState, ws: WebSocket, wake: &mut mpsc::UnboundedReceiver<()>) -> bool {
    let (mut sink, mut stream) = ws.split();
    let room = state.room.get_value();
    let since = state.log.with_untracked(|l| l.last_seq());
    let join = ClientFrame::Join {
        room: room.clone(),
        since: Some(since),
    };
    // The first write waits for the socket to open.
    if sink.send(text(&join)).await.is_err() {
        return false;
    }
    state.status.set(ConnStatus::Connected);
    let mut sent_here = HashSet::<Uuid>::new();
    loop {
        // Deliver every queued message not yet sent on this connection, oldest first.
        let unsent: Vec<_> = state.log.with_untracked(|l| {
            l.pending()
                .iter()
                .filter(|m| !sent_here.contains(&m.client_id))
                .map(|m| ClientFrame::Send {
                    room: room.clone(),
                    client_id: m.client_id,
                    text: m.text.clone(),
                })
                .collect()
        });
        for frame in unsent {
            if let ClientFrame::Send { client_id, .. } = &frame {
                sent_here.insert(*client_id);
            }
            if sink.send(text(&frame)).await.is_err() {
                return true;
            }
        }
        match select(stream.next(), wake.next()).await {
            Either::Left((Some(Ok(Message::Text(raw))), _)) => {
                match serde_json::from_str::<ServerFrame>(&raw) {
                    Ok(frame) => state.apply(frame),
                    Err(e) => leptos::logging::warn!("unreadable frame from server: {e}"),
                }
            }
            Either::Left((Some(Ok(Message::Bytes(_))), _)) => {}
            Either::Left((Some(Err(_)) | None, _)) => return true,
            Either::Right(_) => {}
        }
    }
}

fn text(frame: &ClientFrame) -> Message {
    Message::Text(serde_json::to_string(frame).expect("client frames always serialise"))
}
