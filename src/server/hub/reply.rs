//! Where the answer to a `send` goes: back on the sender's socket (an `ack` or an `error`
//! frame), or to an HTTP request waiting for it (`POST /api/rooms/<room>/messages`).

use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{
    protocol::{ErrorCode, ServerFrame, REACTIONS_MAX},
    server::wire::{encode, Outbox},
};

/// How a send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Stored under `seq`; `fresh` unless it was stored before under its `client_id`.
    Stored { seq: u64, fresh: bool },
    /// Its `client_id` was used before for another text.
    Reused,
    /// A new emoji for a message that holds `REACTIONS_MAX` different ones already.
    TooManyReactions,
    /// It could not be stored (the sender may send it again).
    Failed,
}

pub enum Reply {
    Socket(Outbox),
    Request(oneshot::Sender<Sent>),
}

impl Reply {
    /// Answers the send of `client_id` in `room`.
    pub fn answer(self, room: &str, client_id: Uuid, sent: Sent) {
        let outbox = match self {
            Reply::Request(tx) => {
                // The request may have gone (its client hung up): nobody to tell.
                let _ = tx.send(sent);
                return;
            }
            Reply::Socket(outbox) => outbox,
        };
        let frame = match sent {
            Sent::Stored { seq, .. } => {
                outbox.push(encode(&ServerFrame::Ack {
                    room: room.to_owned(),
                    client_id,
                    seq,
                }));
                return;
            }
            Sent::Reused => ServerFrame::error(
                ErrorCode::ClientIdReused,
                "This client_id was already used for another message; \
                 send a new message with a new client_id.",
                Some(client_id),
            ),
            Sent::TooManyReactions => ServerFrame::error(
                ErrorCode::BadReaction,
                format!("A message holds at most {REACTIONS_MAX} different reactions."),
                Some(client_id),
            ),
            Sent::Failed => ServerFrame::error(
                ErrorCode::Internal,
                "The message could not be stored; send it again.",
                Some(client_id),
            ),
        };
        outbox.push_frame(&frame);
    }
}
