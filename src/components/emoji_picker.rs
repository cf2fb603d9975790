//! The emoji palette opened by the composer's **Emoji** button and by a message's **Add
//! reaction**; each emoji is a button named for it.

use leptos::prelude::*;

use crate::emoji::PALETTE;

#[component]
pub fn EmojiPicker(
    on_pick: Callback<&'static str>,
    hidden: Signal<bool>,
    /// The group's name (and the composer's picker's id, which its button controls).
    #[prop(default = "Emoji picker")]
    label: &'static str,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    view! {
        <div id=id class="emoji-picker" role="group" aria-label=label
            hidden=move || hidden.get()>
            {PALETTE
                .iter()
                .map(|&(emoji, name)| {
                    view! {
                        <button
                            type="button"
                            aria-label=name
                            title=name
                            on:click=move |_| on_pick.run(emoji)
                        >
                            {emoji}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}
