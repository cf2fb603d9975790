//! A message's reactions: a chip per emoji whose text is the emoji and its count ("👍 2"),
//! pressed when one of them is mine, its title saying who reacted; a click gives or takes
//! back mine. **Add reaction** opens the emoji picker as a popover; Esc closes it.

use leptos::{ev, html, prelude::*};

use crate::{
    components::emoji_picker::EmojiPicker,
    protocol::Reaction,
    state::{room::RoomState, Hydrated},
};

/// The chips of the message stored as `seq`.
#[component]
pub fn Reactions(seq: u64, reactions: Vec<Reaction>) -> impl IntoView {
    let state = expect_context::<RoomState>();
    let hydrated = expect_context::<Hydrated>().0;
    view! {
        <div class="reactions">
            {reactions
                .into_iter()
                .map(|r| {
                    let title = r.names.join(", ");
                    let label = format!("{} {}", r.emoji, r.by.len());
                    // Mine: once hydrated (the server renders one page for every reader).
                    let by = r.by;
                    let mine = move || {
                        hydrated.get()
                            && state.me.with(|me| me.as_ref().is_some_and(|me| by.contains(&me.id)))
                    };
                    let emoji = r.emoji;
                    let toggle = {
                        let mine = mine.clone();
                        move |_| state.react(seq, &emoji, mine())
                    };
                    view! {
                        <button type="button" class="chip" title=title
                            aria-pressed=move || if mine() { "true" } else { "false" }
                            disabled=move || !hydrated.get() || state.me.with(Option::is_none)
                            on:click=toggle>
                            {label}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// **Add reaction** and its picker, for the message stored as `seq`.
#[component]
pub fn AddReaction(seq: u64) -> impl IntoView {
    let state = expect_context::<RoomState>();
    let open = RwSignal::new(false);
    let button = NodeRef::<html::Button>::new();
    // Picking an emoji I gave already takes it back, as its chip would.
    let pick = Callback::new(move |emoji: &'static str| {
        open.set(false);
        let me = state.me.get_untracked().map(|me| me.id);
        let mine = state.log.with_value(|l| {
            l.message(seq).is_some_and(|m| {
                m.reactions
                    .iter()
                    .any(|r| r.emoji == emoji && me.is_some_and(|me| r.by.contains(&me)))
            })
        });
        state.react(seq, emoji, mine);
        if let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    });
    let close_on_esc = move |e: ev::KeyboardEvent| {
        if e.key() == "Escape" && open.get_untracked() {
            e.stop_propagation();
            open.set(false);
            if let Some(b) = button.get_untracked() {
                let _ = b.focus();
            }
        }
    };
    view! {
        <span class="add-reaction" on:keydown=close_on_esc>
            <button type="button" node_ref=button aria-label="Add reaction" title="Add reaction"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                on:click=move |_| open.update(|o| *o = !*o)>
                "☺+"
            </button>
            {move || open.get().then(|| view! {
                <EmojiPicker on_pick=pick hidden=Signal::derive(|| false) label="Pick a reaction" />
            })}
        </span>
    }
}
