//! One simulated person: a socket that joins its room, counts and times every message that
//! arrives, answers pings, and (for a sender) sends on schedule.

use std::{
    rc::Rc,
    time::{Duration, Instant},
};

use crate::{
    wire::{self, Frame, Socket},
    Shared,
};

/// Sends at most this many unacked messages per socket in `--durable` mode.
const DURABLE_WINDOW: u64 = 32;
/// With `--markers`, a socket reports `read` at most this often, as the browser does.
const MARKER_INTERVAL: Duration = Duration::from_millis(400);

/// One socket: joins `room`, counts and times what arrives, answers pings, and if it is
/// a sender (index, members of its room) sends on schedule.
pub async fn run(mut ws: Socket, room: String, sender: Option<(usize, u64)>, sh: Rc<Shared>) {
    let join = format!(r#"{{"type":"join","room":"{room}"}}"#);
    if ws.send_text(&join).await.is_err() {
        sh.open.set(sh.open.get() - 1);
        return;
    }
    let mut next: Option<Instant> = None;
    let mut my_step = usize::MAX;
    let mut n = 0u64;
    let mut in_flight = 0u64;
    let mut pings = Vec::new();
    // With `--markers`: the highest seq seen, the highest reported, when to report next.
    let (mut seen, mut reported) = (0u64, 0u64);
    let mut next_mark = Instant::now() + MARKER_INTERVAL;
    loop {
        // A sender's schedule: evenly spaced over the senders, one period per message.
        if let Some((index, _)) = sender {
            if sh.sending.get() && !sh.durable {
                if my_step != sh.step.get() {
                    my_step = sh.step.get();
                    let all = sh.rate.get() * sh.senders as f64;
                    next = Some(sh.step_start.get() + Duration::from_secs_f64(index as f64 / all));
                }
            } else {
                next = None;
            }
        }
        let mut wake = next.unwrap_or_else(|| Instant::now() + Duration::from_millis(20));
        if sh.markers {
            wake = wake.min(next_mark);
        }
        let timer = sender.is_some() || sh.markers;
        tokio::select! {
            r = ws.fill() => {
                if !matches!(r, Ok(true)) {
                    break;
                }
                let mut closed = false;
                while let Some(frame) = ws.next_frame() {
                    match frame {
                        Frame::Text(t) => {
                            if t.starts_with(br#"{"type":"message""#) {
                                record(&sh, t);
                                if sh.markers {
                                    seen = seen.max(seq_of(&sh, t));
                                }
                            } else if t.starts_with(br#"{"type":"receipts""#) {
                                let step = sh.step.get();
                                sh.steps.borrow_mut()[step].receipt_frames += 1;
                            } else if t.starts_with(br#"{"type":"ack""#) {
                                in_flight = in_flight.saturating_sub(1);
                                let step = sh.step.get();
                                sh.steps.borrow_mut()[step].acked += 1;
                            } else if t.starts_with(br#"{"type":"joined""#) {
                                sh.joined.set(sh.joined.get() + 1);
                                sh.joins_answered.notify_one();
                            }
                        }
                        Frame::Ping(p) => pings.push(p.to_vec()),
                        Frame::Close => closed = true,
                        Frame::Other => {}
                    }
                }
                ws.answer_pings(&mut pings).await;
                if closed {
                    break;
                }
            }
            _ = tokio::time::sleep_until(wake.into()), if timer => {
                if sh.markers && Instant::now() >= next_mark {
                    next_mark = Instant::now() + MARKER_INTERVAL;
                    if seen > reported {
                        reported = seen;
                        let read = format!(r#"{{"type":"read","room":"{room}","seq":{seen}}}"#);
                        if ws.send_text(&read).await.is_err() {
                            break;
                        }
                        let step = sh.step.get();
                        sh.steps.borrow_mut()[step].markers += 1;
                    }
                }
                if sender.is_none() {
                    continue;
                }
                // Catch up if the timer was late: every due message goes now.
                let period = Duration::from_secs_f64(1.0 / sh.rate.get());
                while let Some(at) = next.filter(|t| *t <= Instant::now()) {
                    if send(&mut ws, &room, &sh, sender, &mut n).await.is_err() {
                        break;
                    }
                    next = Some(at + period);
                }
            }
        }
        if let (Some(_), true, true) = (sender, sh.durable, sh.sending.get()) {
            while in_flight < DURABLE_WINDOW {
                if send(&mut ws, &room, &sh, sender, &mut n).await.is_err() {
                    break;
                }
                in_flight += 1;
            }
        }
    }
    sh.open.set(sh.open.get() - 1);
}

async fn send(
    ws: &mut Socket,
    room: &str,
    sh: &Shared,
    sender: Option<(usize, u64)>,
    n: &mut u64,
) -> std::io::Result<()> {
    let step = sh.step.get();
    let now = sh.t0.elapsed().as_micros();
    let frame = format!(
        r#"{{"type":"send","room":"{room}","client_id":"{}","text":"t:{now}|{step}|{n}"}}"#,
        uuid::Uuid::now_v7()
    );
    ws.send_text(&frame).await?;
    *n += 1;
    let mut steps = sh.steps.borrow_mut();
    steps[step].sent += 1;
    steps[step].expected += sender.map_or(0, |(_, members)| members);
    Ok(())
}

/// The `seq` of a message frame.
fn seq_of(sh: &Shared, frame: &[u8]) -> u64 {
    wire::number_after(&sh.seq_marker, frame).unwrap_or(0)
}

/// Counts a delivered message toward its step and records its latency.
fn record(sh: &Shared, frame: &[u8]) {
    let Some(at) = sh.marker.find(frame) else {
        return;
    };
    let rest = &frame[at + b"\"text\":\"t:".len()..];
    let Some((sent, rest)) = wire::leading_number(rest) else {
        return;
    };
    let Some((step, _)) = rest.strip_prefix(b"|").and_then(wire::leading_number) else {
        return;
    };
    let now = sh.t0.elapsed().as_micros() as u64;
    let mut steps = sh.steps.borrow_mut();
    if let Some(s) = steps.get_mut(step as usize) {
        s.received += 1;
        let _ = s.latency_us.record(now.saturating_sub(sent).max(1));
    }
}
