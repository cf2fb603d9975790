//! A room: the sidebar, the header, the message log, and the composer (or the join form
//! for visitors). Its state lives in `state::room`.

use leptos::prelude::*;

use crate::{
    components::{
        composer::Composer, connection_badge::ConnectionBadge, join_form::JoinForm,
        member_list::MemberList, message_log::MessageLog, notify_button::NotifyButton,
        open_room::OpenRoom, personal::Personal, typing_line::TypingLine,
    },
    page::RoomPageData,
    state::room::RoomState,
};

#[component]
pub fn ChatRoom(data: RoomPageData) -> impl IntoView {
    let room = data.room.clone();
    let dark = data.viewer.dark;
    let state = RoomState::new(data);
    // `#room`, or `@name` for a direct conversation: the mark is not read out.
    let label = state.label.get_value();
    let (mark, title) = label.split_at(1);
    let (mark, title) = (mark.to_owned(), title.to_owned());
    provide_context(state);

    #[cfg(feature = "hydrate")]
    Effect::new(move |started: Option<bool>| {
        if started == Some(true) {
            return true;
        }
        let signed_in = state.me.with(Option::is_some);
        if signed_in {
            crate::client::socket::start(state);
        }
        signed_in
    });

    // On a phone the sidebar is a drawer, opened by **Menu** and closed by **Close menu**,
    // Esc, a tap on the dimmed room beside it, or going to another room.
    let menu = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    crate::client::keys::listen(state, menu);
    // Another room has an unread mention: a dot on **Menu** (a phone's only sign of it).
    // The reader's own, so once hydrated (the server renders the page for all readers).
    let hydrated = expect_context::<crate::state::Hydrated>().0;
    let mentioned = move || {
        hydrated.get()
            && state.room.with_value(|here| {
                state
                    .rooms
                    .with(|rooms| rooms.iter().any(|r| r.mentions > 0 && r.name != *here))
            })
    };
    // On a screen 701–1099 px wide the members are a drawer at the right, opened by the
    // header's **Members** button (narrower, its link goes to the members page; wider, the
    // list is always there).
    let members = RwSignal::new(false);
    let close_on_esc = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            menu.set(false);
        }
    };
    view! {
        <div class="app" class:menu-open=move || menu.get() class:members-open=move || members.get()>
            <aside class="sidebar" id="sidebar" on:keydown=close_on_esc>
                <button class="menu-close" aria-label="Close menu" on:click=move |_| menu.set(false)>
                    "×"
                </button>
                <a class="brand" href="/r/general">
                    "cloud_msg"
                </a>
                // Finds messages in every room the reader may read (a page of the server's).
                <form class="search" method="get" action="/search" role="search">
                    <input type="search" name="q" aria-label="Search" placeholder="Search messages" maxlength="200" />
                    <input type="hidden" name="room" value=room.clone() />
                </form>
                <OpenRoom />
                <a class="browse" href=format!("/rooms?room={room}") rel="external">
                    "Browse rooms"
                </a>
                <Personal rooms=state.rooms me=state.me room=room.clone() dark />
                <NotifyButton />
            </aside>
            <div class="scrim" aria-hidden="true" on:click=move |_| menu.set(false)></div>
            <main class="chat">
                <header class="topbar">
                    <button class="menu-button" aria-controls="sidebar"
                        class:mentioned=mentioned
                        aria-expanded=move || menu.get().to_string() on:click=move |_| menu.update(|m| *m = !*m)>
                        "Menu"
                    </button>
                    <div class="room-heading">
                        <h1 class="room-title">
                            <span aria-hidden="true">{mark}</span>
                            {title}
                        </h1>
                        // Text, hidden while there is none.
                        <p class="topic" hidden=move || state.topic.with(String::is_empty)>
                            {move || state.topic.get()}
                        </p>
                    </div>
                    <a class="members-link" href=format!("/r/{room}/members") rel="external">
                        "Members"
                    </a>
                    <button type="button" class="members-toggle" id="members-toggle"
                        aria-controls="member-list"
                        aria-expanded=move || members.get().to_string()
                        on:click=move |_| members.update(|m| *m = !*m)>
                        "Members"
                    </button>
                    <ConnectionBadge status=state.status />
                </header>
                <MessageLog />
                <TypingLine />
                // The message box once signed in, else the join form (set once, at sign-in; a
                // closure costs the client less than a `<Show>`).
                {move || {
                    if state.me.with(Option::is_some) {
                        view! { <Composer /> }.into_any()
                    } else {
                        view! { <JoinForm /> }.into_any()
                    }
                }}
            </main>
            <MemberList open=members />
        </div>
    }
}
