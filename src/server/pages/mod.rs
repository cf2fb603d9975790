//! `GET /r/<room>`: the room page, rendered by Leptos.
//!
//! A visitor without a session sees the same page as every other visitor until the room
//! changes, so that page is rendered once per version of the room (every stored message
//! and every receipt makes a new version), gzipped once, and served from memory with an
//! ETag; a browser that has it gets `304 Not Modified`. Each response still gets a script
//! nonce of its own ([`template`]). Signed-in pages carry the person's own room list, are
//! rendered for each request and are never stored by caches (`private, no-store`).
//!
//! A page view never creates anything: a room that does not exist is shown empty and
//! neither stored nor started.

mod template;

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use crate::{
    app::shell,
    server::{headers::CspNonce, session, AppState},
    validation::RoomName,
};
use template::Template;

/// Rooms whose visitor page is kept; past this the cache starts over.
const MAX_CACHED_ROOMS: usize = 256;
/// Largest page kept (anything bigger is served, not cached).
const MAX_CACHED_BYTES: usize = 1024 * 1024;

struct Cached {
    version: u64,
    etag: HeaderValue,
    content_type: HeaderValue,
    page: Template,
}

/// Visitor pages by room.
#[derive(Clone, Default)]
pub struct PageCache(Arc<RwLock<HashMap<RoomName, Arc<Cached>>>>);

impl PageCache {
    fn get(&self, room: &RoomName, version: u64) -> Option<Arc<Cached>> {
        let pages = self.0.read().expect("page cache lock");
        pages.get(room).filter(|c| c.version == version).cloned()
    }

    fn put(&self, room: RoomName, page: Cached) -> Arc<Cached> {
        let page = Arc::new(page);
        let mut pages = self.0.write().expect("page cache lock");
        if pages.len() >= MAX_CACHED_ROOMS && !pages.contains_key(&room) {
            pages.clear();
        }
        pages.insert(room, page.clone());
        page
    }
}

pub async fn room_page(
    State(state): State<AppState>,
    Path(room): Path<String>,
    req: Request,
) -> Response {
    let room = RoomName::parse(&room).ok();
    let visitor = session::token_from_headers(req.headers()).is_none();
    if !visitor {
        let mut res = render(&state, req).await;
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        return res;
    }
    let Some(room) = room else {
        return render(&state, req).await;
    };
    // Only public rooms that exist are cached (and started); others render empty (a
    // private room, to a visitor, as if it did not exist), each time.
    let handle = match state.hub.open(&room).await {
        Ok(Some(handle)) if !handle.room.private => handle,
        _ => return render(&state, req).await,
    };
    let nonce = req
        .extensions()
        .get::<CspNonce>()
        .cloned()
        .unwrap_or_default();
    // Read before rendering: if the room changes meanwhile, the page is simply re-rendered
    // for the next visitor.
    let version = handle.version();
    drop(handle);
    if let Some(page) = state.pages.get(&room, version) {
        return serve(&page, req.headers(), &nonce);
    }
    let headers = req.headers().clone();
    let res = render(&state, req).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let (parts, body) = res.into_parts();
    let html = match axum::body::to_bytes(body, MAX_CACHED_BYTES).await {
        Ok(html) => html,
        Err(error) => {
            tracing::warn!(%error, "room page too big to cache");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let page = Cached {
        version,
        // Weak: the bytes differ in their nonce, the page is the same.
        etag: HeaderValue::from_str(&format!("W/\"{room}-{version}\"")).expect("valid etag"),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8")),
        page: Template::new(&html, &nonce.0),
    };
    let page = state.pages.put(room, page);
    serve(&page, &headers, &nonce)
}

async fn render(state: &AppState, req: Request) -> Response {
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    // The shell puts the response's nonce (from the request) on the scripts it writes.
    let handler = leptos_axum::render_app_async_with_context(
        move || leptos::prelude::provide_context(context_state.clone()),
        move || shell(options.clone()),
    );
    handler(req).await
}

fn serve(page: &Cached, request: &HeaderMap, nonce: &CspNonce) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == page.etag.as_bytes());
    let gzip = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut res = Response::new(Body::from(page.page.gzip(&nonce.0)));
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        Response::new(Body::from(page.page.html(&nonce.0)))
    };
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, page.content_type.clone());
    h.insert(header::ETAG, page.etag.clone());
    // Always revalidate: the room changes all the time, and a 304 costs almost nothing.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("accept-encoding, cookie"),
    );
    res
}
