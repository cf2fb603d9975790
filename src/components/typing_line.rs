//! "alice is typing…" under the log (empty when nobody is); read out politely.

use leptos::prelude::*;

use crate::state::{room::RoomState, typing::line};

#[component]
pub fn TypingLine() -> impl IntoView {
    let typers = expect_context::<RoomState>().typing.typers;
    let text = move || {
        typers.with(|t| {
            let names: Vec<&str> = t.iter().map(|(_, name, _)| name.as_str()).collect();
            line(&names)
        })
    };
    view! { <p class="typing" aria-live="polite">{text}</p> }
}
