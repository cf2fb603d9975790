//! The accept loop: HTTP/1.1 with upgrades, with a clock for hyper so that slow peers are
//! cut off. `axum::serve` gives hyper no timer, so a connection that sends half a request
//! line, or nothing, would stay open for ever. Every connection needs a place
//! ([`admission`]); every request has a whole-request deadline, so a body trickled a byte
//! at a time is answered **408** and closed. There is no h2c: cleartext HTTP/2 with prior
//! knowledge let one connection hold a hundred stalled streams, and browsers speak HTTP/2
//! only over TLS, to the proxy in front (which speaks HTTP/1.1 to cloud_msg).
//!
//! A connection is handed to hyper only once its request head has come whole, and at most
//! [`REQUESTS_AT_ONCE`] first requests are in progress at once: when thousands of clients
//! come back together after a restart, the rest wait as bare TCP streams (a few hundred
//! bytes each) instead of each holding hyper's buffers and a request while the store
//! answers the ones before them. A place is held [`PLACE_HELD_MOST`] at most, so slow
//! bodies cannot keep everyone else out.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    sync::{Arc, Mutex},
    task::Poll,
    time::Duration,
};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json, Router,
};
use hyper::{body::Incoming, service::service_fn, Request};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokio::{
    io::ReadBuf,
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tower::ServiceExt;

use crate::{
    protocol::ApiError,
    server::infra::admission::{Admission, Over, Verdict},
};

/// How long to wait before accepting again when the process is out of file descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Connections whose first request is in hyper's hands at once. Each holds hyper's read
/// buffer (8 KiB), the request and its handler: some 17 KiB, so 256 of them 4 MB. A
/// socket's upgrade takes well under a millisecond, a page a few: 256 keep one core busy.
pub const REQUESTS_AT_ONCE: usize = 256;
/// A first request keeps its place among those in progress this long at most: one whose
/// body trickles in (or whose answer takes long) lets the next connection in after it.
pub const PLACE_HELD_MOST: Duration = Duration::from_secs(1);
/// How much of a request head is looked at before it goes to hyper: as much as hyper reads
/// at once. A longer head goes on as it is (hyper refuses it).
const HEAD_PEEK: usize = 8 * 1024;
/// The longest pause between two looks at a head that came in part.
const HEAD_PAUSE_MAX: Duration = Duration::from_millis(100);

/// How the accept loop treats connections.
pub struct Edge {
    /// A request's headers must arrive within this; an idle keep-alive connection closes.
    pub header_timeout: Duration,
    /// A whole request (body included, up to its response's head) must be done within this.
    pub request_deadline: Duration,
    /// Requests in progress get this long at shutdown.
    pub drain: Duration,
    pub admission: Arc<Admission>,
}

/// The answer for a request that did not finish in time; the connection closes after it.
fn too_slow() -> Response {
    let mut res = (
        StatusCode::REQUEST_TIMEOUT,
        Json(ApiError {
            error: "The request took too long to arrive; send it again.".into(),
        }),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// The overflow lane's answer: `/healthz` as usual, anything else 503.
async fn overflow(router: Router, req: Request<Incoming>, over: Over) -> Response {
    if req.uri().path() == "/healthz" {
        return router
            .oneshot(req.map(Body::new))
            .await
            .unwrap_or_else(|e| match e {});
    }
    let error = match over {
        Over::Total => "The server is at its connection cap. Try again in a few seconds.",
        Over::Address => {
            "Too many connections from your address. Close some tabs or try again in a few seconds."
        }
    };
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(ApiError {
            error: error.into(),
        }),
    )
        .into_response();
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Waits until the connection's request head has come whole (its blank line, or
/// [`HEAD_PEEK`] bytes), and returns its first four bytes; `None`: it closed first. No
/// buffer is held while it waits: each look borrows one for the moment.
async fn whole_head(stream: &TcpStream) -> Option<[u8; 4]> {
    let mut pause = Duration::from_millis(2);
    loop {
        let look = std::future::poll_fn(|cx| {
            let mut buf = vec![0u8; HEAD_PEEK];
            let mut read = ReadBuf::new(&mut buf);
            match stream.poll_peek(cx, &mut read) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Ok(0) | Err(_)) => Poll::Ready(None),
                Poll::Ready(Ok(n)) => {
                    let got = &buf[..n];
                    let whole = n == HEAD_PEEK || got.windows(4).any(|w| w == b"\r\n\r\n");
                    let mut first = [0u8; 4];
                    let start = n.min(4);
                    first[..start].copy_from_slice(&got[..start]);
                    Poll::Ready(Some((first, whole && n >= 4)))
                }
            }
        })
        .await;
        match look {
            None => return None,
            Some((first, true)) => return Some(first),
            // An h2c preface has its blank line early; anything else that came in part
            // is looked at again after a pause that grows.
            Some(_) => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(HEAD_PAUSE_MAX);
            }
        }
    }
}

/// Gives the connection's place among the requests in progress back (once).
fn release(first: &Mutex<Option<OwnedSemaphorePermit>>) {
    if let Ok(mut permit) = first.lock() {
        permit.take();
    }
}

/// Serves `router` on `listener` until `signal`, then waits (at most `edge.drain`) for
/// requests in progress. Upgraded sockets are not waited for here: they have their own
/// shutdown.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    edge: Edge,
    signal: impl Future<Output = ()>,
) {
    let Edge {
        header_timeout,
        request_deadline,
        drain,
        admission,
    } = edge;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Counts from when the connection waits for a request, so an idle keep-alive
        // connection is closed after it too.
        .header_read_timeout(header_timeout);
    let mut lane = builder.clone();
    lane.http1().keep_alive(false);
    let graceful = GracefulShutdown::new();
    let in_progress = Arc::new(Semaphore::new(REQUESTS_AT_ONCE));
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // EMFILE and friends: wait for connections to close rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            _ = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let (place, over) = match admission.admit(peer.ip()) {
            Verdict::Take(place) => (place, None),
            Verdict::Overflow(place, over) => (place, Some(over)),
            Verdict::Close => continue,
        };
        if let Some(over) = over {
            let service = service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                let router = router.clone();
                async move { Ok::<_, Infallible>(overflow(router, req, over).await) }
            });
            let lane = lane.clone();
            tokio::spawn(async move {
                let _place = place;
                let conn = lane.serve_connection(TokioIo::new(stream), service);
                let _ = tokio::time::timeout(header_timeout * 2, conn).await;
            });
            continue;
        }
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let in_progress = in_progress.clone();
        tokio::spawn(async move {
            let _place = place;
            // The auto builder reads the first bytes (HTTP/1 or HTTP/2?) before hyper's
            // timer runs: a connection gets the same deadline here, for its whole head. An
            // HTTP/2 preface (`PRI * HTTP/2.0`) is closed: hyper would speak h2c to it.
            match tokio::time::timeout(header_timeout, whole_head(&stream)).await {
                Ok(Some(first)) if &first != b"PRI " => {}
                Ok(Some(_)) => {
                    tracing::debug!(%peer, "h2c preface refused");
                    return;
                }
                _ => return,
            }
            let Ok(permit) = in_progress.acquire_owned().await else {
                return;
            };
            // Given back once the first request is answered: a keep-alive connection
            // waiting for its next request holds none.
            let first = Arc::new(Mutex::new(Some(permit)));
            let service = service_fn(move |mut req: Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                let router = router.clone();
                let first = first.clone();
                async move {
                    let call = tokio::time::timeout(request_deadline, router.oneshot(req));
                    tokio::pin!(call);
                    // Only a first request has a place to give back (and a timer for it).
                    let holding = first.lock().is_ok_and(|p| p.is_some());
                    let answer = match holding {
                        false => call.await,
                        true => {
                            let answer = tokio::select! {
                                answer = &mut call => answer,
                                _ = tokio::time::sleep(PLACE_HELD_MOST) => {
                                    release(&first);
                                    call.await
                                }
                            };
                            release(&first);
                            answer
                        }
                    };
                    Ok::<_, Infallible>(match answer {
                        Ok(res) => res.unwrap_or_else(|e| match e {}),
                        Err(_) => {
                            tracing::info!(%peer, "request not completed within its deadline");
                            too_slow()
                        }
                    })
                }
            });
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(error) = watcher.watch(conn).await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests did not finish within {drain:?}");
    }
}
