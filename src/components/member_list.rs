//! The room's members beside the log: an h2 and an empty list until the socket has
//! joined; `client::members` writes the rows in when a `presence` comes. While the socket
//! is away, the list says "Presence paused" and its dots turn grey: who is online is not
//! known then. Between 701 and 1099 px wide it is a drawer (`open`), closed by Esc or
//! **Close members**, which give the focus back to **Members**.

use leptos::prelude::*;

use crate::state::{conn::ConnStatus, room::RoomState};

#[component]
pub fn MemberList(open: RwSignal<bool>) -> impl IntoView {
    let state = expect_context::<RoomState>();
    // Visitors have no socket, and so no list.
    let empty = match state.me.with_untracked(Option::is_some) {
        true => "Loading members…",
        false => "Join to see who is here.",
    };
    let paused = move || matches!(state.status.get(), ConnStatus::Reconnecting { .. });
    // Opened as a drawer: the focus goes into it (so Esc closes it).
    let aside = NodeRef::<leptos::html::Aside>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(el) = aside.get_untracked() {
                let _ = el.focus();
            }
        }
    });
    let close = move || {
        open.set(false);
        if let Some(b) = document().get_element_by_id("members-toggle") {
            use leptos::wasm_bindgen::JsCast;
            let _ = b.unchecked_into::<leptos::web_sys::HtmlElement>().focus();
        }
    };
    let close_on_esc = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            close();
        }
    };
    view! {
        <aside class="member-list" id="member-list" class:paused=paused
            aria-labelledby="members-heading" tabindex="-1" node_ref=aside on:keydown=close_on_esc>
            <button type="button" class="members-close" aria-label="Close members"
                on:click=move |_| close()>"×"</button>
            <h2 id="members-heading">"Members " <span class="count" id="members-online"></span></h2>
            <p class="paused-note" hidden=move || !paused()>"Presence paused"</p>
            <ul role="list" aria-label="Members" id="member-rows">
                <li>{empty}</li>
            </ul>
        </aside>
    }
}
