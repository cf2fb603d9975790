//! UI components, one concept per file.

pub mod avatar;
pub mod chat_room;
pub mod composer;
pub mod connection_badge;
pub mod emoji_picker;
pub mod join_form;
pub mod member_list;
pub mod mention_list;
pub mod message_log;
pub mod message_row;
#[cfg(feature = "ssr")]
pub mod not_found;
pub mod notify_button;
pub mod open_room;
pub mod personal;
pub mod quote;
pub mod reactions;
pub mod room_list;
pub mod sign_out;
pub mod theme_toggle;
pub mod typing_line;
