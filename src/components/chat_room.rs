//! A room: header, message log, and the composer (or the join form for visitors).
//! `RoomState` is the room's reactive state, shared with the components and the socket.

use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    app::{Me, RoomPageData},
    components::{
        composer::Composer,
        connection_badge::{ConnStatus, ConnectionBadge},
        join_form::JoinForm,
        message_log::MessageLog,
        room_list::{RoomList, RoomSummary},
        sign_out::SignOut,
    },
    protocol::{ChatMessage, ErrorCode, ServerFrame},
    room_log::RoomLog,
    timestamp::Timestamp,
    validation::{MessageText, ValidationError},
};

/// How the alert for `rate_limited` begins.
const SLOW_DOWN: &str = "Slow down:";

#[derive(Clone, Copy)]
pub struct RoomState {
    pub room: StoredValue<String>,
    pub me: RwSignal<Option<Me>>,
    pub log: RwSignal<RoomLog>,
    pub status: RwSignal<ConnStatus>,
    /// The rooms in the list, with unread counts.
    pub rooms: RwSignal<Vec<RoomSummary>>,
    /// Whether the reader is looking at the end of the log (then new messages count as read).
    pub at_bottom: RwSignal<bool>,
    /// The last problem to tell the person about (shown with `role="alert"`).
    pub alert: RwSignal<Option<String>>,
}

impl RoomState {
    pub fn new(data: RoomPageData) -> Self {
        let status = if data.me.is_some() {
            ConnStatus::Connecting
        } else {
            ConnStatus::ReadOnly
        };
        Self {
            room: StoredValue::new(data.room),
            me: RwSignal::new(data.me),
            log: RwSignal::new({
                let mut log = RoomLog::new(data.history);
                data.receipts.into_iter().for_each(|r| log.apply_receipt(r));
                log
            }),
            status: RwSignal::new(status),
            rooms: RwSignal::new(data.rooms),
            at_bottom: RwSignal::new(true),
            alert: RwSignal::new(None),
        }
    }

    /// Queues `text` for sending; the socket delivers it (and again after a reconnect,
    /// with the same `client_id`, until it is stored).
    pub fn send(&self, text: &str) -> Result<(), ValidationError> {
        let text = MessageText::parse(text)?;
        let Some(me) = self.me.get_untracked() else {
            return Ok(());
        };
        let msg = ChatMessage {
            room: self.room.get_value(),
            seq: 0,
            id: Uuid::nil(),
            client_id: Uuid::now_v7(),
            author: me.name,
            author_id: me.id,
            text: text.into_string(),
            ts: Timestamp::now(),
        };
        self.log.update(|log| log.add_pending(msg));
        Ok(())
    }

    /// Once everything held back by "Slow down" is stored, the alert is stale.
    fn clear_slow_down_when_sent(&self) {
        let slowed = self
            .alert
            .with_untracked(|a| a.as_deref().is_some_and(|a| a.starts_with(SLOW_DOWN)));
        if slowed && self.log.with_untracked(|l| l.pending().is_empty()) {
            self.alert.set(None);
        }
    }

    /// Applies a frame from the server.
    pub fn apply(&self, frame: ServerFrame) {
        let room = self.room.get_value();
        match frame {
            ServerFrame::Message(msg) if msg.room == room => {
                self.log.update(|l| l.insert(msg));
                self.clear_slow_down_when_sent();
            }
            // A message in another room I am in: one more unread there.
            ServerFrame::Message(msg) => {
                let mine = self
                    .me
                    .with_untracked(|me| me.as_ref().is_some_and(|me| me.id == msg.author_id));
                if !mine {
                    self.rooms.update(|rooms| {
                        if let Some(r) = rooms.iter_mut().find(|r| r.name == msg.room) {
                            r.unread += 1;
                        }
                    });
                }
            }
            ServerFrame::Ack {
                room: r,
                client_id,
                seq,
            } if r == room => {
                self.log.update(|l| l.ack(client_id, seq));
                self.clear_slow_down_when_sent();
            }
            ServerFrame::Ack { .. } => {}
            ServerFrame::Receipts { room: r, receipts } if r == room => self.log.update(|l| {
                receipts.into_iter().for_each(|r| l.apply_receipt(r));
            }),
            ServerFrame::Receipts { .. } => {}
            // The socket asks for the rest of the history itself.
            ServerFrame::More { .. } => {}
            // Nothing is lost: the socket sends the message again after the wait.
            ServerFrame::Error {
                code: ErrorCode::RateLimited,
                retry_after_ms,
                ..
            } => {
                let secs = retry_after_ms.unwrap_or(1000).div_ceil(1000);
                self.alert.set(Some(format!(
                    "{SLOW_DOWN} you are sending faster than the room allows. \
                     Your message goes out in {secs} s."
                )));
            }
            ServerFrame::Error {
                message, client_id, ..
            } => {
                let failed = client_id.and_then(|id| {
                    let mut failed = None;
                    self.log.update(|l| failed = l.fail(id));
                    failed
                });
                self.alert.set(Some(match failed {
                    Some(_) => format!("Your message was not sent. {message}"),
                    None => message,
                }));
            }
        }
    }
}

#[component]
pub fn ChatRoom(data: RoomPageData) -> impl IntoView {
    let room = data.room.clone();
    let state = RoomState::new(data);
    provide_context(state);

    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let signed_in = state.me.with(Option::is_some);
        if signed_in {
            crate::client::socket::start(state);
        }
        signed_in
    });

    view! {
        <div class="app">
            <aside class="sidebar">
                <a class="brand" href="/r/general">
                    "cloud_msg"
                </a>
                <RoomList />
                {move || {
                    state
                        .me
                        .get()
                        .map(|me| {
                            view! {
                                <div class="me">
                                    <p>"Signed in as " <strong>{me.name}</strong></p>
                                    <SignOut room=state.room.get_value() />
                                </div>
                            }
                        })
                }}
            </aside>
            <main class="chat">
                <header class="topbar">
                    <h1 class="room-title">
                        <span aria-hidden="true">"#"</span>
                        {room}
                    </h1>
                    <ConnectionBadge status=state.status />
                </header>
                <MessageLog />
                <Show when=move || state.me.with(Option::is_some) fallback=JoinForm>
                    <Composer />
                </Show>
            </main>
        </div>
    }
}
