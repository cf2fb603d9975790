//! Pages of plain HTML forms, rendered on the server and posted back to it: signing in
//! and up, a room's members, a new room. They need no JavaScript at all (and behave the
//! same with it), so they cost the browser's WASM nothing. Every answer to a post is a
//! redirect (`303`) on success, or the page again with the error in `role="alert"` and
//! the status that fits.

pub mod directory;
pub mod invite;
pub mod new_room;
pub mod room_members;
pub mod search;
pub mod sign_in;
pub mod sign_up;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};

use crate::{
    escape,
    server::{infra::session, AppState, Error},
    validation::RoomName,
};

/// `s` as one path segment of a URL.
pub use crate::url_path::segment as path_segment;

/// A whole page: the app's style, a card titled `title`, `body` (HTML built with `escape::html`),
/// and a way back to `room`.
pub fn page(status: StatusCode, title: &str, room: &RoomName, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en" {theme}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/pkg/cloud_msg.css">
<title>{title} · cloud_msg</title>
</head>
<body class="form-page">
<main class="card">
<p><a class="brand" href="/r/{room}">cloud_msg</a> <a class="back" href="/r/{room}">Back to #{room}</a></p>
<h1>{title}</h1>
{body}
</main>
</body>
</html>"#,
        title = escape::html(title),
        room = room,
        theme = crate::server::http::theme::current().attribute(),
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

/// The `<p role="alert">` for `error` (empty without one, so the form's layout holds).
pub fn alert(id: &str, error: Option<&str>) -> String {
    format!(
        r#"<p id="{id}" class="form-error" role="alert">{}</p>"#,
        escape::html(error.unwrap_or_default())
    )
}

/// The sentence to show for `e`: its own for a refusal, a general one for a failure
/// (logged).
pub fn sentence(e: &Error) -> String {
    if e.status().is_server_error() {
        tracing::error!(error = %e, "form failed");
        "Something went wrong on the server; try again.".into()
    } else {
        e.to_string()
    }
}

/// The room named by a form or query, or `general`.
pub fn room_or_general(room: Option<&str>) -> RoomName {
    room.and_then(|r| RoomName::parse(r).ok())
        .unwrap_or_else(|| RoomName::parse("general").expect("a valid room"))
}

/// 303 to `to`, with the session cookie for `token` when given.
pub fn go(state: &AppState, to: &str, token: Option<&str>) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Some(token) = token {
        res.headers_mut().insert(
            header::SET_COOKIE,
            session::session_cookie(token, state.config.behind_tls()),
        );
    }
    res
}
