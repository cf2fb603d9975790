//! `GET /signin`: **Sign in** (name and password) and **Create an account**, side by side.
//! `POST /signin` and `POST /signup` answer with the session cookie and a redirect to the
//! room the person came from, or the page again with the reason.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Query, State},
    http::{HeaderMap, StatusCode},
    response::Response,
    Form,
};
use serde::Deserialize;

use super::{alert, go, page, room_or_general, sentence, sign_up::sign_up_form};
use crate::escape;
use crate::{
    server::{
        domain::accounts::{self, sign_in_allowed, Registration},
        infra::session,
        AppState, Error,
    },
    validation::{DisplayName, RoomName},
};

#[derive(Debug, Default, Deserialize)]
pub struct Back {
    room: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    room: Option<String>,
    /// An invite link's token (the sign-up form of `/invite/<token>`).
    invite: Option<String>,
}

/// Which form an error belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Which {
    SignIn,
    SignUp,
}

pub async fn show(State(state): State<AppState>, Query(back): Query<Back>) -> Response {
    let room = room_or_general(back.room.as_deref());
    render(&state, &room, StatusCode::OK, None, "")
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let room = room_or_general(form.room.as_deref());
    let result = async {
        let name = DisplayName::parse(&form.name)?;
        sign_in_allowed(&state, peer.ip())?;
        accounts::password_sign_in(&state, &name, form.password, session::device(&headers)).await
    }
    .await;
    match result {
        Ok((_, token)) => go(&state, &format!("/r/{room}"), Some(&token)),
        Err(e) => render(
            &state,
            &room,
            e.status(),
            Some((Which::SignIn, &e)),
            &form.name,
        ),
    }
}

pub async fn sign_up(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let room = room_or_general(form.room.as_deref());
    let invite = form.invite.as_deref().filter(|t| !t.is_empty());
    match accounts::sign_up::sign_up(
        &state,
        peer.ip(),
        &headers,
        &form.name,
        form.password,
        invite,
    )
    .await
    {
        Ok((_, token)) => go(&state, &format!("/r/{room}"), Some(&token)),
        Err(e) => match invite {
            Some(invite) => {
                super::invite::invite_page(&state, invite, e.status(), Some(&e), &form.name).await
            }
            None => render(
                &state,
                &room,
                e.status(),
                Some((Which::SignUp, &e)),
                &form.name,
            ),
        },
    }
}

fn render(
    state: &AppState,
    room: &RoomName,
    status: StatusCode,
    error: Option<(Which, &Error)>,
    typed: &str,
) -> Response {
    let error_for = |which: Which| error.filter(|(w, _)| *w == which).map(|(_, e)| sentence(e));
    let typed_in = |which: Which| {
        if error_for(which).is_some() {
            escape::html(typed)
        } else {
            String::new()
        }
    };
    let sign_in_error = error_for(Which::SignIn);
    let mut body = format!(
        r#"<div class="forms">
<form method="post" action="/signin" aria-labelledby="signin-title" class="stack">
<h2 id="signin-title">Sign in</h2>
<input type="hidden" name="room" value="{room}">
<label for="signin-name">Name</label>
<input id="signin-name" name="name" autocomplete="username" required value="{name}"{invalid}>
<label for="signin-password">Password</label>
<input id="signin-password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
{alert}
</form>"#,
        name = typed_in(Which::SignIn),
        invalid = if sign_in_error.is_some() {
            r#" aria-invalid="true" aria-describedby="signin-error""#
        } else {
            ""
        },
        alert = alert("signin-error", sign_in_error.as_deref()),
    );
    if state.config.registration != Registration::Open {
        let why = match state.config.registration {
            Registration::Invite => {
                "This server admits people by invitation: open the invite link you were sent."
            }
            _ => "Registration is closed on this server: ask its admin for an account.",
        };
        body.push_str(&format!(
            r#"<section class="stack"><h2>Create an account</h2><p>{why}</p></section>"#
        ));
    } else {
        let typed = if error_for(Which::SignUp).is_some() {
            typed
        } else {
            ""
        };
        body.push_str(&sign_up_form(
            room,
            None,
            typed,
            error_for(Which::SignUp),
            "At least 10 characters, not a common password. Your name is yours alone from \
             then on; as a guest of that name, you keep your messages.",
        ));
    }
    body.push_str("</div>");
    page(status, "Sign in or create an account", room, &body)
}
