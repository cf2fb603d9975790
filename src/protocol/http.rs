//! The bodies of the HTTP API (`/api/...`): requests, answers and the error body.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entry::Entry;
use crate::timestamp::Timestamp;

/// Body of `POST /api/session`: a guest's display name, or an account's name and password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// One of my sessions, in `GET /api/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// What `DELETE /api/sessions/<id>` takes.
    pub id: String,
    /// The browser or client it was made with (its User-Agent).
    pub device: String,
    pub created_at: Timestamp,
    /// When it was last used (recorded at most once a day).
    pub last_seen: Timestamp,
    /// The session this request was made with.
    pub current: bool,
}

/// Body of `POST /api/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Body of `POST /api/accounts`: sign up (or, signed in as a guest of that name, claim it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRequest {
    pub name: String,
    pub password: String,
    /// The token of an invite link (`/invite/<token>`): required when the server admits
    /// by invitation; a room's link also makes the new account a member of the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<String>,
}

/// Answer of `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionResponse {
    pub user_id: Uuid,
    pub name: String,
    pub token: String,
}

/// `GET /api/rooms/<room>/messages?before=<seq>&limit=<n>`: up to `limit` (at most
/// `HISTORY_PAGE_MAX`) messages just before `before` (or the latest without it), oldest
/// first. An empty list: there is nothing older.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    pub messages: Vec<Entry>,
}

/// The most messages one history page holds.
pub const HISTORY_PAGE_MAX: u32 = 200;

/// `POST /api/bots` (the admin only): makes a bot account called `name`. The answer is a
/// [`SessionResponse`] whose `token` the bot signs in with (`Authorization: Bearer`); it
/// is shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BotRequest {
    /// 1–32 characters; owned like an account's name (no look-alikes).
    pub name: String,
}

/// `POST /api/rooms/<room>/messages`: posts `text` to the room, as the `send` frame does,
/// with the same idempotency (the same `client_id` again answers the same `seq`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// Chosen by the sender, new for each message (a UUID).
    pub client_id: Uuid,
    /// 1–4,000 characters; `:shortcodes:` become emoji.
    pub text: String,
    /// The `seq` of the message this one answers (it is quoted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<u64>,
}

/// The answer to `POST /api/rooms/<room>/messages`: where the message is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Posted {
    /// The message's place in the room (per room, gapless, from 1).
    pub seq: u64,
}

/// Body of every 4xx/5xx answer of the HTTP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub error: String,
}

/// Body of `POST /api/rooms`: a new room, public unless `private`, with a `topic` if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRequest {
    pub name: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub topic: String,
}

/// Answer of `POST /api/rooms` (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomCreated {
    pub name: String,
    pub private: bool,
    /// The topic as kept (trimmed, one line; "" for none).
    #[serde(default)]
    pub topic: String,
}

/// Body and answer of `PUT /api/rooms/<room>/topic`: the room's topic ("" clears it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicRequest {
    pub topic: String,
}

/// Body of `POST /api/rooms/<room>/members`: the account to add, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRequest {
    pub name: String,
}

/// Body of `POST /api/rooms/<room>/bans`: the person to ban, by id (as in receipts and
/// messages: guests' names are not unique).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRequest {
    pub user_id: Uuid,
}

/// One member, in `GET /api/rooms/<room>/members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberEntry {
    pub user_id: Uuid,
    pub name: String,
    /// `owner` or `member`.
    pub role: String,
}
