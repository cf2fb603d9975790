//! What the server renders into a room's first response, and the server function that
//! loads it. Shared by the server, the components and the browser code, below all three.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::{ChatMessage, Receipt};

/// Messages rendered into the first HTML response of a room.
pub const HISTORY_ON_PAGE: u32 = 50;

/// Rooms shown in the list at most (the socket joins each of them).
pub const MAX_ROOMS_LISTED: u32 = 50;

/// A room in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub name: String,
    /// Messages after my read marker.
    pub unread: u64,
    /// Seen by its members only (a lock in the list).
    pub private: bool,
    /// A direct conversation with this person (listed under "Direct messages").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
}

/// The signed-in person, as the page knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: Uuid,
    pub name: String,
}

/// What the server renders into a room's first response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomPageData {
    pub room: String,
    pub me: Option<Me>,
    pub history: Vec<ChatMessage>,
    /// Members' delivery and read markers, for the status of my messages.
    pub receipts: Vec<Receipt>,
    /// The rooms I am in (this one included), with unread counts.
    pub rooms: Vec<RoomSummary>,
    /// This room is a direct conversation with this person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// I may delete anyone's message here (an owner, or the admin in a public room).
    #[serde(default)]
    pub moderator: bool,
}

/// JSON read from text, as the page's hydration data is: the browser then carries one
/// `serde_json` reader per type instead of two (the server function's default reads bytes),
/// which keeps the WASM budget.
pub struct JsonText;

mod json_text {
    use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
    use serde::{de::DeserializeOwned, Serialize};

    impl ContentType for super::JsonText {
        const CONTENT_TYPE: &'static str = "application/json";
    }

    impl FormatType for super::JsonText {
        const FORMAT_TYPE: Format = Format::Text;
    }

    impl<T: Serialize> Encodes<T> for super::JsonText {
        type Error = serde_json::Error;

        fn encode(output: &T) -> Result<leptos::server_fn::Bytes, Self::Error> {
            serde_json::to_vec(output).map(leptos::server_fn::Bytes::from)
        }
    }

    impl<T: DeserializeOwned> Decodes<T> for super::JsonText {
        type Error = serde_json::Error;

        fn decode(bytes: leptos::server_fn::Bytes) -> Result<T, Self::Error> {
            serde_json::from_str(&String::from_utf8_lossy(&bytes))
        }
    }
}

/// Loads a room page: who is asking (from the session cookie) and the recent history.
#[server(output = leptos::server_fn::codec::Post<JsonText>)]
pub async fn load_room(room: String) -> Result<RoomPageData, ServerFnError> {
    use crate::{server::AppState, validation::RoomName};
    let state =
        use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state is missing"))?;
    let name = RoomName::parse(&room).map_err(|e| ServerFnError::new(e.to_string()))?;
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let store = &state.store;
    let internal = |e: crate::server::Error| {
        tracing::error!(error = %e, "room page failed");
        ServerFnError::new("the room could not be loaded")
    };
    let user = crate::server::session::authenticate(store, &headers)
        .await
        .map_err(internal)?;
    let me = user.as_ref().map(|u| Me {
        id: u.id,
        name: u.name.to_string(),
    });
    let mine = match &user {
        Some(user) => store
            .rooms_of(user, MAX_ROOMS_LISTED)
            .await
            .map_err(internal)?,
        None => Vec::new(),
    };
    // History and markers come from the room's memory (starting the room if it exists;
    // a room that does not exist is shown empty and is not created by looking at it),
    // for whoever may read it: a private room one is not in looks like a missing room.
    // `access::decide` rules; for a room in the person's list (the common case) its facts
    // are their membership, known already, so the page costs no query more.
    use crate::server::{access, model::RoomFacts};
    let (facts, access) = match (mine.iter().find(|r| r.name == name), user.is_some()) {
        (Some(r), true) => match state.hub.open(&name).await.map_err(internal)? {
            Some(handle) => {
                use crate::server::model::Role;
                // The admin moderates a public room they are a plain member of (the flag
                // comes with the session: no query).
                let admin = user.as_ref().is_some_and(|u| u.admin)
                    && r.role == Role::Member
                    && !handle.room.private;
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
            None => (None, access::Access::Hidden),
        },
        _ => access::check(store, user.as_ref(), &name)
            .await
            .map_err(internal)?,
    };
    let moderator = access.may_moderate();
    let readable = facts.filter(|_| access.may_read());
    let (history, receipts) = match readable.map(|f| state.hub.open_known(&f)) {
        Some(room) => {
            let crate::server::hub::PageData { history, receipts } = room
                .page_data(HISTORY_ON_PAGE as usize)
                .await
                .ok_or_else(|| ServerFnError::new("the room is closing; try again"))?;
            (history, receipts)
        }
        None => (Vec::new(), Vec::new()),
    };
    let mut rooms: Vec<RoomSummary> = mine
        .into_iter()
        .map(|r| RoomSummary {
            name: r.name.to_string(),
            unread: r.unread,
            private: r.private,
            with: r.with,
        })
        .collect();
    if !rooms.iter().any(|r| r.name == name.as_str()) {
        rooms.push(RoomSummary {
            name: name.to_string(),
            unread: 0,
            private: false,
            with: None,
        });
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let with = rooms
        .iter()
        .find(|r| r.name == name.as_str())
        .and_then(|r| r.with.clone());
    Ok(RoomPageData {
        room: name.to_string(),
        me,
        history,
        receipts,
        rooms,
        with,
        moderator,
    })
}
