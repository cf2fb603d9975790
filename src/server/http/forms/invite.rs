//! `GET /invite/<token>`: an invite link. Someone new gets its sign-up form (a room's link
//! also makes them a member of the room). Someone already signed in with an account gets
//! **Join #room** instead (`POST /invite/<token>/join`), which spends one use and makes
//! them a member; a server's link tells them they are in already. A link that no longer
//! works says so.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};

use super::{alert, go, page, path_segment, room_or_general, sentence, sign_up::sign_up_form};
use crate::escape;
use crate::{
    server::{
        domain::accounts::name_key,
        infra::session,
        model::{Role, User},
        AppState, Error, Result,
    },
    validation::RoomName,
};

pub async fn invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    match signed_in_account(&state, &headers).await {
        Ok(Some(me)) => joining_page(&state, &token, &me, StatusCode::OK, None).await,
        Ok(None) => invite_page(&state, &token, StatusCode::OK, None, "").await,
        Err(e) => broken(&e),
    }
}

/// `POST /invite/<token>/join`: the signed-in account joins the invite's room.
pub async fn join(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let me = match signed_in_account(&state, &headers).await {
        Ok(Some(me)) => me,
        Ok(None) => return invite_page(&state, &token, StatusCode::UNAUTHORIZED, None, "").await,
        Err(e) => return broken(&e),
    };
    match join_room(&state, &token, &me).await {
        Ok(room) => go(&state, &format!("/r/{}", path_segment(room.as_str())), None),
        Err(e) => joining_page(&state, &token, &me, e.status(), Some(&e)).await,
    }
}

/// Spends one use of the room invite `token` on `me` (none if they are a member already)
/// and makes them a member. A banned person stays out: an invite link is not an owner
/// lifting the ban.
async fn join_room(state: &AppState, token: &str, me: &User) -> Result<RoomName> {
    let Some(Some(room)) = crate::server::domain::invites::usable(state, token).await? else {
        return Err(Error::Forbidden(
            "This link invites new people to the server, and you have an account already.".into(),
        ));
    };
    let facts = state.store.room_facts(&room, Some(me.id)).await?;
    let Some(facts) = facts else {
        return Err(Error::NotFound(format!("There is no room called #{room}.")));
    };
    if facts.banned {
        tracing::info!(user = %me.id, "invite refused: banned");
        return Err(Error::Forbidden(format!("You are banned from #{room}.")));
    }
    if facts.member.is_none() {
        // `take` asks the join rule (`access::admits_newcomers`) before it spends a use.
        crate::server::domain::invites::take(state, token).await?;
        state.store.admit(&facts.room, me, Role::Member).await?;
        tracing::info!(user = %me.id, "joined a room by invite");
    }
    Ok(room)
}

/// The person signed in, if they have an account (a guest signs up with the link instead,
/// which claims their name).
async fn signed_in_account(state: &AppState, headers: &HeaderMap) -> Result<Option<User>> {
    let Some(me) = session::authenticate(&state.store, headers).await? else {
        return Ok(None);
    };
    let account = state.store.account(&name_key(&me.name)).await?;
    Ok(account.filter(|(a, _)| a.id == me.id).map(|(a, _)| a))
}

/// The page of a link that no longer works (or could not be read).
fn broken(e: &Error) -> Response {
    let body = alert("invite-error", Some(&sentence(e)));
    page(e.status(), "Invite link", &room_or_general(None), &body)
}

/// The room the invite `token` admits to (`None`: the server), or the page that says why
/// it admits nobody (a whole response, made once per request: its size does not matter).
#[allow(clippy::result_large_err)]
async fn usable(state: &AppState, token: &str) -> std::result::Result<Option<RoomName>, Response> {
    match crate::server::domain::invites::usable(state, token).await {
        Ok(Some(room)) => Ok(room),
        Ok(None) => Err(used_up()),
        Err(e) => Err(broken(&e)),
    }
}

fn used_up() -> Response {
    let body = alert(
        "invite-error",
        Some("This invite link has expired or been used up: ask for a new one."),
    );
    page(
        StatusCode::NOT_FOUND,
        "Invite link",
        &room_or_general(None),
        &body,
    )
}

/// The invite as someone with an account sees it: **Join #room**.
async fn joining_page(
    state: &AppState,
    token: &str,
    me: &User,
    status: StatusCode,
    error: Option<&Error>,
) -> Response {
    let room = match usable(state, token).await {
        Ok(room) => room,
        Err(page) => return page,
    };
    let general = room_or_general(None);
    let Some(room) = room else {
        let body = format!(
            r#"<p>You are signed in as <bdi>{}</bdi>: this link is for people new to the server.</p>
<p><a href="/r/general">Go to #general</a></p>"#,
            escape::html(me.name.as_str())
        );
        return page(status, "You are invited to cloud_msg", &general, &body);
    };
    let body = format!(
        r#"<form method="post" action="/invite/{token}/join" class="stack" aria-label="Join #{room}">
<p>You are signed in as <bdi>{me}</bdi>.</p>
{alert}
<button type="submit">Join #{room}</button>
</form>"#,
        token = escape::html(&path_segment(token)),
        room = escape::html(room.as_str()),
        me = escape::html(me.name.as_str()),
        alert = alert("invite-error", error.map(sentence).as_deref()),
    );
    page(status, &format!("You are invited to #{room}"), &room, &body)
}

/// The invite as someone new sees it: its sign-up form.
pub async fn invite_page(
    state: &AppState,
    token: &str,
    status: StatusCode,
    error: Option<&Error>,
    typed: &str,
) -> Response {
    let general = room_or_general(None);
    let room = match usable(state, token).await {
        Ok(room) => room,
        Err(page) => return page,
    };
    let to = room.clone().unwrap_or(general);
    let title = match &room {
        Some(room) => format!("You are invited to #{room}"),
        None => "You are invited to cloud_msg".to_owned(),
    };
    let mut body = sign_up_form(
        &to,
        Some(token),
        typed,
        error.map(sentence),
        "At least 10 characters, not a common password.",
    );
    body.push_str(&format!(
        r#"<p class="hint">Have an account? <a href="/signin?room={to}">Sign in</a>, then open this link again.</p>"#
    ));
    page(status, &title, &to, &body)
}
