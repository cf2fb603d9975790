//! The rooms I am in, with unread counts (and, apart, how many of those mention me) for
//! those I am not looking at; a direct conversation's person has a dot while online.

use leptos::prelude::*;

use crate::page::RoomSummary;

/// `rooms` as listed, `here` the room on the page.
#[component]
pub fn RoomList(rooms: RwSignal<Vec<RoomSummary>>, here: String) -> impl IntoView {
    let here = StoredValue::new(here);
    // Rooms, then direct conversations (by the other person's name).
    let listed = move |direct: bool| {
        move || {
            let mut rooms = rooms.get();
            rooms.retain(|r| r.with.is_some() == direct);
            rooms
        }
    };
    let entry = move |r: RoomSummary| {
        let here = here.with_value(|h| *h == r.name);
        let unread = (r.unread > 0 && !here).then_some(r.unread);
        let mentions = (r.mentions > 0 && !here).then_some(r.mentions);
        let (mark, label) = match r.with {
            Some(with) => ("@", with),
            None => ("#", r.name.clone()),
        };
        // The other person of a direct conversation, online now (a dot): known only in the
        // browser, so the server's page never says it.
        let who = match r.online {
            true => format!("{label}, online"),
            false => label.clone(),
        };
        let aria_label = match (unread, mentions) {
            (Some(n), Some(m)) => Some(format!("{who}, {n} unread, {m} mentioning you")),
            (Some(n), None) => Some(format!("{who}, {n} unread")),
            (None, _) => r.online.then_some(who),
        };
        view! {
            <li>
                <a
                    href=format!("/r/{}", r.name)
                    aria-label=aria_label
                    aria-current=here.then_some("page")
                    class:unread=unread.is_some()
                    class:private=r.private
                    class:online=r.online
                >
                    <span aria-hidden="true">{mark}</span>
                    {label.clone()}
                    {unread
                        .map(|n| {
                            view! {
                                <span class="count">
                                    {n}
                                </span>
                            }
                        })}
                    {mentions.map(|n| view! { <span class="count mentions">{format!("@{n}")}</span> })}
                </a>
            </li>
        }
    };
    view! {
        <nav class="rooms" aria-label="Rooms">
            <h2>"Rooms"</h2>
            <ul>
                <For each=listed(false) key=|r| (r.name.clone(), r.unread, r.mentions) children=entry />
            </ul>
            <h2>"Direct messages"</h2>
            <ul aria-label="Direct messages">
                <For each=listed(true) key=|r| (r.name.clone(), r.unread, r.mentions, r.online) children=entry />
            </ul>
        </nav>
    }
}
