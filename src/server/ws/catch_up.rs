//! Catching up after `join` with `since`: the stored messages the client missed, then
//! every member's markers, then the live frames the room held meanwhile.
//!
//! One `join` replays at most [`MAX_REPLAY`] messages. When more are missed, the replay
//! ends with a `more` frame and the subscription ends (nothing live was released, so
//! nothing is skipped): the client joins again with the `since` it names.

use bytes::BytesMut;
use tokio::sync::oneshot;

use crate::{
    protocol::{ErrorCode, ServerFrame},
    server::{
        hub::{CatchUp, RoomHandle},
        store::Store,
        wire::{encode_into, Outbox},
    },
};

/// Rows per page when replaying history.
const REPLAY_PAGE: u32 = 250;
/// Messages one `join` replays at most.
pub const MAX_REPLAY: u64 = 500;
/// Replayed frames are queued in chunks of about this many bytes.
const CHUNK_BYTES: usize = 64 * 1024;

/// Replays `since < seq <= upto` (the room's answer in `plan`), then releases the
/// subscription `id`, whose live frames the room held meanwhile.
pub async fn run(
    store: Store,
    handle: RoomHandle,
    id: u64,
    plan: oneshot::Receiver<CatchUp>,
    since: u64,
    outbox: Outbox,
) {
    // No answer: the socket left or closed before the room saw the join.
    let Ok(CatchUp { upto, receipts }) = plan.await else {
        return;
    };
    let mut cursor = since;
    let mut chunk = BytesMut::new();
    let mut json = Vec::new();
    let window_end = upto.min(since.saturating_add(MAX_REPLAY));
    while cursor < window_end {
        let limit = REPLAY_PAGE.min((window_end - cursor).min(u32::MAX as u64) as u32);
        let page = match store.messages_after(&handle.room, cursor, limit).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(%error, "replay failed");
                handle.unsubscribe(id);
                // The join's answer: refused for now.
                outbox.push_frame(&ServerFrame::Error {
                    code: ErrorCode::Internal,
                    message: "History could not be loaded; join again.".into(),
                    client_id: None,
                    retry_after_ms: None,
                    room: Some(handle.room.name.to_string()),
                });
                return;
            }
        };
        if page.is_empty() {
            break;
        }
        for msg in page {
            cursor = msg.seq;
            encode_into(&mut chunk, &mut json, &ServerFrame::Message(msg));
            if chunk.len() >= CHUNK_BYTES && !outbox.send(chunk.split().freeze()).await {
                return;
            }
        }
    }
    if cursor >= window_end && cursor < upto {
        // More than one window missed: the client asks again from here.
        handle.unsubscribe(id);
        encode_into(
            &mut chunk,
            &mut json,
            &ServerFrame::More {
                room: handle.room.name.to_string(),
                since: cursor,
            },
        );
        outbox.send(chunk.split().freeze()).await;
        return;
    }
    if !chunk.is_empty() && !outbox.send(chunk.split().freeze()).await {
        return;
    }
    // Where everyone is (as the room had it when it answered the join; what changed since
    // is in the held frames), so the joiner can show delivery status.
    if let Some(frame) = receipts {
        if !outbox.send(frame).await {
            return;
        }
    }
    handle.release(id);
}
