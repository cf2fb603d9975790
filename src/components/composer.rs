//! The message box: **Message** (Enter sends, Shift+Enter makes a new line), **Emoji**,
//! and **Send**. Problems are shown with `role="alert"`; nothing typed is lost.

use leptos::{html, prelude::*};

use crate::{components::emoji_picker::EmojiPicker, state::room::RoomState};

#[component]
pub fn Composer() -> impl IntoView {
    let state = expect_context::<RoomState>();
    let text = RwSignal::new(String::new());
    let picker_open = RwSignal::new(false);
    let input = NodeRef::<html::Textarea>::new();

    let submit = move || {
        let current = text.get_untracked();
        if current.trim().is_empty() {
            return;
        }
        match state.send(&current) {
            Ok(()) => {
                text.set(String::new());
                state.alert.set(None);
                picker_open.set(false);
            }
            // The text stays in the box so the person can shorten it.
            Err(e) => state.alert.set(Some(e.to_string())),
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submit();
    };
    let insert = Callback::new(move |emoji: &'static str| {
        if let Some(el) = input.get_untracked() {
            let start = el.selection_start().ok().flatten().unwrap_or(0);
            let end = el.selection_end().ok().flatten().unwrap_or(start);
            let _ = el.set_range_text_with_start_and_end_and_mode(emoji, start, end, "end");
            text.set(el.value());
            let _ = el.focus();
        }
    });
    let placeholder = format!("Message {}", state.label.get_value());

    view! {
        <form class="composer" on:submit=on_submit>
            <p class="form-error" role="alert">
                {move || state.alert.get()}
            </p>
            <div class="composer-row">
                <label for="message" class="sr-only">
                    "Message"
                </label>
                <textarea
                    id="message"
                    name="message"
                    rows="1"
                    placeholder=placeholder
                    node_ref=input
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        state.typing.mine(!value.trim().is_empty());
                        text.set(value);
                    }
                    on:keydown=on_keydown
                ></textarea>
                <button
                    type="button"
                    class="icon"
                    aria-label="Emoji"
                    aria-haspopup="true"
                    aria-expanded=move || picker_open.get().to_string()
                    aria-controls="emoji-picker"
                    on:click=move |_| picker_open.update(|o| *o = !*o)
                >
                    "😊"
                </button>
                <button type="submit" class="send">
                    "Send"
                </button>
            </div>
            <Show when=move || picker_open.get()>
                <EmojiPicker on_pick=insert />
            </Show>
        </form>
    }
}
