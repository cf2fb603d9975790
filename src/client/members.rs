//! The member list's rows (`components::member_list` is their frame): written into the
//! page as HTML when a `presence` comes, names escaped as a message's text is. Online
//! people first, with a dot and "online" for screen readers; the others greyed.
//!
//! Nothing else in the room reads the list, so it is neither a signal nor a view: a
//! reactive view per row cost the WASM budget about 4 KB, a signal and an effect about 1.

use leptos::prelude::{document, SetValue, WithValue};

use crate::{escape::text_html, protocol::Presence, state::room::RoomState};

/// Shows `p` if it is the room's.
pub fn show(state: RoomState, p: &Presence) {
    if state.room.with_value(|room| *room != p.room) {
        return;
    }
    state.members.set_value(p.members.clone());
    let doc = document();
    if let Some(rows) = doc.get_element_by_id("member-rows") {
        rows.set_inner_html(&rows_html(p));
    }
    if let Some(count) = doc.get_element_by_id("members-online") {
        count.set_text_content(Some(&format!("{} online", p.online)));
    }
}

fn rows_html(p: &Presence) -> String {
    let mut html = String::new();
    for (name, on) in p.people() {
        html.push_str(match on {
            true => r#"<li class="online"><span class="dot" aria-hidden="true"></span>"#,
            false => r#"<li><span class="dot" aria-hidden="true"></span>"#,
        });
        html.push_str(&text_html(name));
        html.push_str(match on {
            true => r#"<span class="sr-only"> online</span></li>"#,
            false => "</li>",
        });
    }
    html
}
