//! `GET /r/<room>`: the room page, rendered by Leptos.
//!
//! Everyone who may read a room sees the same page until the room changes, but for their
//! own part ([`Personal`](crate::components::personal::Personal): their room list and
//! name; and the page data's `viewer`); the rest of what is theirs (statuses, Delete
//! buttons, "Message" links) comes with hydration. So a room's page is rendered once per
//! version of the room (every stored message and every receipt makes a new version) for
//! visitors, and once for signed-in readers with a placeholder reader; it is gzipped once
//! and served from memory ([`template`]). Each response gets a script nonce of its own and,
//! for a signed-in reader, their own part, rendered alone ([`personal`]). A visitor's page
//! has an ETag, and a browser that has it gets `304 Not Modified`; a reader's page is
//! `private, no-store`.
//!
//! Direct conversations (titled by the other person) and rooms one may not read are
//! rendered for each request. A page view never creates anything: a room that does not
//! exist is shown empty and neither stored nor started.

mod cache;
mod personal;
mod reader;
pub mod shell;
mod template;

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

pub use personal::script_json;
pub use reader::{page_data, reader, PageReader, Prepared};

use crate::{
    page::RoomPageData,
    server::{
        http::theme::{self, Theme},
        infra::{headers::CspNonce, session},
        AppState,
    },
    validation::RoomName,
};
pub use cache::PageCache;
use cache::{Audience, Cached};
use shell::{shell, ThemeMark};
use template::Template;

/// Largest page kept (anything bigger is served, not cached).
const MAX_CACHED_BYTES: usize = 1024 * 1024;

/// The marks a kept page is split at, by index: the holes a response fills.
const NONCE: usize = 0;
const SIDEBAR: usize = 1;
const VIEWER: usize = 2;
const THEME: usize = 3;

pub async fn room_page(
    State(state): State<AppState>,
    Path(room): Path<String>,
    req: Request,
) -> Response {
    let Ok(room) = RoomName::parse(&room) else {
        // The page that says so.
        return render(&state, req, None).await;
    };
    let user = match session::authenticate(&state.store, req.headers()).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let mut reader = match reader(&state, user.as_ref(), &room).await {
        Ok(reader) => reader,
        Err(e) => return e.into_response(),
    };
    reader.viewer.dark = theme::current() == Theme::Dark;
    let signed_in = user.is_some();
    let mut res = match &reader.readable {
        Some(facts) if reader.viewer.with.is_none() => {
            // Read before rendering: if the room changes meanwhile, the page is simply
            // rendered again for the next reader.
            let version = state.hub.open_known(facts).version();
            kept(&state, req, &room, reader, version).await
        }
        _ => alone(&state, req, &room, reader).await,
    };
    if signed_in {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    res
}

/// The kept page of `room` at `version` for `reader`'s audience (rendered and kept if need
/// be), with their nonce and part.
async fn kept(
    state: &AppState,
    req: Request,
    room: &RoomName,
    reader: PageReader,
    version: u64,
) -> Response {
    let nonce = req
        .extensions()
        .get::<CspNonce>()
        .cloned()
        .unwrap_or_default();
    let audience = match reader.viewer.me {
        Some(_) => Audience::Readers,
        None => Audience::Visitors,
    };
    let (sidebar, viewer) = match audience {
        Audience::Readers => (
            personal::sidebar(&reader.viewer, room),
            personal::viewer_json(&reader.viewer),
        ),
        Audience::Visitors => Default::default(),
    };
    let theme = theme::current().attribute();
    let mut fills: [&[u8]; 4] = [&[]; 4];
    fills[NONCE] = nonce.0.as_bytes();
    fills[SIDEBAR] = sidebar.as_bytes();
    fills[VIEWER] = viewer.as_bytes();
    fills[THEME] = theme.as_bytes();
    if let Some(page) = state.pages.get(room, audience, version) {
        return serve(&page, audience, req.headers(), &fills);
    }
    let headers = req.headers().clone();
    // Should the page not be kept, it is rendered again for this reader alone.
    let (mut parts, _) = req.into_parts();
    let again = (
        Request::from_parts(parts.clone(), Body::empty()),
        PageReader {
            viewer: reader.viewer.clone(),
            readable: reader.readable.clone(),
        },
    );
    let theme_mark = personal::theme_placeholder();
    parts.extensions.insert(ThemeMark(theme_mark.to_owned()));
    // Rendered for a placeholder reader, whose part is then cut out.
    let mut marks = vec![String::new(); 4];
    marks[NONCE] = nonce.0.to_string();
    marks[THEME] = format!(r#"data-theme="{theme_mark}""#);
    let reader = match audience {
        Audience::Readers => {
            let placeholder = personal::placeholder();
            marks[SIDEBAR] = personal::sidebar(&placeholder, room);
            marks[VIEWER] = personal::viewer_json(&placeholder);
            PageReader {
                viewer: placeholder,
                readable: reader.readable,
            }
        }
        Audience::Visitors => reader,
    };
    let res = alone(
        state,
        Request::from_parts(parts, Body::empty()),
        room,
        reader,
    )
    .await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    let html = match axum::body::to_bytes(body, MAX_CACHED_BYTES).await {
        Ok(html) => html,
        Err(error) => {
            tracing::warn!(%error, "room page too big to keep");
            return alone(state, again.0, room, again.1).await;
        }
    };
    let marks: Vec<&[u8]> = marks.iter().map(String::as_bytes).collect();
    let template = Template::new(&html, &marks);
    let readers = audience == Audience::Readers;
    if template.holes(THEME) != 1
        || (readers && (template.holes(SIDEBAR), template.holes(VIEWER)) != (1, 1))
    {
        // Cannot happen while `Personal` is an element, `viewer` the data's last field and
        // the shell writes the theme.
        tracing::error!("the reader's part is not where it was expected; page not kept");
        return alone(state, again.0, room, again.1).await;
    }
    let page = Cached {
        version,
        etag: format!("W/\"{room}-{version}"),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8")),
        page: template,
    };
    let page = state.pages.put(room.clone(), audience, page);
    serve(&page, audience, &headers, &fills)
}

/// `room`'s page for `reader`, rendered for `req`.
async fn alone(state: &AppState, req: Request, room: &RoomName, reader: PageReader) -> Response {
    match page_data(state, room, reader).await {
        Ok(data) => render(state, req, Some(data)).await,
        Err(e) => e.into_response(),
    }
}

/// Renders the page for `req`: the room `data` when given, else the page that says the
/// room's name is not valid.
async fn render(state: &AppState, req: Request, data: Option<RoomPageData>) -> Response {
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    let data = data.map(|d| Prepared(Arc::new(d)));
    // The shell puts the response's nonce (from the request) on the scripts it writes.
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            leptos::prelude::provide_context(context_state.clone());
            if let Some(data) = &data {
                leptos::prelude::provide_context(data.clone());
            }
        },
        move || shell(options.clone()),
    );
    handler(req).await
}

fn serve(page: &Cached, audience: Audience, request: &HeaderMap, fills: &[&[u8]]) -> Response {
    // Weak: the bytes differ in their nonce, the page is the same (for one theme).
    let etag = (audience == Audience::Visitors)
        .then(|| format!("{}-{}\"", page.etag, theme::current().as_str()));
    let fresh = etag.as_ref().is_some_and(|etag| {
        request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|tags| tags.as_bytes() == etag.as_bytes())
    });
    let gzip = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut res = Response::new(Body::from(page.page.gzip(fills)));
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        Response::new(Body::from(page.page.html(fills)))
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, page.content_type.clone());
    if let Some(etag) = etag {
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&etag).expect("a room name and a theme make a valid etag"),
        );
        // Always revalidate: the room changes all the time, and a 304 costs almost nothing.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, cookie"),
    );
    res
}
