//! The pages for a bad room name and an unknown path (server-rendered, never hydrated).

use leptos::prelude::*;

#[component]
pub fn BadRoomName() -> impl IntoView {
    answer_not_found();
    view! {
        <main class="notice">
            <h1>"No such room"</h1>
            <p role="alert">{crate::validation::ValidationError::BadRoom.to_string()}</p>
            <p><a href="/r/general">"Go to #general"</a></p>
        </main>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    answer_not_found();
    view! {
        <main class="notice">
            <h1>"Not found"</h1>
            <p>
                "There is nothing here. Try the " <a href="/r/general">"general room"</a> "."
            </p>
        </main>
    }
}

/// The response's status: 404.
fn answer_not_found() {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}
