//! The HTML document around a page: the room whose data the page's handler prepared, or
//! a page saying what is wrong with the address. The app inside it (`crate::app::App`) is
//! the browser's too; this document is the server's alone.

use axum::http::request::Parts;
use leptos::prelude::*;

use super::{script_json, Prepared};
use crate::{
    app::{page_title, App, PAGE_DATA},
    components::not_found::{BadRoomName, NotFound},
    server::{http::theme::Theme, infra::headers::CspNonce},
};

/// The HTML document around the app (server only): the room whose data the page's handler
/// prepared (see `server::pages`), else a page saying what is wrong with the address.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let parts = use_context::<Parts>();
    // The response's script nonce (see `server::headers`), for the hydration scripts.
    if let Some(nonce) = parts
        .as_ref()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(nonce.0));
    }
    // The picked colour theme (see `server::theme`), or the mark a kept page is rendered
    // with in its place.
    let theme = parts
        .as_ref()
        .map(|parts| match parts.extensions.get::<ThemeMark>() {
            Some(mark) => mark.0.clone(),
            None => Theme::of(&parts.headers).as_str().to_owned(),
        });
    let path = parts
        .as_ref()
        .map(|p| p.uri.path().to_owned())
        .unwrap_or_default();
    let data = use_context::<Prepared>().map(|p| (*p.0).clone());
    // The page's title, from its address.
    let title = page_title(&path);
    // The page's data as JSON in a script the browser does not run (nor hydrates: it comes
    // after the app). `viewer` is its last field: the server puts each reader's in
    // (`server::pages`).
    let script = data.as_ref().map(|data| {
        let json = script_json(data);
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

/// What the shell writes for the theme when a page is rendered to be kept: a mark to cut
/// out, where each response puts its reader's `data-theme`.
#[derive(Clone)]
pub struct ThemeMark(pub String);
