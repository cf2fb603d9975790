//! The connection badge (`role="status"`): Connected, Reconnecting…, and so on.

use leptos::prelude::*;

use crate::state::conn::ConnStatus;

#[component]
pub fn ConnectionBadge(status: RwSignal<ConnStatus>) -> impl IntoView {
    view! {
        <p class=move || status.get().class() role="status">
            <span class="dot" aria-hidden="true"></span>
            {move || status.get().label()}
        </p>
    }
}
