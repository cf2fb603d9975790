//! Direct messages: `POST /dm/<name>` opens the private two-person conversation with the
//! account called `name` (made on first use, both people its owners) and goes there;
//! `GET /dm/<name>` goes to it if it exists and otherwise asks first (a link from another
//! site must not make a conversation in someone's name). A
//! conversation is a private room named `dm-` and a hash of the two ids, so the same two
//! people always meet in the same room, from either side; names starting `dm-` cannot be
//! taken by anything else. The room list shows it under "Direct messages", by the other
//! person's name.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::escape;
use crate::{
    server::{
        domain::{
            access::{self, Access},
            accounts,
        },
        http::forms::{alert, go, page, path_segment, room_or_general, sentence},
        infra::session,
        model::Role,
        AppState, Error, Result,
    },
    validation::{DisplayName, RoomName, DIRECT_PREFIX},
};

/// The conversation of `a` and `b` (either order).
pub fn room_of(a: Uuid, b: Uuid) -> RoomName {
    let (low, high) = if a <= b { (a, b) } else { (b, a) };
    let mut h = Sha256::new();
    h.update(b"dm:");
    h.update(low.as_bytes());
    h.update(high.as_bytes());
    let hex = session::hex(&h.finalize()[..10]);
    RoomName::parse(&format!("{DIRECT_PREFIX}{hex}")).expect("a valid room name")
}

/// `GET /dm/<name>`: to the conversation if it is there, else a button that makes it.
pub async fn open(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(&state, &headers, &name, false).await
}

/// `POST /dm/<name>`: to the conversation, made if need be.
pub async fn start(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    respond(&state, &headers, &name, true).await
}

async fn respond(state: &AppState, headers: &HeaderMap, name: &str, make: bool) -> Response {
    let me = match session::authenticate(&state.store, headers).await {
        Ok(Some(me)) => me,
        Ok(None) => return go(state, "/signin", None),
        Err(e) => return refused(&e),
    };
    match conversation(state, &me, name, make).await {
        Ok(Some(room)) => go(state, &format!("/r/{room}"), None),
        Ok(None) => {
            let body = format!(
                r#"<form method="post" action="/dm/{}" class="stack"><p>A private conversation that only the two of you see.</p><button type="submit">Start a conversation with {}</button></form>"#,
                path_segment(name),
                escape::html(name)
            );
            page(
                StatusCode::OK,
                &format!("Message {name}"),
                &room_or_general(None),
                &body,
            )
        }
        Err(e) => refused(&e),
    }
}

fn refused(e: &Error) -> Response {
    let body = alert("dm-error", Some(&sentence(e)));
    page(e.status(), "Direct message", &room_or_general(None), &body)
}

/// The conversation of `me` and the account called `name`; made (or rejoined) only with
/// `make`, else `None` when that would be needed.
pub async fn conversation(
    state: &AppState,
    me: &crate::server::model::User,
    name: &str,
    make: bool,
) -> Result<Option<RoomName>> {
    let name = DisplayName::parse(name)?;
    let Some((other, _)) = state.store.account(&accounts::name_key(&name)).await? else {
        return Err(Error::NotFound(format!(
            "There is no account called {name}: direct messages are between accounts."
        )));
    };
    let room = room_of(me.id, other.id);
    let (facts, access) = access::check(&state.store, Some(me), &room).await?;
    match (facts, access) {
        (Some(_), Access::Member | Access::Moderator) => {}
        (Some(facts), Access::Hidden) if !facts.banned && !make => return Ok(None),
        (None, _) if !make => return Ok(None),
        (Some(facts), Access::Hidden) if !facts.banned => {
            // One of the two left: back in.
            state.store.admit(&facts.room, me, Role::Owner).await?;
        }
        (Some(_), _) => {
            return Err(Error::Forbidden(format!(
                "{} does not take direct messages from you.",
                other.name
            )))
        }
        (None, _) => {
            let (handle, _) = state.hub.create(&room, true, me).await?;
            state.store.admit(&handle.room, &other, Role::Owner).await?;
            tracing::info!(user = %me.id, "direct conversation made");
        }
    }
    Ok(Some(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_two_people_always_meet_in_the_same_room() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(room_of(a, b), room_of(b, a));
        assert_ne!(room_of(a, b), room_of(a, Uuid::new_v4()));
        assert!(room_of(a, b).is_direct());
        assert_eq!(room_of(a, b).as_str().len(), 23);
    }
}
