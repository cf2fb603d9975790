//! A small form: type a room name, go there.

use leptos::prelude::*;

use crate::validation::RoomName;

#[component]
pub fn OpenRoom() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match RoomName::parse(name.get_untracked().trim()) {
            Ok(room) => {
                error.set(None);
                // A page load: the server renders every room.
                let _ = window().location().set_href(&format!("/r/{room}"));
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
