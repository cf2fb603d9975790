//! `GET /rooms/new`: **New room**, public or **Private**, with a **Topic** if wished.
//! `POST /rooms/new` makes it (the person its owner) and goes there, or shows the page
//! again with the reason and what was typed.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};
use serde::Deserialize;

use super::{alert, go, page, room_or_general, sentence};
use crate::escape;
use crate::server::{domain::rooms, domain::topic, infra::session, AppState, Error};

#[derive(Debug, Default, Deserialize)]
pub struct NewRoom {
    #[serde(default)]
    name: String,
    #[serde(default)]
    topic: String,
    /// A checkbox: present ("on") when ticked.
    private: Option<String>,
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::authenticate(&state.store, &headers).await {
        Ok(Some(_)) => render(StatusCode::OK, None, &NewRoom::default()),
        Ok(None) => go(&state, "/signin", None),
        Err(e) => render(e.status(), Some(&e), &NewRoom::default()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<NewRoom>,
) -> Response {
    let private = form.private.is_some();
    let made = match session::require(&state.store, &headers).await {
        Ok((me, _)) => {
            rooms::create_room_with(&state, &me, form.name.trim(), private, &form.topic).await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok((room, _)) => go(&state, &format!("/r/{room}"), None),
        Err(e) => render(e.status(), Some(&e), &form),
    }
}

fn render(status: StatusCode, error: Option<&Error>, typed: &NewRoom) -> Response {
    let body = format!(
        r#"<form method="post" action="/rooms/new" class="stack" aria-label="New room">
<label for="room-name">Room name</label>
<input id="room-name" name="name" required maxlength="64" pattern="[a-z0-9_\-]+" placeholder="design-review" value="{name}" aria-describedby="room-hint">
<p id="room-hint" class="hint">Lowercase letters, digits, - and _.</p>
<label for="room-topic">Topic (optional)</label>
<input id="room-topic" name="topic" maxlength="{TOPIC_MAX}" placeholder="What this room is for" value="{topic}">
<label class="check"><input type="checkbox" name="private"{checked}> Private: only people added to it can see it</label>
<button type="submit">Create room</button>
{alert}
</form>"#,
        name = escape::html(&typed.name),
        topic = escape::html(&typed.topic),
        TOPIC_MAX = topic::TOPIC_MAX,
        checked = if typed.private.is_some() {
            " checked"
        } else {
            ""
        },
        alert = alert("room-error", error.map(sentence).as_deref()),
    );
    page(status, "New room", &room_or_general(None), &body)
}
