//! The room page (`/r/<room>`) and the pages for a bad room name and an unknown path.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::{components::chat_room::ChatRoom, page::load_room};

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
        move || crate::validation::RoomName::parse(&room()).is_ok()
    };
    let page = Resource::new(room.clone(), load_room);

    // Only a valid room name goes into the title: `leptos_meta` writes the title's text
    // into the page without escaping it.
    let title = {
        let valid = valid.clone();
        let room = room.clone();
        move || {
            if valid() {
                format!("#{} · cloud_msg", room())
            } else {
                "No such room · cloud_msg".to_owned()
            }
        }
    };

    view! {
        <Title text=title />
        <Show when=valid fallback=BadRoomName>
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
        </Show>
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
        <Title text="Not found · cloud_msg" />
        <main class="notice">
            <h1>"Not found"</h1>
            <p>
                "There is nothing here. Try the " <a href="/r/general">"general room"</a> "."
            </p>
        </main>
    }
}
