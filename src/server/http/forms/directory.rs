//! `GET /rooms`: **Rooms**, the directory of public rooms (name, topic, members, last activity),
//! the most recently active first, with a filter by name or topic (`?q=`). Anyone may look, a
//! visitor too: it lists what a visitor may open anyway. Private rooms and direct
//! conversations are never in it.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{alert, page, room_or_general, sentence};
use crate::escape;
use crate::{
    server::{model::DirectoryRow, AppState},
    timestamp::Timestamp,
};

/// Rooms listed at most.
const LISTED: u32 = 100;
/// Longest filter kept (a room name's length).
const FILTER_MAX: usize = 64;

#[derive(Debug, Deserialize)]
pub struct Filter {
    #[serde(default)]
    q: String,
    /// The room the person came from, for the way back.
    room: Option<String>,
}

pub async fn show(State(state): State<AppState>, Query(filter): Query<Filter>) -> Response {
    // What a room's name can hold (lowercase letters, digits, - and _), and single spaces
    // between words, for topics.
    let kept: String = filter
        .q
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_') || c.is_whitespace())
        .collect();
    let q: String = kept
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(FILTER_MAX)
        .collect();
    let back = room_or_general(filter.room.as_deref());
    let (status, list) = match state.store.directory(&q, LISTED).await {
        Ok(rooms) if rooms.is_empty() && q.is_empty() => (
            StatusCode::OK,
            r#"<p class="empty">No rooms yet.</p>"#.to_owned(),
        ),
        Ok(rooms) if rooms.is_empty() => (
            StatusCode::OK,
            format!(
                r#"<p class="empty">No rooms match “{}”.</p>"#,
                escape::html(&q)
            ),
        ),
        Ok(rooms) => (StatusCode::OK, listing(&rooms)),
        Err(e) => (e.status(), alert("rooms-error", Some(&sentence(&e)))),
    };
    let body = format!(
        r#"<form method="get" action="/rooms" class="stack" role="search" aria-label="Filter rooms">
<label for="rooms-filter">Filter by name or topic</label>
<input id="rooms-filter" name="q" type="search" maxlength="{FILTER_MAX}" value="{q}">
<input type="hidden" name="room" value="{back}">
<button type="submit">Filter</button>
</form>
{list}"#,
        q = escape::html(&q),
    );
    page(status, "Rooms", &back, &body)
}

/// The list: each room's link, its topic, its members and when it was last active.
fn listing(rooms: &[DirectoryRow]) -> String {
    let mut out = String::from(r#"<ul class="directory" aria-label="Public rooms">"#);
    for DirectoryRow {
        name,
        topic,
        members,
        last,
    } in rooms
    {
        let members = match members {
            1 => "1 member".to_owned(),
            n => format!("{n} members"),
        };
        let last = match last {
            Some(ms) => {
                let ts = Timestamp::from_millis(*ms);
                format!(
                    r#"last message <time datetime="{}">{} {} UTC</time>"#,
                    ts.to_rfc3339(),
                    escape::html(&ts.day_label(0)),
                    ts.clock_label(0)
                )
            }
            None => "no messages yet".to_owned(),
        };
        let topic = match topic.is_empty() {
            true => String::new(),
            false => format!(r#" <span class="topic">{}</span>"#, escape::html(topic)),
        };
        out.push_str(&format!(
            r#"<li><a href="/r/{name}">#{name}</a>{topic} <span class="hint">{members} · {last}</span></li>"#,
            name = escape::html(name),
        ));
    }
    out.push_str("</ul>");
    out
}
