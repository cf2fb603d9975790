//! The emoji palette opened by the **Emoji** button; each emoji is a button named for it.

use leptos::prelude::*;

use crate::emoji::PALETTE;

#[component]
pub fn EmojiPicker(on_pick: Callback<&'static str>, hidden: Signal<bool>) -> impl IntoView {
    view! {
        <div id="emoji-picker" class="emoji-picker" role="group" aria-label="Emoji picker"
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
