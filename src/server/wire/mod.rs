//! What goes over a WebSocket, below both the socket (`ws`) and the rooms (`hub`):
//! RFC 6455 framing both ways (`codec`), server frames encoded once as shared bytes, and
//! each connection's bounded outgoing queue (`outbox`). It knows nothing of rooms,
//! sockets or storage, so everything that writes to a client depends on it and it on
//! nothing but the protocol.

pub mod codec;
mod outbox;

pub use outbox::{encode, encode_into, CloseReason, Outbox, Queue, QUEUE_BYTES, QUEUE_CAPACITY};
