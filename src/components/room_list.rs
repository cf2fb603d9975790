//! The rooms I am in, with unread counts for those I am not looking at, and a way to
//! open any other room.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::{page::RoomSummary, state::room::RoomState, validation::RoomName};

#[component]
pub fn RoomList() -> impl IntoView {
    let state = expect_context::<RoomState>();
    // Rooms, then direct conversations (by the other person's name).
    let listed = move |direct: bool| {
        move || {
            let mut rooms = state.rooms.get();
            rooms.retain(|r| r.with.is_some() == direct);
            rooms
        }
    };
    let entry = move |r: RoomSummary| {
        let here = state.room.with_value(|c| *c == r.name);
        let unread = (r.unread > 0 && !here).then_some(r.unread);
        let (mark, label) = match r.with {
            Some(with) => ("@", with),
            None => ("#", r.name.clone()),
        };
        view! {
            <li>
                <a
                    href=format!("/r/{}", r.name)
                    aria-label=unread.map(|n| format!("{label}, {n} unread"))
                    aria-current=here.then_some("page")
                    class:unread=unread.is_some()
                    class:private=r.private
                >
                    <span aria-hidden="true">{mark}</span>
                    {label.clone()}
                    {unread
                        .map(|n| {
                            view! {
                                <span class="count">
                                    {n}
                                </span>
                            }
                        })}
                </a>
            </li>
        }
    };
    view! {
        <nav class="rooms" aria-label="Rooms">
            <h2>"Rooms"</h2>
            <ul>
                <For each=listed(false) key=|r| (r.name.clone(), r.unread) children=entry />
            </ul>
            <h2>"Direct messages"</h2>
            <ul aria-label="Direct messages">
                <For each=listed(true) key=|r| (r.name.clone(), r.unread) children=entry />
            </ul>
            <OpenRoom />
        </nav>
    }
}

/// A small form: type a room name, go there.
#[component]
fn OpenRoom() -> impl IntoView {
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
