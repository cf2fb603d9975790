//! A small form: type a room name, go there.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::validation::RoomName;

#[component]
pub fn OpenRoom() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match RoomName::parse(name.get_untracked().trim()) {
            Ok(room) => {
                error.set(None);
                name.set(String::new());
                navigate(&format!("/r/{room}"), Default::default());
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    view! {
        <form class="open-room" on:submit=on_submit>
            <label for="open-room">"Open a room"</label>
            <div>
                <input
                    id="open-room"
                    placeholder="room-name"
                    autocomplete="off"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button type="submit">"Go"</button>
            </div>
            <p class="form-error" role="alert">
                {move || error.get()}
            </p>
        </form>
    }
}
