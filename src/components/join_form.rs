//! The form that turns a visitor into a participant: **Display name** and **Join chat**.
//! Without JavaScript it posts to `/join`; with it, to `POST /api/session`.

use leptos::prelude::*;

use crate::{state::room::RoomState, validation::DisplayName};

#[component]
pub fn JoinForm() -> impl IntoView {
    let state = expect_context::<RoomState>();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = match DisplayName::parse(&name.get_untracked()) {
            Ok(name) => name,
            Err(e) => return error.set(Some(e.to_string())),
        };
        error.set(None);
        busy.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::client::api::create_session(name.as_str()).await {
                Ok(me) => state.signed_in(me),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (name, state);
    };

    view! {
        <form class="join" method="post" action="/join" on:submit=on_submit>
            <input type="hidden" name="room" value=move || state.room.get_value() />
            <label for="display-name">"Display name"</label>
            <input
                id="display-name"
                name="name"
                autocomplete="nickname"
                placeholder="What should people call you?"
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby="join-error"
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <button type="submit" disabled=move || busy.get()>
                "Join chat"
            </button>
            <a href=format!("/signin?room={}", state.room.get_value()) rel="external">
                "Sign in with a password"
            </a>
            <p id="join-error" class="form-error" role="alert">
                {move || error.get()}
            </p>
        </form>
    }
}
