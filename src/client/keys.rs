//! Keyboard shortcuts in a room: Alt+↑ / Alt+↓ go to the room above or below in the room
//! list, Ctrl+K (⌘K) jumps to a room by name (the **Open a room** box), and Esc marks the
//! room read (back to the latest message, which the read marker follows).

use leptos::{ev, prelude::*};
use wasm_bindgen::JsCast;

use crate::state::room::RoomState;

/// Listens while the room is on the page. `menu` is the phone's drawer, opened for Ctrl+K.
pub fn listen(state: RoomState, menu: RwSignal<bool>) {
    let keys = window_event_listener(ev::keydown, move |e| {
        let key = e.key();
        if (e.ctrl_key() || e.meta_key()) && key.eq_ignore_ascii_case("k") {
            e.prevent_default();
            menu.set(true);
            if let Some(input) = document()
                .get_element_by_id("open-room")
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = input.focus();
            }
        } else if e.alt_key() && (key == "ArrowUp" || key == "ArrowDown") {
            e.prevent_default();
            if let Some(to) = neighbour(state, key == "ArrowDown") {
                let _ = window().location().set_href(&format!("/r/{to}"));
            }
        } else if key == "Escape" {
            state.show_latest();
        }
    });
    on_cleanup(move || keys.remove());
}

/// The room after (or before) this one, in the list's order: rooms, then conversations.
fn neighbour(state: RoomState, down: bool) -> Option<String> {
    let here = state.room.get_value();
    state.rooms.with_untracked(|rooms| {
        let listed: Vec<&str> = rooms
            .iter()
            .filter(|r| r.with.is_none())
            .chain(rooms.iter().filter(|r| r.with.is_some()))
            .map(|r| r.name.as_str())
            .collect();
        let at = listed.iter().position(|r| *r == here)?;
        let to = if down { at + 1 } else { at.checked_sub(1)? };
        listed.get(to).map(|r| r.to_string())
    })
}
