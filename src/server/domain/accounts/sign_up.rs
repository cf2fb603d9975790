//! Making an account: a new name with its password, or a guest claiming the name they
//! chat under (keeping their messages); with an invite link, spending one of its uses and
//! joining its room. The JSON (`POST /api/accounts`) and the form (`POST /signup`) both
//! come here.

use std::net::IpAddr;

use axum::http::HeaderMap;

use super::{check_password, name_key, sign_in::sign_in_allowed, Registration};
use crate::{
    server::{
        bus::Revocation,
        domain::{invites, revoke},
        infra::session,
        model::{NewSession, Role, User},
        AppState, Error, Result,
    },
    validation::{DisplayName, RoomName, HOME_ROOM},
};

/// Makes the account `name` with `password` and a session for it (the JSON and the form
/// way in share this): the user and the session's token.
pub async fn sign_up(
    state: &AppState,
    ip: IpAddr,
    headers: &HeaderMap,
    name: &str,
    password: String,
    invite: Option<&str>,
) -> Result<(User, String)> {
    // The setup link makes the first admin whatever the policy says.
    let setting_up = match invite {
        Some(token) if state.setup.matches(token) => {
            if state.store.has_admin().await? {
                return Err(Error::Forbidden(
                    "This server has its admin already: sign in, or ask them for a link.".into(),
                ));
            }
            true
        }
        _ => false,
    };
    match (state.config.registration, invite) {
        _ if setting_up => {}
        (Registration::Closed, _) => {
            return Err(Error::Forbidden(
                "Registration is closed on this server: ask its admin for an account.".into(),
            ))
        }
        (Registration::Invite, None) => {
            return Err(Error::Forbidden(
                "This server admits people by invitation: sign up with an invite link.".into(),
            ))
        }
        _ => {}
    }
    let name = DisplayName::parse(name)?;
    check_password(&password, &name)?;
    sign_in_allowed(state, ip)?;
    let key = name_key(&name);
    if state.store.account(&key).await?.is_some() {
        return Err(Error::Conflict(format!(
            "The name {name} is taken by an account (or one that looks like it)."
        )));
    }
    let claim = match session::authenticate(&state.store, headers).await? {
        Some(guest) if name_key(&guest.name) == key => Some(guest),
        _ => None,
    };
    let password_hash = state.passwords.hash(password).await?;
    // Taken only now, so that a bad name or password does not spend it.
    let room = match invite {
        Some(invite) => Some(invites::take(state, invite).await?),
        None => None,
    };
    let token = session::new_token();
    let new_session = NewSession::new(session::hash_token(&token), session::device(headers));
    let user = match state
        .store
        .create_account(&name, key, password_hash, &new_session, claim)
        .await
    {
        Ok(user) => user,
        Err(e) => {
            if let Some(invite) = invite {
                invites::give_back(state, invite).await;
            }
            return Err(e);
        }
    };
    if let Some(Some(room)) = &room {
        invites::admit(state, &user, room).await?;
    }
    tracing::info!(user = %user.id, invited = room.is_some(), "account created");
    if user.admin {
        // The home room is the admin's from the first account on.
        let home = RoomName::parse(HOME_ROOM).expect("a valid room name");
        let (home, _) = state.store.ensure_room(&home, false, &user).await?;
        state.store.admit(&home, &user, Role::Owner).await?;
    }
    end_guests_named(state, &user).await;
    Ok((user, token))
}

/// Ends the sessions of every guest whose name looks like the new account's (the claimed
/// guest became the account and is not one): their sockets close with 4002 and the reason
/// says why; they sign in again under another name. Their messages stay.
async fn end_guests_named(state: &AppState, account: &User) {
    let key = name_key(&account.name);
    let guests = match state.store.guests_signed_in().await {
        Ok(guests) => guests,
        Err(error) => {
            tracing::warn!(%error, "could not read the guests to end those under a new account's name");
            return;
        }
    };
    for (id, name) in guests {
        if id == account.id || name_key(&name) != key {
            continue;
        }
        let guest = User {
            id,
            name,
            bot: false,
            admin: false,
        };
        if let Err(error) = state.store.delete_other_sessions(&guest, &[]).await {
            tracing::warn!(%error, "could not end a guest's sessions");
            continue;
        }
        let closed = revoke::announce(
            state,
            Revocation::User {
                user: id,
                keep: None,
                disabled: false,
                name_taken: true,
            },
        );
        tracing::info!(guest = %id, account = %account.id, sockets = closed, "guest sessions ended: the name went to an account");
    }
}
