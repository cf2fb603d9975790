//! The app: a room's page. Moving to another room is a page load (the server renders every
//! room), so the browser carries no router: it hydrates the room the page holds, from the
//! data the server wrote into it. The HTML document around it is the server's
//! (`server::http::pages::shell`).

use leptos::prelude::*;

use crate::{components::chat_room::ChatRoom, page::RoomPageData, state::Hydrated};

/// The id of the script element holding a room page's data (JSON) for hydration.
pub const PAGE_DATA: &str = "page-data";

/// A room's page; the browser hydrates it with the data the server wrote into the page.
#[component]
pub fn App(data: RoomPageData) -> impl IntoView {
    // Flips once the browser has hydrated: from then on times are shown in local time.
    let hydrated = Hydrated(RwSignal::new(false));
    provide_context(hydrated);
    Effect::new(move |_| {
        hydrated.0.set(true);
        // Lets browser tests wait for hydration.
        #[cfg(feature = "hydrate")]
        let _ = js_sys::Reflect::set(&window(), &"__cloud_msg_hydrated".into(), &true.into());
    });
    view! { <ChatRoom data /> }
}

/// The title of the page at `path`: `#room · cloud_msg` for a room, else what the page says.
/// Only a valid room name goes into it. The shell writes it (escaped).
pub fn page_title(path: &str) -> String {
    match path.strip_prefix("/r/") {
        Some(room) => match crate::validation::RoomName::parse(room) {
            Ok(room) => format!("#{room} · cloud_msg"),
            Err(_) => "No such room · cloud_msg".to_owned(),
        },
        None => "Not found · cloud_msg".to_owned(),
    }
}
