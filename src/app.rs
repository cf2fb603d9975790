//! The App shell and its routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_params_map,
    path, SsrMode,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    components::{chat_room::ChatRoom, room_list::RoomSummary},
    protocol::{ChatMessage, Receipt},
};

/// Messages rendered into the first HTML response of a room.
pub const HISTORY_ON_PAGE: u32 = 50;

/// The HTML document around the app (server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The response's script nonce (see `server::headers`), for the hydration scripts.
    #[cfg(feature = "ssr")]
    if let Some(nonce) = use_context::<axum::http::request::Parts>().and_then(|parts| {
        parts
            .extensions
            .get::<crate::server::headers::CspNonce>()
            .cloned()
    }) {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Flips once the browser has hydrated: from then on times are shown in local time.
    let hydrated = Hydrated(RwSignal::new(false));
    provide_context(hydrated);
    Effect::new(move |_| {
        hydrated.0.set(true);
        // Lets browser tests wait for hydration.
        #[cfg(feature = "hydrate")]
        let _ = js_sys::Reflect::set(&window(), &"__cloud_msg_hydrated".into(), &true.into());
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/cloud_msg.css" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/r/:room") view=RoomPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// True in the browser after hydration.
#[derive(Clone, Copy)]
pub struct Hydrated(pub RwSignal<bool>);

#[component]
fn NotFound() -> impl IntoView {
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

/// The signed-in person, as the page knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: Uuid,
    pub name: String,
}

/// What the server renders into a room's first response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomPageData {
    pub room: String,
    pub me: Option<Me>,
    pub history: Vec<ChatMessage>,
    /// Members' delivery and read markers, for the status of my messages.
    pub receipts: Vec<Receipt>,
    /// The rooms I am in (this one included), with unread counts.
    pub rooms: Vec<RoomSummary>,
}

/// Loads a room page: who is asking (from the session cookie) and the recent history.
#[server]
pub async fn load_room(room: String) -> Result<RoomPageData, ServerFnError> {
    use crate::{server::AppState, validation::RoomName};
    let state =
        use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state is missing"))?;
    let name = RoomName::parse(&room).map_err(|e| ServerFnError::new(e.to_string()))?;
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let store = state.hub.store();
    let internal = |e: crate::server::Error| {
        tracing::error!(error = %e, "room page failed");
        ServerFnError::new("the room could not be loaded")
    };
    let user = crate::server::session::authenticate(store, &headers)
        .await
        .map_err(internal)?;
    let me = user.as_ref().map(|u| Me {
        id: u.id,
        name: u.name.to_string(),
    });
    // History and markers come from the room's memory (starting the room if it exists;
    // a room that does not exist is shown empty and is not created by looking at it).
    let (history, receipts) = match state.hub.open(&name).await.map_err(internal)? {
        Some(room) => {
            let crate::server::hub::PageData { history, receipts } = room
                .page_data(HISTORY_ON_PAGE as usize)
                .await
                .ok_or_else(|| ServerFnError::new("the room is closing; try again"))?;
            (history, receipts)
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut rooms: Vec<RoomSummary> = match &user {
        Some(user) => store
            .rooms_of(user, crate::components::room_list::MAX_ROOMS_LISTED)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|(name, unread)| RoomSummary {
                name: name.to_string(),
                unread,
            })
            .collect(),
        None => Vec::new(),
    };
    if !rooms.iter().any(|r| r.name == name.as_str()) {
        rooms.push(RoomSummary {
            name: name.to_string(),
            unread: 0,
        });
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(RoomPageData {
        room: name.to_string(),
        me,
        history,
        receipts,
        rooms,
    })
}

#[component]
fn RoomPage() -> impl IntoView {
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
