//! The sidebar's part that is the reader's own: their rooms with unread counts, and who
//! they are signed in as. Nothing else on a room's page differs between its readers before
//! hydration, so the server renders the page once per room version and this part for each
//! request (`server::pages`); it is an element of its own, so that it renders the same
//! alone as in the page.

use leptos::prelude::*;

use crate::{
    components::{room_list::RoomList, sign_out::SignOut, theme_toggle::ThemeToggle},
    page::{Me, RoomSummary},
};

/// For `me` (nobody: a visitor), in `room`; `dark`: they picked the dark theme.
#[component]
pub fn Personal(
    rooms: RwSignal<Vec<RoomSummary>>,
    me: RwSignal<Option<Me>>,
    room: String,
    dark: bool,
) -> impl IntoView {
    let sign_out_room = room.clone();
    view! {
        <div class="personal">
            <RoomList rooms here=room />
            {move || {
                me.get()
                    .map(|me| {
                        view! {
                            <div class="me">
                                <a href="/rooms/new" rel="external">"New room"</a>
                                <p>"Signed in as " <strong>{me.name}</strong></p>
                                <ThemeToggle room=sign_out_room.clone() dark />
                                <SignOut room=sign_out_room.clone() />
                            </div>
                        }
                    })
            }}
        </div>
    }
}
