//! What the server renders into a room's first response, and writes into the page for the
//! browser to hydrate it with. Shared by the server, the components and the browser code,
//! below all three.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::protocol::{Entry, Receipt};

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
    /// Those of them that mention me (or everyone).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mentions: u64,
    /// Seen by its members only (a lock in the list).
    pub private: bool,
    /// A direct conversation with this person (listed under "Direct messages").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
    /// That person is online now: learnt by the browser from the room's `presence` (never
    /// in the page's data, which is rendered for every reader alike).
    #[serde(skip)]
    pub online: bool,
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
    pub history: Vec<Entry>,
    /// Members' delivery and read markers, for the status of my messages.
    pub receipts: Vec<Receipt>,
    /// The room's topic, shown in its header (empty: none).
    #[serde(default)]
    pub topic: String,
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

fn is_zero(n: &u64) -> bool {
    *n == 0
}
