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
    pub history: Vec<ChatMessage>,
    /// Members' delivery and read markers, for the status of my messages.
    pub receipts: Vec<Receipt>,
    /// Who is looking, and what only they see. Last, and nothing else in the page depends
    /// on it until hydration but the sidebar: the server renders a room once for all its
    /// readers and puts each one's part in (`server::pages`).
    pub viewer: Viewer,
}

/// The part of a room page that is the reader's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub me: Option<Me>,
    /// The rooms I am in (this one included), with unread counts.
    pub rooms: Vec<RoomSummary>,
    /// This room is a direct conversation with this person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// I may delete anyone's message here (an owner, or the admin in a public room).
    #[serde(default)]
    pub moderator: bool,
    /// I picked the dark theme (the **Dark theme** toggle is pressed).
    #[serde(default)]
    pub dark: bool,
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

/// Loads a room page: who is asking (from the session cookie) and the recent history. The
/// room page's handler has it ready for its own rendering (`server::pages`).
#[server(output = leptos::server_fn::codec::Post<JsonText>)]
pub async fn load_room(room: String) -> Result<RoomPageData, ServerFnError> {
    use crate::{server::AppState, validation::RoomName};
    let state =
        use_context::<AppState>().ok_or_else(|| ServerFnError::new("server state is missing"))?;
    let name = RoomName::parse(&room).map_err(|e| ServerFnError::new(e.to_string()))?;
    if let Some(data) = crate::server::pages::prepared(&name) {
        return Ok(data);
    }
    let headers: axum::http::HeaderMap = leptos_axum::extract().await?;
    let internal = |e: crate::server::Error| {
        tracing::error!(error = %e, "room page failed");
        ServerFnError::new("the room could not be loaded")
    };
    let user = crate::server::session::authenticate(&state.store, &headers)
        .await
        .map_err(internal)?;
    let mut reader = crate::server::pages::reader(&state, user.as_ref(), &name)
        .await
        .map_err(internal)?;
    use crate::server::theme::Theme;
    reader.viewer.dark = Theme::of(&headers) == Theme::Dark;
    crate::server::pages::page_data(&state, &name, reader)
        .await
        .map_err(internal)
}
