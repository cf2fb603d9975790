//! The writer task: everything queued for the socket goes out in as few `writev` calls
//! as the kernel allows, so a busy socket takes many frames per syscall.

use std::{
    io::{self, IoSlice},
    time::Duration,
};

use bytes::{Buf, Bytes};
use tokio::net::tcp::OwnedWriteHalf;

use crate::server::wire::codec;
use crate::server::wire::{CloseReason, Outbox, Queue};

/// The server pings this often; a connection silent for `reader::IDLE_TIMEOUT` is closed.
const PING_INTERVAL: Duration = Duration::from_secs(20);

/// Queue entries taken per wake-up (and slices per `writev`, at most).
const MAX_WRITE_BATCH: usize = 64;

/// Writes until the connection is asked to close (at shutdown too: `serve_socket` closes
/// the outbox with the reason), then sends what is queued and the close frame.
pub async fn write_loop(io: OwnedWriteHalf, mut queue: Queue, outbox: Outbox) {
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.reset();
    // Empty (no memory) while the socket is idle.
    let mut batch: Vec<Bytes> = Vec::new();
    // Made once: a new waiter on every wake-up would cost a lock per delivery.
    let closed = outbox.closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            biased;
            _ = &mut closed => break,
            n = queue.recv_many(&mut batch, MAX_WRITE_BATCH) => {
                if n == 0 {
                    break;
                }
                let queued = batch.iter().map(Bytes::len).sum();
                if write_all(&io, &mut batch).await.is_err() {
                    return;
                }
                queue.written(queued);
            }
            _ = ping.tick() => {
                batch.push(codec::ping());
                if write_all(&io, &mut batch).await.is_err() {
                    return;
                }
            }
        }
        // Written: an idle socket keeps no slots.
        batch = Vec::new();
    }
    // Finish what is queued (acks of stored messages), then say why we close.
    queue.try_recv_many(&mut batch, usize::MAX);
    let reason = outbox.close_reason().unwrap_or(CloseReason::Normal);
    if !matches!(reason, CloseReason::Normal | CloseReason::Shutdown) {
        tracing::info!(
            code = reason.code(),
            why = reason.text(),
            "closing a socket"
        );
    }
    batch.push(codec::close(reason.code(), reason.text()));
    // Dropping the write half on return sends FIN after the close frame.
    let _ = write_all(&io, &mut batch).await;
}

/// Writes every buffer in `bufs` (vectored, resuming after partial writes) and empties it.
async fn write_all(io: &OwnedWriteHalf, bufs: &mut Vec<Bytes>) -> io::Result<()> {
    let mut first = 0;
    while first < bufs.len() {
        match write_some(io, &bufs[first..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(mut n) => {
                while n > 0 {
                    let len = bufs[first].len();
                    if n >= len {
                        n -= len;
                        first += 1;
                    } else {
                        bufs[first].advance(n);
                        n = 0;
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => io.writable().await?,
            Err(e) => return Err(e),
        }
    }
    bufs.clear();
    Ok(())
}

fn write_some(io: &OwnedWriteHalf, bufs: &[Bytes]) -> io::Result<usize> {
    if bufs.len() == 1 {
        return io.try_write(&bufs[0]);
    }
    let mut slices = [IoSlice::new(&[]); MAX_WRITE_BATCH];
    let n = bufs.len().min(MAX_WRITE_BATCH);
    for (slice, buf) in slices.iter_mut().zip(bufs) {
        *slice = IoSlice::new(buf);
    }
    io.try_write_vectored(&slices[..n])
}
