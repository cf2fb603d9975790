//! **Notify me of mentions**: asks the browser for permission to show notifications, only
//! when clicked (never on load). Once answered, it says what the browser allows. Shown to
//! signed-in people once hydrated (the server renders the page for all its readers).

use leptos::prelude::*;

use crate::state::{room::RoomState, Hydrated};

#[component]
pub fn NotifyButton() -> impl IntoView {
    let state = expect_context::<RoomState>();
    let hydrated = expect_context::<Hydrated>().0;
    // `client::notify::permission`: "default", "granted", "denied", or "" (none).
    let permission = RwSignal::new("");
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if hydrated.get() {
            permission.set(crate::client::notify::permission());
        }
    });
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            permission.set(crate::client::notify::ask().await);
        });
    };
    move || {
        if !hydrated.get() || state.me.with(Option::is_none) {
            return None;
        }
        Some(match permission.get() {
            "default" => view! {
                <button class="notify" on:click=ask>"Notify me of mentions"</button>
            }
            .into_any(),
            "granted" => view! { <p class="notify">"Mentions notify you while this tab is hidden."</p> }.into_any(),
            "denied" => view! { <p class="notify">"Notifications are blocked in this browser's settings."</p> }.into_any(),
            _ => return None,
        })
    }
}
