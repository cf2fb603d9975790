//! The room's members beside the log: an h2 and an empty list until the socket has
//! joined; `client::members` writes the rows in when a `presence` comes.

use leptos::prelude::*;

use crate::state::room::RoomState;

#[component]
pub fn MemberList() -> impl IntoView {
    let state = expect_context::<RoomState>();
    // Visitors have no socket, and so no list.
    let empty = match state.me.with_untracked(Option::is_some) {
        true => "Loading members…",
        false => "Join to see who is here.",
    };
    view! {
        <aside class="member-list" aria-labelledby="members-heading">
            <h2 id="members-heading">"Members " <span class="count" id="members-online"></span></h2>
            <ul role="list" aria-label="Members" id="member-rows">
                <li>{empty}</li>
            </ul>
        </aside>
    }
}
