//! The connection badge (`role="status"`): Connected, Reconnecting…, and so on.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// Not signed in: the room is shown read-only.
    ReadOnly,
    Connecting,
    Connected,
    Reconnecting,
}

impl ConnStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::ReadOnly => "Read-only",
            Self::Connecting => "Connecting…",
            Self::Connected => "Connected",
            Self::Reconnecting => "Reconnecting…",
        }
    }

    fn class(self) -> &'static str {
        match self {
            Self::ReadOnly => "badge readonly",
            Self::Connecting | Self::Reconnecting => "badge waiting",
            Self::Connected => "badge online",
        }
    }
}

#[component]
pub fn ConnectionBadge(status: RwSignal<ConnStatus>) -> impl IntoView {
    view! {
        <p class=move || status.get().class() role="status">
            <span class="dot" aria-hidden="true"></span>
            {move || status.get().label()}
        </p>
    }
}
