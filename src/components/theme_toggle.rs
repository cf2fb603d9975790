//! The **Dark theme** toggle: a plain form (`POST /theme`, see `server::theme`) that keeps
//! the choice in a cookie and reloads the room, so it works without the WASM and costs it
//! nothing but its markup. Pressed: dark; unpressed: light.

use leptos::prelude::*;

#[component]
pub fn ThemeToggle(room: String, dark: bool) -> impl IntoView {
    view! {
        <form class="theme" method="post" action="/theme">
            <input type="hidden" name="theme" value=if dark { "light" } else { "dark" } />
            <input type="hidden" name="room" value=room />
            <button type="submit" aria-pressed=if dark { "true" } else { "false" }>
                "Dark theme"
            </button>
        </form>
    }
}
