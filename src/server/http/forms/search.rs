//! `GET /search?q=&room=`: **Search**, messages found by their words across the rooms the
//! searcher may read — every public room they are not banned from and the private rooms
//! and conversations they are in (a visitor: public rooms). Newest first; each result shows
//! its room, author and time with the matching words marked, and opens the room at the
//! message. A page of the server's: the browser's WASM carries none of it.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{alert, page, room_or_general, sentence};
use crate::escape;
use crate::{
    server::{
        domain::search::{Hit, Terms},
        infra::{
            limits::{Key, Limit},
            session,
        },
        AppState,
    },
    timestamp::Timestamp,
};

/// Results shown at most.
const SHOWN: u32 = 50;
/// The longest query read.
const QUERY_MAX: usize = 200;

#[derive(Debug, Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    /// The room the person came from, for the way back.
    room: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<Search>,
    headers: HeaderMap,
) -> Response {
    let back = room_or_general(query.room.as_deref());
    let raw: String = query.q.chars().take(QUERY_MAX).collect();
    let terms = Terms::parse(&raw);
    // A search reads stored messages as older pages do: one limit per address for both.
    let limited = match &terms {
        Some(_) => state
            .limiter
            .check(Limit::History, Key::Ip(peer.ip()))
            .err(),
        None => None,
    };
    let (status, results) = match &terms {
        Some(_) if limited.is_some() => {
            tracing::info!(ip = %peer.ip(), "searches rate limited");
            let secs = limited.map_or(1, |w| w.0.as_secs().max(1));
            (
                StatusCode::TOO_MANY_REQUESTS,
                alert(
                    "search-error",
                    Some(&format!("Too many searches. Try again in {secs} s.")),
                ),
            )
        }
        None if raw.trim().is_empty() => (StatusCode::OK, String::new()),
        None => (
            StatusCode::OK,
            r#"<p class="empty">Search for words: letters and digits.</p>"#.to_owned(),
        ),
        Some(terms) => match find(&state, &headers, terms).await {
            Ok(hits) if hits.is_empty() => (
                StatusCode::OK,
                format!(
                    r#"<p class="empty" role="status">No messages match “{}”.</p>"#,
                    escape::html(&terms.shown())
                ),
            ),
            Ok(hits) => (StatusCode::OK, listing(terms, &hits)),
            Err(e) => (e.status(), alert("search-error", Some(&sentence(&e)))),
        },
    };
    let body = format!(
        r#"<form method="get" action="/search" class="stack" role="search" aria-label="Search messages">
<label for="search-q">Search</label>
<input id="search-q" name="q" type="search" maxlength="{QUERY_MAX}" value="{q}" autofocus>
<input type="hidden" name="room" value="{back}">
<button type="submit">Search</button>
</form>
{results}"#,
        q = escape::html(raw.trim()),
    );
    let mut res = page(status, "Search", &back, &body);
    if let Some(wait) = limited {
        let secs = wait.0.as_secs().max(1).to_string();
        if let Ok(v) = HeaderValue::from_str(&secs) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}

async fn find(
    state: &AppState,
    headers: &HeaderMap,
    terms: &Terms,
) -> crate::server::Result<Vec<Hit>> {
    let me = session::authenticate(&state.store, headers).await?;
    let user_id = me.map(|u| u.id.to_string()).unwrap_or_default();
    state.store.search(terms, &user_id, SHOWN).await
}

/// The results: room, author, time and the text with its matches marked; each opens the
/// room at the message.
fn listing(terms: &Terms, hits: &[Hit]) -> String {
    let mut out = format!(
        r#"<p class="hint" role="status">{}</p><ul class="results" aria-label="Search results">"#,
        match hits.len() {
            1 => "1 message".to_owned(),
            n if n as u32 == SHOWN => format!("The newest {n} messages"),
            n => format!("{n} messages"),
        }
    );
    for hit in hits {
        let ts = Timestamp::from_millis(hit.ts);
        out.push_str(&format!(
            r##"<li><a href="/r/{room}#m-{seq}"><span class="where">#{room} · <bdi>{author}</bdi> · <time datetime="{iso}">{day} {clock} UTC</time></span> <span class="hit" dir="auto">{text}</span></a></li>"##,
            room = escape::html(&hit.room),
            seq = hit.seq,
            author = escape::html(&hit.author),
            iso = ts.to_rfc3339(),
            day = escape::html(&ts.day_label(0)),
            clock = ts.clock_label(0),
            text = terms.highlight(&crate::server::domain::markdown::plain(&hit.text)),
        ));
    }
    out.push_str("</ul>");
    out
}
