//! The room's members beside the log: an h2 and an empty list until the socket has
//! joined; `client::members` writes the rows in when a `presence` comes. While the socket
//! is away, the list says "Presence paused" and its dots turn grey: who is online is not
//! known then.

use leptos::prelude::*;

use crate::state::{conn::ConnStatus, room::RoomState};

#[component]
pub fn MemberList() -> impl IntoView {
    let state = expect_context::<RoomState>();
    // Visitors have no socket, and so no list.
    let empty = match state.me.with_untracked(Option::is_some) {
        true => "Loading members…",
        false => "Join to see who is here.",
    };
    let paused = move || matches!(state.status.get(), ConnStatus::Reconnecting { .. });
    view! {
        <aside class="member-list" class:paused=paused aria-labelledby="members-heading">
            <h2 id="members-heading">"Members " <span class="count" id="members-online"></span></h2>
            <p class="paused-note" hidden=move || !paused()>"Presence paused"</p>
            <ul role="list" aria-label="Members" id="member-rows">
                <li>{empty}</li>
            </ul>
        </aside>
    }
}
