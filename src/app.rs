//! The HTML document around the app, and the app: a room's page. Moving to another room is
//! a page load (the server renders every room), so the browser carries no router: it
//! hydrates the room the page holds, from the data the server wrote into it.

use leptos::prelude::*;

use crate::{components::chat_room::ChatRoom, page::RoomPageData, state::Hydrated};

/// The id of the script element holding a room page's data (JSON) for hydration.
pub const PAGE_DATA: &str = "page-data";

/// The HTML document around the app (server only): the room whose data the page's handler
/// prepared (see `server::pages`), else a page saying what is wrong with the address.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use crate::components::not_found::{BadRoomName, NotFound};
    use axum::http::request::Parts;
    let parts = use_context::<Parts>();
    // The response's script nonce (see `server::headers`), for the hydration scripts.
    if let Some(nonce) = parts.as_ref().and_then(|parts| {
        parts
            .extensions
            .get::<crate::server::headers::CspNonce>()
            .cloned()
    }) {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    // The picked colour theme (see `server::theme`), or the mark a kept page is rendered
    // with in its place.
    let theme = parts.as_ref().map(|parts| {
        match parts.extensions.get::<crate::server::pages::ThemeMark>() {
            Some(mark) => mark.0.clone(),
            None => crate::server::theme::Theme::of(&parts.headers)
                .as_str()
                .to_owned(),
        }
    });
    let path = parts
        .as_ref()
        .map(|p| p.uri.path().to_owned())
        .unwrap_or_default();
    let data = use_context::<crate::server::pages::Prepared>().map(|p| (*p.0).clone());
    // The page's title, from its address.
    let title = page_title(&path);
    // The page's data as JSON in a script the browser does not run (nor hydrates: it comes
    // after the app). `viewer` is its last field: the server puts each reader's in
    // (`server::pages`).
    let script = data.as_ref().map(|data| {
        let json = crate::server::pages::script_json(data);
        view! { <script type="application/json" id=PAGE_DATA inner_html=json></script> }
    });
    let body = match data {
        Some(data) => view! { <App data /> }.into_any(),
        None if path.starts_with("/r/") => view! { <BadRoomName /> }.into_any(),
        None => view! { <NotFound /> }.into_any(),
    };
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
            // The data after the room's HTML: the JSON's texts compress against the log's
            // (a reader's part, filled in between, would break that: `server::pages`).
            <body>{body}{script}</body>
        </html>
    }
}

/// A room's page; the browser hydrates it with the data the server wrote into the page.
#[component]
pub fn App(data: RoomPageData) -> impl IntoView {
    // Flips once the browser has hydrated: from then on times are shown in local time.
    let hydrated = Hydrated(RwSignal::new(false));
    provide_context(hydrated);
    Effect::new(move |_| {
        hydrated.0.set(true);
        // Lets browser tests wait for hydration.
        #[cfg(feature = "hydrate")]
        let _ = js_sys::Reflect::set(&window(), &"__cloud_msg_hydrated".into(), &true.into());
    });
    view! { <ChatRoom data /> }
}

/// The title of the page at `path`: `#room · cloud_msg` for a room, else what the page says.
/// Only a valid room name goes into it. The shell writes it (escaped).
pub fn page_title(path: &str) -> String {
    match path.strip_prefix("/r/") {
        Some(room) => match crate::validation::RoomName::parse(room) {
            Ok(room) => format!("#{room} · cloud_msg"),
            Err(_) => "No such room · cloud_msg".to_owned(),
        },
        None => "Not found · cloud_msg".to_owned(),
    }
}
