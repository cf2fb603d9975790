//! The room page (`/r/<room>`) and the pages for a bad room name and an unknown path.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{app::page_title, components::chat_room::ChatRoom, page::load_room};

#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    // The head (with the title) may be rendered after the route's reactive scope is gone,
    // when several pages render at once: read the param without panicking and fall back
    // to the name the page was created with.
    let first = params.read_untracked().get("room").unwrap_or_default();
    let room = move || {
        params
            .try_read()
            .and_then(|p| p.get("room"))
            .unwrap_or_else(|| first.clone())
    };
    let valid = {
        let room = room.clone();
        Memo::new(move |_| crate::validation::RoomName::parse(&room()).is_ok())
    };
    let page = Resource::new(room.clone(), load_room);

    // The server wrote the title; in the browser it follows the room.
    Effect::new({
        let room = room.clone();
        move |_| document().set_title(&page_title(&format!("/r/{}", room())))
    });

    view! {
        // A closure costs the client less than a `<Show>`; `valid` is a memo, so the page is
        // made again only when the name turns valid or not.
        {move || {
            if !valid.get() {
                return view! { <BadRoomName /> }.into_any();
            }
            view! {
                <Suspense fallback=|| view! { <p class="notice">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match page.await {
                            Ok(data) => view! { <ChatRoom data /> }.into_any(),
                            Err(e) => {
                                view! {
                                    <main class="notice">
                                        <p role="alert">{format!("This room could not be loaded: {e}")}</p>
                                    </main>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            }
            .into_any()
        }}
    }
}

#[component]
fn BadRoomName() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
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
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="notice">
            <h1>"Not found"</h1>
            <p>
                "There is nothing here. Try the " <a href="/r/general">"general room"</a> "."
            </p>
        </main>
    }
}
