//! The App shell and its routes; the pages themselves live in `components`.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    components::room_page::{NotFound, RoomPage},
    state::Hydrated,
};

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
    // The picked colour theme (see `server::theme`), or the mark a kept page is rendered
    // with in its place.
    #[cfg(feature = "ssr")]
    let theme = use_context::<axum::http::request::Parts>().map(|parts| {
        match parts.extensions.get::<crate::server::pages::ThemeMark>() {
            Some(mark) => mark.0.clone(),
            None => crate::server::theme::Theme::of(&parts.headers)
                .as_str()
                .to_owned(),
        }
    });
    #[cfg(not(feature = "ssr"))]
    let theme: Option<String> = None;
    // The page's title, from its address (the browser changes it as the room changes).
    #[cfg(feature = "ssr")]
    let title = use_context::<axum::http::request::Parts>()
        .map(|parts| page_title(parts.uri.path()))
        .unwrap_or_else(|| page_title(""));
    #[cfg(not(feature = "ssr"))]
    let title = String::new();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="stylesheet" id="leptos" href="/pkg/cloud_msg.css" />
                // Text, escaped; `inner_html` leaves out the marker a text child gets.
                <title inner_html=crate::escape::text_html(&title)></title>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
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
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/r/:room") view=RoomPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// The title of the page at `path`: `#room · cloud_msg` for a room, else what the page says.
/// Only a valid room name goes into it. The shell writes it (escaped); the browser sets it
/// again when it moves to another room.
pub fn page_title(path: &str) -> String {
    match path.strip_prefix("/r/") {
        Some(room) => match crate::validation::RoomName::parse(room) {
            Ok(room) => format!("#{room} · cloud_msg"),
            Err(_) => "No such room · cloud_msg".to_owned(),
        },
        None => "Not found · cloud_msg".to_owned(),
    }
}
