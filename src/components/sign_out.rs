//! The **Sign out** button: a plain form, so it works before (and without) the WASM and
//! costs the client nothing. The server ends the session, closes its sockets and sends the
//! browser back to the room as a visitor.

use leptos::prelude::*;

#[component]
pub fn SignOut(room: String) -> impl IntoView {
    view! {
        <form class="sign-out" method="post" action="/signout">
            <input type="hidden" name="room" value=room />
            <button type="submit">"Sign out"</button>
        </form>
    }
}
