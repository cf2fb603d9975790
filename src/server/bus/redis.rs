//! The bus on Redis pub/sub: one channel per room (`<prefix>room:<name>`), and one that
//! every node always listens to for ended sessions (`<prefix>revocations`); a JSON
//! envelope per event names the node it came from (a node skips its own).
//!
//! Two tasks per node. The publisher takes every event queued and sends them in one
//! pipeline. The subscriber holds the pub/sub connection and the set of rooms this node
//! wants; when the connection drops it reconnects (backing off), subscribes again to every
//! room, and tells the hub to resync, since events published meanwhile are gone.

use std::{collections::HashMap, time::Duration};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use super::event::{Event, Incoming, Revocation};
use crate::{
    server::{Error, Result},
    validation::RoomName,
};

/// Tries to reach Redis at start, one second apart, before giving up.
/// Most events in one pipeline.
const MAX_PIPELINE: usize = 256;
/// Longest wait for Redis to connect or answer: a Redis cut off by the network must not
/// hold events (or a node's start) for a TCP timeout.
const REDIS_WAIT: Duration = Duration::from_secs(2);
/// Longest wait between two reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct RedisBus {
    client: redis::Client,
    prefix: String,
    /// This node, so that it skips its own events.
    node: u64,
    publish: mpsc::UnboundedSender<(String, Vec<u8>)>,
    control: mpsc::UnboundedSender<Control>,
}

enum Control {
    Subscribe(String, oneshot::Sender<()>),
    Unsubscribe(String),
}

#[derive(Serialize, Deserialize)]
struct Envelope<E> {
    node: u64,
    event: E,
}

impl RedisBus {
    pub async fn connect(
        url: &str,
        prefix: &str,
        incoming: mpsc::UnboundedSender<Incoming>,
    ) -> Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::Config(format!("REDIS_URL is not a Redis URL: {e}")))?;
        let where_ = client.get_connection_info().addr.to_string();
        let mut tries = 0;
        let conn = loop {
            tries += 1;
            let attempt = async {
                let mut conn = client.get_multiplexed_async_connection().await?;
                redis::cmd("PING").query_async::<()>(&mut conn).await?;
                Ok::<_, redis::RedisError>(conn)
            };
            match attempt.await {
                Ok(conn) => break conn,
                Err(error) if tries < crate::server::config::connect_tries() => {
                    tracing::warn!(%error, at = %where_, tries, "Redis does not answer yet");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    return Err(Error::Config(format!(
                        "could not reach Redis at {where_} after {tries} tries: {error}"
                    )))
                }
            }
        };
        let (publish, publish_rx) = mpsc::unbounded_channel();
        let (control, control_rx) = mpsc::unbounded_channel();
        let node = rand::random();
        let bus = Self {
            client: client.clone(),
            prefix: prefix.to_owned(),
            node,
            publish,
            control,
        };
        tokio::spawn(publisher(client.clone(), conn, publish_rx));
        tokio::spawn(subscriber(
            client,
            prefix.to_owned(),
            node,
            control_rx,
            incoming,
        ));
        Ok(bus)
    }

    pub fn revoke(&self, revocation: &Revocation) {
        let payload = serde_json::to_vec(&Envelope {
            node: self.node,
            event: revocation,
        })
        .expect("revocations serialise");
        let _ = self
            .publish
            .send((revocations_channel(&self.prefix), payload));
    }

    fn channel(&self, room: &RoomName) -> String {
        format!("{}room:{}", self.prefix, room.as_str())
    }

    pub fn publish(&self, room: &RoomName, event: &Event) {
        let payload = serde_json::to_vec(&Envelope {
            node: self.node,
            event,
        })
        .expect("events serialise");
        let _ = self.publish.send((self.channel(room), payload));
    }

    pub async fn subscribe(&self, room: &RoomName) {
        let (done, subscribed) = oneshot::channel();
        if self
            .control
            .send(Control::Subscribe(self.channel(room), done))
            .is_ok()
        {
            let _ = subscribed.await;
        }
    }

    pub fn unsubscribe(&self, room: &RoomName) {
        let _ = self.control.send(Control::Unsubscribe(self.channel(room)));
    }

    pub async fn ping(&self) -> Result<()> {
        let ping = async {
            let mut conn = self.client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<()>(&mut conn).await
        };
        match tokio::time::timeout(Duration::from_secs(2), ping).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Error::Config(format!("Redis: {e}"))),
            Err(_) => Err(Error::Config("Redis did not answer within 2 s".into())),
        }
    }
}

/// Sends queued events, many per pipeline. After a failure it reconnects and tries the
/// pipeline once more (the first publish after a Redis restart finds a dead connection);
/// events that fail again are dropped (logged): the other nodes find those messages in
/// the store.
async fn publisher(
    client: redis::Client,
    conn: redis::aio::MultiplexedConnection,
    mut rx: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    let mut conn = Some(conn);
    let mut batch = Vec::with_capacity(MAX_PIPELINE);
    while rx.recv_many(&mut batch, MAX_PIPELINE).await > 0 {
        let mut pipe = redis::pipe();
        for (channel, payload) in batch.drain(..) {
            pipe.cmd("PUBLISH").arg(channel).arg(payload).ignore();
        }
        let mut sent = false;
        for attempt in 0..2 {
            if conn.is_none() {
                let connect = client.get_multiplexed_async_connection();
                conn = tokio::time::timeout(REDIS_WAIT, connect)
                    .await
                    .ok()
                    .and_then(Result::ok);
            }
            let Some(c) = conn.as_mut() else {
                break;
            };
            match tokio::time::timeout(REDIS_WAIT, pipe.query_async::<()>(c)).await {
                Ok(Ok(())) => {
                    sent = true;
                    break;
                }
                Ok(Err(error)) if attempt == 1 => {
                    tracing::warn!(%error, "could not publish to Redis");
                    conn = None;
                }
                _ => conn = None,
            }
        }
        if !sent {
            // Redis is down or cut off: whatever queued meanwhile is dropped too, so that a
            // long outage costs no memory; the other nodes find these in the store.
            let mut dropped = 0usize;
            while rx.try_recv().is_ok() {
                dropped += 1;
            }
            tracing::warn!(dropped, "Redis is down: events not published");
        }
    }
}

/// Holds the subscriptions and hands other nodes' events to the hub.
async fn subscriber(
    client: redis::Client,
    prefix: String,
    node: u64,
    mut control: mpsc::UnboundedReceiver<Control>,
    incoming: mpsc::UnboundedSender<Incoming>,
) {
    let room_prefix = format!("{prefix}room:");
    let revocations = revocations_channel(&prefix);
    // Channel → how many of this node's room actors want it (a room that retires and one
    // that starts for the same name may overlap). Revocations are always wanted.
    let mut wanted: HashMap<String, usize> = HashMap::from([(revocations.clone(), 1)]);
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        // Connect, and subscribe again to every room this node has.
        let connected = async {
            let (mut sink, stream) = client.get_async_pubsub().await?.split();
            for channel in wanted.keys() {
                sink.subscribe(channel).await?;
            }
            Ok::<_, redis::RedisError>((sink, stream))
        };
        let connected = async {
            match tokio::time::timeout(REDIS_WAIT, connected).await {
                Ok(r) => r,
                Err(_) => Err(redis::RedisError::from((
                    redis::ErrorKind::IoError,
                    "Redis did not answer in time",
                ))),
            }
        };
        let (mut sink, mut stream) = match connected.await {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(%error, "Redis subscription is down; retrying");
                // Meanwhile, keep the wanted set current and answer subscribers.
                let wait = tokio::time::sleep(backoff);
                tokio::pin!(wait);
                loop {
                    tokio::select! {
                        _ = &mut wait => break,
                        c = control.recv() => match c {
                            Some(c) => apply_offline(&mut wanted, c),
                            None => return,
                        },
                    }
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        if !first {
            tracing::info!("Redis subscription is back; rooms catch up from the store");
            let _ = incoming.send(Incoming::Resync);
        }
        first = false;
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(msg) = msg else { break };
                    if msg.get_channel_name() == revocations {
                        match serde_json::from_slice::<Envelope<Revocation>>(msg.get_payload_bytes()) {
                            Ok(envelope) if envelope.node == node => {}
                            Ok(envelope) => {
                                let _ = incoming.send(Incoming::Revoked(envelope.event));
                            }
                            Err(error) => tracing::warn!(%error, "a revocation on the bus could not be read"),
                        }
                        continue;
                    }
                    let Some(room) = msg
                        .get_channel_name()
                        .strip_prefix(&room_prefix)
                        .and_then(|r| RoomName::parse(r).ok())
                    else {
                        continue;
                    };
                    match serde_json::from_slice::<Envelope<Event>>(msg.get_payload_bytes()) {
                        Ok(envelope) if envelope.node == node => {}
                        Ok(envelope) => {
                            let _ = incoming.send(Incoming::Event { room, event: envelope.event });
                        }
                        Err(error) => tracing::warn!(%error, "an event on the bus could not be read"),
                    }
                }
                c = control.recv() => match c {
                    Some(Control::Subscribe(channel, done)) => {
                        if want(&mut wanted, &channel) {
                            if let Err(error) = sink.subscribe(&channel).await {
                                tracing::warn!(%error, "could not subscribe");
                            }
                        }
                        let _ = done.send(());
                    }
                    Some(Control::Unsubscribe(channel)) => {
                        if unwant(&mut wanted, &channel) {
                            let _ = sink.unsubscribe(&channel).await;
                        }
                    }
                    None => return,
                },
            }
        }
        tracing::warn!("Redis subscription lost; reconnecting");
    }
}

fn revocations_channel(prefix: &str) -> String {
    format!("{prefix}revocations")
}

fn apply_offline(wanted: &mut HashMap<String, usize>, control: Control) {
    match control {
        Control::Subscribe(channel, done) => {
            want(wanted, &channel);
            let _ = done.send(());
        }
        Control::Unsubscribe(channel) => {
            unwant(wanted, &channel);
        }
    }
}

/// Counts one more wanter of `channel`; true for the first.
fn want(wanted: &mut HashMap<String, usize>, channel: &str) -> bool {
    let n = wanted.entry(channel.to_owned()).or_default();
    *n += 1;
    *n == 1
}

/// Counts one wanter of `channel` less; true when none is left.
fn unwant(wanted: &mut HashMap<String, usize>, channel: &str) -> bool {
    match wanted.get_mut(channel) {
        Some(n) if *n > 1 => {
            *n -= 1;
            false
        }
        Some(_) => {
            wanted.remove(channel);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_is_left_only_when_its_last_room_leaves() {
        let mut wanted = HashMap::new();
        assert!(want(&mut wanted, "r"), "the first subscribes");
        assert!(
            !want(&mut wanted, "r"),
            "a second room actor for r overlaps"
        );
        assert!(!unwant(&mut wanted, "r"), "the old one retiring keeps r");
        assert!(unwant(&mut wanted, "r"), "the last one leaves");
        assert!(!unwant(&mut wanted, "r"));
        assert!(wanted.is_empty());
    }
}
