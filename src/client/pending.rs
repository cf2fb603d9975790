//! My pending messages survive reloads and closed tabs: they are mirrored to
//! `localStorage` and sent again (same `client_id`) when the room opens next.

use crate::protocol::Entry;

fn key(room: &str) -> String {
    // The key keeps its first name, so messages saved before the rename are still found.
    format!("cloud_msg.outbox.v1.{room}")
}

fn storage() -> Option<web_sys::Storage> {
    leptos::prelude::window().local_storage().ok().flatten()
}

/// The messages saved for `room`.
pub fn load(room: &str) -> Vec<Entry> {
    storage()
        .and_then(|s| s.get_item(&key(room)).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// Replaces what is saved for `room` with `pending`.
pub fn save(room: &str, pending: &[Entry]) {
    let Some(storage) = storage() else { return };
    let _ = if pending.is_empty() {
        storage.remove_item(&key(room))
    } else {
        let json = serde_json::to_string(pending).expect("messages serialise");
        storage.set_item(&key(room), &json)
    };
}
