//! Replies: the quote a reply shows above its text (the author and first line of the
//! message it answers, a button named "Go to alice's message" that scrolls to it and marks
//! it), and the strip above the composer while I write one ("Replying to alice", an
//! excerpt, **Cancel reply**).

use leptos::prelude::*;

use crate::{protocol::Quote, state::room::RoomState};

/// What a quote shows of its message's words.
fn excerpt(quote: &Quote) -> String {
    if quote.text.is_empty() {
        "Message deleted".to_owned()
    } else {
        quote.text.clone()
    }
}

/// The quote in a reply.
#[component]
pub fn QuoteLine(quote: Quote) -> impl IntoView {
    let label = format!("Go to {}'s message", quote.author);
    let text = excerpt(&quote);
    let title = text.clone();
    let deleted = quote.text.is_empty();
    let id = format!("m-{}", quote.seq);
    // Shown and marked (`:target`); the log fetches it first if it is older than the page.
    let go = move |_| {
        if let Some(el) = document().get_element_by_id(&id) {
            el.scroll_into_view();
        }
        let _ = window().location().set_hash(&id);
    };
    view! {
        <button type="button" class="quote" aria-label=label title=title on:click=go>
            <bdi class="author">{quote.author}</bdi>
            " "
            <span class:deleted=deleted>{text}</span>
        </button>
    }
}

/// "Replying to alice" above the composer, while my next message answers one.
#[component]
pub fn Replying(on_cancel: Callback<()>) -> impl IntoView {
    let state = expect_context::<RoomState>();
    let replying = state.replying;
    let author = move || replying.with(|q| q.as_ref().map(|q| q.author.clone()));
    let text = move || replying.with(|q| q.as_ref().map(excerpt));
    view! {
        <div class="replying" hidden=move || replying.with(Option::is_none)>
            <span class="to">"Replying to " <bdi>{author}</bdi></span>
            <span class="excerpt">{text}</span>
            <button type="button" on:click=move |_| {
                replying.set(None);
                on_cancel.run(());
            }>"Cancel reply"</button>
        </div>
    }
}
