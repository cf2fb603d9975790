//! The message log (`role="log"`, named "Messages"): day separators and author groups.
//! Text is always rendered as text; times are `<time datetime>` in the reader's zone.

use std::collections::BTreeMap;

use leptos::prelude::*;
use uuid::Uuid;

use crate::{
    app::Hydrated,
    components::{avatar::Avatar, chat_room::RoomState},
    delivery::DeliveryStatus,
    emoji::is_only_emoji,
    grouping::{layout, LogEntry, Row},
    timestamp::Timestamp,
};

/// The reader's offset from UTC, in minutes, at `ts`: the browser's zone after hydration,
/// UTC while rendering on the server (and in a browser without JavaScript).
fn reader_offset(local: bool, ts: Timestamp) -> i32 {
    #[cfg(feature = "hydrate")]
    if local {
        return crate::client::local_offset_minutes(ts);
    }
    let _ = (local, ts);
    0
}

#[component]
pub fn MessageLog() -> impl IntoView {
    let state = expect_context::<RoomState>();
    let hydrated = expect_context::<Hydrated>().0;
    let rows = Memo::new(move |_| {
        let local = hydrated.get();
        let rows = state
            .log
            .with(|log| layout(&log.entries(), |ts| reader_offset(local, ts)));
        rows.into_iter().map(|row| (local, row)).collect::<Vec<_>>()
    });
    // The status of each of my messages, by client_id.
    let statuses = Memo::new(
        move |_| match state.me.with(|me| me.as_ref().map(|me| me.id)) {
            Some(me) => state.log.with(|log| log.statuses(me)),
            None => BTreeMap::new(),
        },
    );
    provide_context(Statuses(statuses));
    let log_ref = NodeRef::<leptos::html::Div>::new();
    // Follow new messages while the reader is at the bottom of the log.
    let at_bottom = state.at_bottom;
    Effect::new(move |_| {
        rows.track();
        if let (Some(el), true) = (log_ref.get(), at_bottom.get_untracked()) {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = log_ref.get() {
            at_bottom.set(el.scroll_height() - el.scroll_top() - el.client_height() < 80);
        }
    };

    view! {
        <div class="log" role="log" aria-label="Messages" node_ref=log_ref on:scroll=on_scroll>
            <Show when=move || state.log.with(|l| l.is_empty())>
                <p class="empty">"No messages yet. Say hello!"</p>
            </Show>
            <For
                each=move || rows.get()
                key=|(local, row)| (*local, row.key())
                children=move |(local, row)| match row {
                    Row::Day { ts, .. } => {
                        view! {
                            <div class="day" role="separator">
                                <span>{ts.day_label(reader_offset(local, ts))}</span>
                            </div>
                        }
                            .into_any()
                    }
                    Row::Group { entries } => view! { <Group entries local /> }.into_any(),
                }
            />
        </div>
    }
}

/// Messages by one author, under one name and avatar.
#[component]
fn Group(entries: Vec<LogEntry>, local: bool) -> impl IntoView {
    let first = entries[0].msg.clone();
    let label = format!("Messages from {}", first.author);
    let messages = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| view! { <Message entry local first=i == 0 /> })
        .collect_view();
    view! {
        <article class="group" aria-label=label>
            <Avatar name=first.author.clone() author_id=first.author_id />
            <div class="group-body">
                <header>
                    <bdi class="author">{first.author.clone()}</bdi>
                    <TimeOf ts=first.ts local />
                </header>
                {messages}
            </div>
        </article>
    }
}

/// Delivery statuses of my messages, for the rows to read.
#[derive(Clone, Copy)]
struct Statuses(Memo<BTreeMap<Uuid, DeliveryStatus>>);

#[component]
fn Message(entry: LogEntry, local: bool, first: bool) -> impl IntoView {
    let LogEntry { msg, pending } = entry;
    let big = is_only_emoji(&msg.text);
    let statuses = expect_context::<Statuses>().0;
    let client_id = msg.client_id;
    let status = move || statuses.with(|s| s.get(&client_id).cloned());
    let status_view = move || {
        status().map(|st| {
            let class = format!(
                "status {}",
                st.label().split(' ').next().unwrap_or("").to_lowercase()
            );
            view! {
                <span class=class role="img" aria-label=st.label() title=st.detail() tabindex="0">
                    {st.icon()}
                </span>
            }
        })
    };
    view! {
        <div class="msg" class:pending=pending class:big=big data-seq=msg.seq>
            {(!first).then(|| view! { <TimeOf ts=msg.ts local /> })}
            <p class="text" dir="auto">{msg.text}</p>
            {status_view}
        </div>
    }
}

/// `<time datetime="…">HH:MM</time>`; the server's rendering says UTC.
#[component]
fn TimeOf(ts: Timestamp, local: bool) -> impl IntoView {
    let offset = reader_offset(local, ts);
    let mut label = ts.clock_label(offset);
    if !local {
        label.push_str(" UTC");
    }
    let title = format!("{} {}", ts.day_label(offset), ts.clock_label(offset));
    view! {
        <time datetime=ts.to_rfc3339() title=title>
            {label}
        </time>
    }
}
