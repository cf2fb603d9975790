//! Rendered room pages kept by room and audience, each for one version of its room: a
//! page that has not changed is served without rendering it again.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use axum::http::HeaderValue;

use super::template::Template;
use crate::validation::RoomName;

/// Pages kept; past this the cache starts over.
const MAX_CACHED_PAGES: usize = 512;

/// Who a kept page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Audience {
    /// No session: the page is whole.
    Visitors,
    /// Signed in and allowed to read the room: the page has holes for the reader's part.
    Readers,
}

pub(super) struct Cached {
    pub(super) version: u64,
    /// The page's ETag but for its closing quote, where the theme goes (visitors' pages).
    pub(super) etag: String,
    pub(super) content_type: HeaderValue,
    pub(super) page: Template,
}

/// Kept pages by room and audience.
#[derive(Clone, Default)]
pub struct PageCache(Arc<RwLock<HashMap<(RoomName, Audience), Arc<Cached>>>>);

impl PageCache {
    pub(super) fn get(
        &self,
        room: &RoomName,
        audience: Audience,
        version: u64,
    ) -> Option<Arc<Cached>> {
        let pages = self.0.read().expect("page cache lock");
        pages
            .get(&(room.clone(), audience))
            .filter(|c| c.version == version)
            .cloned()
    }

    pub(super) fn put(&self, room: RoomName, audience: Audience, page: Cached) -> Arc<Cached> {
        let page = Arc::new(page);
        let key = (room, audience);
        let mut pages = self.0.write().expect("page cache lock");
        if pages.len() >= MAX_CACHED_PAGES && !pages.contains_key(&key) {
            pages.clear();
        }
        pages.insert(key, page.clone());
        page
    }
}
