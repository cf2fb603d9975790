//! The App shell and its routes; the pages themselves live in `components`.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet};
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
