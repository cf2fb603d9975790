//! Invite links: making one (the admin to the server, a room's owners to their room),
//! what one admits to, and spending a use of it. `POST /api/invites` is in `http::invites`;
//! an invite link's page and its sign-up are in `http::forms::invite`.

use serde::{Deserialize, Serialize};

use crate::{
    server::{
        domain::access,
        infra::session,
        model::{Role, User},
        AppState, Error, Result,
    },
    timestamp::Timestamp,
    validation::RoomName,
};

/// Most uses one link may have.
pub const MAX_USES: u32 = 1000;

/// Longest a link may live, in hours (30 days).
pub const MAX_HOURS: u32 = 720;

/// `me` makes a link to `room` (or, as the admin, to the server).
pub async fn make(
    state: &AppState,
    me: &User,
    room: Option<&str>,
    uses: u32,
    hours: u32,
) -> Result<InviteCreated> {
    crate::server::domain::access::manage_allowed(state, me)?;
    if !(1..=MAX_USES).contains(&uses) || !(1..=MAX_HOURS).contains(&hours) {
        return Err(Error::BadRequest(format!(
            "An invite link has 1 to {MAX_USES} uses and lasts 1 to {MAX_HOURS} hours."
        )));
    }
    let room = match room {
        Some(room) => {
            let name = RoomName::parse(room)?;
            let (facts, access) = access::check(&state.store, Some(me), &name).await?;
            let facts = match facts {
                Some(facts) if access.may_read() => facts,
                _ => return Err(access::refusal(&name, access)),
            };
            access::admits_newcomers(&facts.room.name)?;
            if !access.may_moderate() {
                return Err(Error::Forbidden(
                    "Only the room's owners and the admin make invite links to it.".into(),
                ));
            }
            Some(facts.room)
        }
        None => {
            if !me.admin {
                return Err(Error::Forbidden(
                    "Only the admin makes invite links to the server; owners make them to their rooms."
                        .into(),
                ));
            }
            None
        }
    };
    let token = session::new_token();
    let expires_at = Timestamp::now().millis() + i64::from(hours) * 3_600_000;
    state
        .store
        .create_invite(
            session::hash_token(&token),
            me.id,
            room.as_ref(),
            uses,
            expires_at,
        )
        .await?;
    tracing::info!(by = %me.id, uses, hours, "invite link made");
    Ok(InviteCreated {
        url: format!("/invite/{token}"),
        uses,
        expires_at: Timestamp::from_millis(expires_at),
    })
}

fn used_up() -> Error {
    Error::Forbidden("This invite link has expired or been used up: ask for a new one.".into())
}

/// The room an invite admits to, if it still admits anyone.
pub async fn usable(state: &AppState, token: &str) -> Result<Option<Option<RoomName>>> {
    if state.setup.matches(token) {
        return Ok(Some(None));
    }
    let info = state.store.invite(&session::hash_token(token)).await?;
    Ok(info.filter(|i| i.usable()).map(|i| i.room))
}

/// Takes one use of `token`; answers the room it admits to. Refused (403) when it is used
/// up, expired or unknown, or admits to a room that takes no newcomers (nothing is spent).
pub async fn take(state: &AppState, token: &str) -> Result<Option<RoomName>> {
    if state.setup.take(token) {
        return Ok(None);
    }
    let hash = session::hash_token(token);
    let info = state.store.invite(&hash).await?.ok_or_else(used_up)?;
    if let Some(room) = &info.room {
        access::admits_newcomers(room)?;
    }
    if !state.store.use_invite(&hash, false).await? {
        return Err(used_up());
    }
    Ok(info.room)
}

/// Gives back a use taken for a sign-up that failed.
pub async fn give_back(state: &AppState, token: &str) {
    if state.setup.give_back(token) {
        return;
    }
    if let Err(error) = state
        .store
        .use_invite(&session::hash_token(token), true)
        .await
    {
        tracing::warn!(%error, "could not give an invite's use back");
    }
}

/// Makes the new `user` a member of the invite's `room`.
pub async fn admit(state: &AppState, user: &User, room: &RoomName) -> Result<()> {
    if let Some((room, _)) = state.store.find_room(room).await? {
        state.store.admit(&room, user, Role::Member).await?;
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
pub struct InviteCreated {
    /// The path to share (`/invite/<token>`); the token is shown this once.
    pub url: String,
    pub uses: u32,
    pub expires_at: Timestamp,
}
