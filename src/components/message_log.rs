//! The message log (`role="log"`, named "Messages"): day separators and author groups.
//! Text is rendered as text, or as the server's formatting of it (a short list of
//! elements, never the text's own markup); times are `<time datetime>` in the reader's zone.
//!
//! The rows come from `state::log_view`, a bounded window of the log. This component
//! follows the end once per applied batch (while the reader is there), and when the reader
//! scrolls near an end of the window it brings rows back (from memory, or older ones from
//! the server) without moving what the reader is looking at.

use std::sync::Arc;

use leptos::{html, prelude::*};

use crate::{
    components::{
        avatar::Avatar,
        message_row::{changes_key, Message, TimeOf},
    },
    protocol::Entry,
    state::{
        log_view::{LogView, Row, Shown},
        room::{Batch, RoomState},
        Hydrated,
    },
    timestamp::reader_offset,
    url_path::segment,
};

/// The reader counts as at the end of the log within this many pixels of it.
const AT_BOTTOM_PX: i32 = 80;

#[component]
pub fn MessageLog() -> impl IntoView {
    let state = expect_context::<RoomState>();
    let hydrated = expect_context::<Hydrated>().0;
    let rows = state.rows();
    let pending = state.pending();
    let log_ref = NodeRef::<html::Div>::new();
    let at_bottom = state.at_bottom;
    // Rows are being brought back: wait before bringing more. The log says so
    // (`aria-busy`): assistive technology, and a test, can wait until it is settled.
    let busy = RwSignal::new(false);

    // Once hydrated, days and times follow the reader's zone: one new layout.
    Effect::new(move |_| {
        if hydrated.get() {
            if let Some(me) = state.me.get_untracked() {
                let first = state.log.with_value(|l| l.first_unread(me.id));
                state.first_new.set(first.unwrap_or(0));
            }
            state.use_local_time();
            state.applied.update(|b| b.frames = 0);
        }
    });
    // After each batch (and once at the start): follow the end, once, while the reader is
    // there; and note how long the batch took, for a benchmark that asks. At the start, a
    // link to one message (`#m-<seq>`, from search) shows that message instead, fetching
    // older pages first if the page did not have it.
    Effect::new(move |started: Option<()>| {
        let batch = state.applied.get();
        leptos::task::spawn_local(async move {
            leptos::task::tick().await;
            let linked = started.is_none() && show_linked();
            if linked {
                at_bottom.set(false);
            } else if let (Some(el), true) = (log_ref.get_untracked(), at_bottom.get_untracked()) {
                el.set_scroll_top(el.scroll_height());
            }
            #[cfg(feature = "hydrate")]
            if let Some(seq) = linked_seq().filter(|_| started.is_none() && !linked) {
                reach_linked(state, seq, busy, at_bottom);
            }
            record(batch);
        });
    });
    // A link to a message within the page (a reply's quote): shown, fetched first if it is
    // older than what the page holds.
    #[cfg(feature = "hydrate")]
    {
        let listener = window_event_listener(leptos::ev::hashchange, move |_| {
            if show_linked() {
                at_bottom.set(false);
            } else if let Some(seq) = linked_seq().filter(|_| !busy.get_untracked()) {
                reach_linked(state, seq, busy, at_bottom);
            }
        });
        on_cleanup(move || listener.remove());
    }
    let on_scroll = move |_| {
        let Some(el) = log_ref.get_untracked() else {
            return;
        };
        let (top, client) = (el.scroll_top(), el.client_height());
        let gap = el.scroll_height() - top - client;
        let attached = state.view.with_value(LogView::is_attached);
        let bottom = attached && gap < AT_BOTTOM_PX;
        if at_bottom.get_untracked() != bottom {
            at_bottom.set(bottom);
        }
        if busy.get_untracked() {
            return;
        }
        if top < client {
            show_older(state, el, busy);
        } else if gap < client && !attached {
            let anchor = el.last_element_child();
            keep_in_place(el, anchor, busy, move || state.show_newer());
        }
    };

    let pending_group = {
        let pending = pending.clone();
        move || {
            let head = pending.with(|p| p.first().map(|e| e.msg.clone()))?;
            let local = hydrated.get();
            Some(view! { <Group head local entries=pending.clone() pending=true /> })
        }
    };
    // New messages came while the reader was up in the log: **Jump to latest** shows.
    let unseen = RwSignal::new(false);
    Effect::new(move |_| {
        let batch = state.applied.get();
        if at_bottom.get() {
            unseen.set(false);
        } else if batch.news {
            unseen.set(true);
        }
    });
    let empty = {
        let (rows, pending) = (rows.clone(), pending.clone());
        move || rows.with(Vec::is_empty) && pending.with(Vec::is_empty)
    };
    view! {
        // Not live itself: it is laid out again at hydration and older pages come into it.
        // Screen readers hear each new message from others once, from `heard`.
        <div class="log" role="log" aria-label="Messages" aria-live="off" node_ref=log_ref
            aria-busy=move || if busy.get() { "true" } else { "false" } on:scroll=on_scroll>
            {move || empty().then(|| view! { <p class="empty">"No messages yet. Say hello!"</p> })}
            <For
                each=move || rows.get()
                key=Row::key
                children=move |row| match row {
                    Row::Day { ts, local, .. } => {
                        view! {
                            <div class="day" role="separator">
                                <span>{ts.day_label(reader_offset(local, ts))}</span>
                            </div>
                        }
                            .into_any()
                    }
                    Row::Group { head, local, entries, .. } => {
                        view! { <Group head local entries pending=false /> }.into_any()
                    }
                }
            />
            {pending_group}
        </div>
        <p class="sr-only heard" aria-live="polite">{move || state.heard.get()}</p>
        <button class="jump" hidden=move || !unseen.get() on:click=move |_| state.show_latest()>
            "Jump to latest"
        </button>
    }
    .into_any()
}

/// Scrolls the message the address names (`#m-<seq>`) into view, if it is in the log.
fn show_linked() -> bool {
    let hash = window().location().hash().unwrap_or_default();
    let linked = hash
        .strip_prefix('#')
        .filter(|id| id.starts_with("m-"))
        .and_then(|id| document().get_element_by_id(id));
    linked.map(|el| el.scroll_into_view()).is_some()
}

/// The message the address names (`#m-<seq>`), if any.
#[cfg(feature = "hydrate")]
fn linked_seq() -> Option<u64> {
    let hash = window().location().hash().ok()?;
    hash.strip_prefix("#m-")?
        .parse()
        .ok()
        .filter(|&seq| seq > 0)
}

/// Shows message `seq`, older than what the page has: fetches older pages until it is held
/// (at most 20 pages), brings rows into the page until it is there, and scrolls to it.
#[cfg(feature = "hydrate")]
fn reach_linked(state: RoomState, seq: u64, busy: RwSignal<bool>, at_bottom: RwSignal<bool>) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        let room = state.room.get_value();
        for _ in 0..20 {
            let Some(before) = state.older_before().filter(|&before| before > seq) else {
                break;
            };
            match crate::client::history::older(&room, before).await {
                Ok(msgs) => state.add_older(msgs),
                Err(e) => {
                    state.alert.set(Some(e));
                    break;
                }
            }
        }
        let id = format!("m-{seq}");
        for _ in 0..40 {
            if document().get_element_by_id(&id).is_some() || state.show_older() == 0 {
                break;
            }
            leptos::task::tick().await;
        }
        // The rows are rendered once the effects of the last change have run.
        leptos::task::tick().await;
        leptos::task::tick().await;
        if show_linked() {
            at_bottom.set(false);
        }
        busy.set(false);
    });
}

/// Brings back older rows above the window: from memory, or else a page from the server.
fn show_older(state: RoomState, el: web_sys::HtmlDivElement, busy: RwSignal<bool>) {
    let anchor = el.query_selector("article").ok().flatten();
    if keep_in_place(el.clone(), anchor.clone(), busy, move || state.show_older()) {
        return;
    }
    #[cfg(feature = "hydrate")]
    if let Some(before) = state.older_before() {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let room = state.room.get_value();
            let page = crate::client::history::older(&room, before).await;
            busy.set(false);
            match page {
                Ok(msgs) => {
                    state.add_older(msgs);
                    keep_in_place(el, anchor, busy, move || state.show_older());
                }
                Err(e) => state.alert.set(Some(e)),
            }
        });
    }
}

/// Runs `change` (which adds or removes rows and returns how many messages it brought
/// back) and then scrolls so that `anchor`, a row that stays, does not move on the screen.
/// Returns whether anything changed.
fn keep_in_place(
    el: web_sys::HtmlDivElement,
    anchor: Option<web_sys::Element>,
    busy: RwSignal<bool>,
    change: impl FnOnce() -> usize,
) -> bool {
    let Some(anchor) = anchor else {
        return change() > 0;
    };
    let before = anchor.get_bounding_client_rect().top();
    if change() == 0 {
        return false;
    }
    busy.set(true);
    leptos::task::spawn_local(async move {
        // The rows are rendered once the effects of this change have run.
        leptos::task::tick().await;
        leptos::task::tick().await;
        if anchor.is_connected() {
            let moved = anchor.get_bounding_client_rect().top() - before;
            el.set_scroll_top(el.scroll_top() + moved.round() as i32);
        }
        busy.set(false);
    });
    true
}

/// With `window.__cloud_msg_perf` set to an array (by a benchmark), appends
/// `[frames, ms]` for every batch: frames applied, and main-thread time from the start of
/// applying them to the end of rendering them.
fn record(batch: Batch) {
    #[cfg(feature = "hydrate")]
    if batch.frames > 0 {
        use wasm_bindgen::JsCast;
        let Ok(perf) = js_sys::Reflect::get(&window(), &"__cloud_msg_perf".into()) else {
            return;
        };
        if let (Some(list), Some(now)) = (
            perf.dyn_ref::<js_sys::Array>(),
            window().performance().map(|p| p.now()),
        ) {
            list.push(&js_sys::Array::of2(
                &(batch.frames as f64).into(),
                &(now - batch.started_ms).into(),
            ));
        }
    }
    let _ = batch;
}

/// Messages by one author, under one name and avatar.
#[component]
fn Group(
    head: Arc<Entry>,
    local: bool,
    entries: ArcRwSignal<Vec<Shown>>,
    pending: bool,
) -> impl IntoView {
    let label = format!("Messages from {}", head.author);
    let first = head.client_id;
    // Someone else's name opens a direct conversation with them (signed in). Only after
    // hydration, as everything that is the reader's own in the log: the server renders
    // the log once for all its readers.
    let author = head.author.clone();
    let others = expect_context::<RoomState>()
        .me
        .with_untracked(|me| me.as_ref().is_some_and(|me| me.id != head.author_id));
    let hydrated = expect_context::<Hydrated>().0;
    let name = move || {
        let author = author.clone();
        if others && hydrated.get() {
            view! {
                <a class="dm" href=format!("/dm/{}", segment(&author)) rel="external"
                    aria-label=format!("Message {author}")>
                    <bdi class="author">{author.clone()}</bdi>
                </a>
            }
            .into_any()
        } else {
            view! { <bdi class="author">{author}</bdi> }.into_any()
        }
    };
    view! {
        <article class="group" aria-label=label>
            <Avatar name=head.author.clone() author_id=head.author_id />
            <div class="group-body">
                <header>
                    {name}
                    {head.bot.then(|| view! { <span class="tag">"bot"</span> })}
                    <TimeOf ts=head.ts local />
                </header>
                <For
                    each=move || entries.get()
                    key=|e| (e.msg.client_id, e.msg.seq, e.msg.deleted, e.msg.edited,
                        changes_key(&e.msg))
                    children=move |entry| {
                        let first = entry.msg.client_id == first;
                        view! { <Message entry local first pending /> }
                    }
                />
            </div>
        </article>
    }
    .into_any()
}
