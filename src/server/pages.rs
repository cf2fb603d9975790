//! `GET /r/<room>`: the room page, rendered by Leptos.
//!
//! A visitor without a session sees the same page as every other visitor until the room
//! changes, so that page is rendered once per version of the room (every stored message
//! and every receipt makes a new version), gzipped once, and served from memory with an
//! ETag; a browser that has it gets `304 Not Modified`. Signed-in pages carry the person's
//! own room list and are rendered for each request.

use std::{
    collections::HashMap,
    io::Write,
    sync::{Arc, RwLock},
};

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;

use crate::{
    app::shell,
    server::{session, AppState},
    validation::RoomName,
};

/// Rooms whose visitor page is kept; past this the cache starts over.
const MAX_CACHED_ROOMS: usize = 256;
/// Largest page kept (anything bigger is served, not cached).
const MAX_CACHED_BYTES: usize = 1024 * 1024;

struct Cached {
    version: u64,
    etag: HeaderValue,
    content_type: HeaderValue,
    html: Bytes,
    gzip: Bytes,
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
    let (Some(room), true) = (room, visitor) else {
        return render(&state, req).await;
    };
    let handle = match state.hub.room(&room).await {
        Ok(handle) => handle,
        Err(_) => return render(&state, req).await,
    };
    // Read before rendering: if the room changes meanwhile, the page is simply re-rendered
    // for the next visitor.
    let version = handle.version();
    if let Some(page) = state.pages.get(&room, version) {
        return serve(&page, req.headers());
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
        etag: HeaderValue::from_str(&format!("\"{room}-{version}\"")).expect("valid etag"),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8")),
        gzip: gzip(&html),
        html,
    };
    let page = state.pages.put(room, page);
    serve(&page, &headers)
}

async fn render(state: &AppState, req: Request) -> Response {
    let options = state.leptos_options.clone();
    let context_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || leptos::prelude::provide_context(context_state.clone()),
        move || shell(options.clone()),
    );
    handler(req).await
}

fn serve(page: &Cached, request: &HeaderMap) -> Response {
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
        let mut res = Response::new(Body::from(page.gzip.clone()));
        res.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        res
    } else {
        Response::new(Body::from(page.html.clone()))
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

fn gzip(bytes: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory").into()
}
