//! Who reads a room page, what they may do there, and the page's data: shared by the page's
//! handler and its rendering.

use crate::{
    page::{Me, RoomPageData, RoomSummary, Viewer, HISTORY_ON_PAGE, MAX_ROOMS_LISTED},
    server::{
        domain::access::{self, Access},
        hub::PageData,
        model::{Role, RoomFacts, User},
        AppState, Error, Result,
    },
    validation::RoomName,
};

/// A room's reader: their own part of the page, and the room when they may read it.
pub struct PageReader {
    pub viewer: Viewer,
    /// `None`: no such room, or not for them (shown empty, as if it did not exist).
    pub readable: Option<RoomFacts>,
}

/// Decides what `user` (or a visitor) sees of `name`: `access::decide` rules. For a room
/// in the person's list (the common case) the facts are their membership, known already,
/// so the page costs no query more than the list.
pub async fn reader(state: &AppState, user: Option<&User>, name: &RoomName) -> Result<PageReader> {
    let mine = match user {
        Some(user) => state.store.rooms_of(user, MAX_ROOMS_LISTED).await?,
        None => Vec::new(),
    };
    let (facts, access) = match (mine.iter().find(|r| r.name == *name), user) {
        (Some(r), Some(user)) => match state.hub.open(name).await? {
            Some(handle) => {
                // The admin moderates a public room they are a plain member of (the flag
                // comes with the session: no query).
                let admin = user.admin && r.role == Role::Member && !handle.room.private;
                let facts = RoomFacts {
                    room: handle.room.clone(),
                    last_seq: handle.last_seq(),
                    member: Some((r.role, 0, 0)),
                    // A ban ends the membership.
                    banned: false,
                    admin,
                };
                let access = access::decide(Some(&facts), true);
                (Some(facts), access)
            }
            None => (None, Access::Hidden),
        },
        // A visitor: the room's memory answers (no query while it runs).
        (_, None) => {
            let facts = state.hub.open(name).await?.map(|handle| RoomFacts {
                room: handle.room.clone(),
                last_seq: handle.last_seq(),
                member: None,
                banned: false,
                admin: false,
            });
            let access = access::decide(facts.as_ref(), false);
            (facts, access)
        }
        (None, Some(_)) => access::check(&state.store, user, name).await?,
    };
    // Mentions are looked for only where there is something unread, and not in the room
    // on the page (whose counts are not shown).
    let mentions = match user {
        Some(user) if mine.iter().any(|r| r.unread > 0 && r.name != *name) => {
            state.store.unread_mentions(user, name).await?
        }
        _ => Default::default(),
    };
    let mut rooms: Vec<RoomSummary> = mine
        .into_iter()
        .map(|r| RoomSummary {
            mentions: mentions.get(r.name.as_str()).copied().unwrap_or(0),
            name: r.name.to_string(),
            unread: r.unread,
            private: r.private,
            with: r.with,
            online: false,
        })
        .collect();
    if !rooms.iter().any(|r| r.name == name.as_str()) {
        rooms.push(RoomSummary {
            name: name.to_string(),
            unread: 0,
            mentions: 0,
            private: false,
            with: None,
            online: false,
        });
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let with = rooms
        .iter()
        .find(|r| r.name == name.as_str())
        .and_then(|r| r.with.clone());
    Ok(PageReader {
        viewer: Viewer {
            me: user.map(|u| Me {
                id: u.id,
                name: u.name.to_string(),
            }),
            rooms,
            with,
            moderator: access.may_moderate(),
            // The request's cookie says (the page's handler).
            dark: false,
        },
        readable: facts.filter(|_| access.may_read()),
    })
}

/// The page's data for `reader`: the room's recent history and markers from its memory
/// (starting the room if need be), or nothing for a room they may not read.
pub async fn page_data(
    state: &AppState,
    name: &RoomName,
    reader: PageReader,
) -> Result<RoomPageData> {
    let (history, receipts, topic) = match &reader.readable {
        Some(facts) => {
            let PageData {
                history,
                receipts,
                topic,
            } = state
                .hub
                .open_known(facts)
                .page_data(HISTORY_ON_PAGE as usize)
                .await
                .ok_or_else(|| Error::Conflict("The room is closing; try again.".into()))?;
            (history, receipts, topic)
        }
        None => (Vec::new(), Vec::new(), String::new()),
    };
    Ok(RoomPageData {
        room: name.to_string(),
        history,
        receipts,
        topic,
        viewer: reader.viewer,
    })
}

/// A room page's data, made by its handler before rendering (`provide_context`); the shell
/// renders the room from it.
#[derive(Clone)]
pub struct Prepared(pub std::sync::Arc<RoomPageData>);
