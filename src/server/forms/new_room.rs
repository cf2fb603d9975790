//! `GET /rooms/new`: **New room**, public or **Private**. `POST /rooms/new` makes it (the
//! person its owner) and goes there, or shows the page again with the reason.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};
use serde::Deserialize;

use super::{alert, esc, go, page, room_or_general, sentence};
use crate::server::{rooms, session, AppState, Error};

#[derive(Debug, Deserialize)]
pub struct NewRoom {
    #[serde(default)]
    name: String,
    /// A checkbox: present ("on") when ticked.
    private: Option<String>,
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session::authenticate(&state.store, &headers).await {
        Ok(Some(_)) => render(StatusCode::OK, None, "", false),
        Ok(None) => go(&state, "/signin", None),
        Err(e) => render(e.status(), Some(&e), "", false),
    }
}

pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<NewRoom>,
) -> Response {
    let private = form.private.is_some();
    let made = match session::require(&state.store, &headers).await {
        Ok((me, _)) => rooms::create_room(&state, &me, form.name.trim(), private).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(room) => go(&state, &format!("/r/{room}"), None),
        Err(e) => render(e.status(), Some(&e), &form.name, private),
    }
}

fn render(status: StatusCode, error: Option<&Error>, typed: &str, private: bool) -> Response {
    let body = format!(
        r#"<form method="post" action="/rooms/new" class="stack" aria-label="New room">
<label for="room-name">Room name</label>
<input id="room-name" name="name" required maxlength="64" pattern="[a-z0-9_\-]+" placeholder="design-review" value="{name}" aria-describedby="room-hint">
<p id="room-hint" class="hint">Lowercase letters, digits, - and _.</p>
<label class="check"><input type="checkbox" name="private"{checked}> Private: only people added to it can see it</label>
<button type="submit">Create room</button>
{alert}
</form>"#,
        name = esc(typed),
        checked = if private { " checked" } else { "" },
        alert = alert("room-error", error.map(sentence).as_deref()),
    );
    page(status, "New room", &room_or_general(None), &body)
}
