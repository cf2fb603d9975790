//! The message box: **Message** (Enter sends, Shift+Enter makes a new line), **Emoji**,
//! and **Send**. Problems are shown with `role="alert"`; nothing typed is lost.
//!
//! After `@` it offers the room's members' names (`mention_list`).
//!
//! It also answers a message (**Reply** on one quotes it above the box, "Replying to
//! alice"; Esc or **Cancel reply** stops) and edits my messages: **Edit message** on one, or Up arrow in the empty box for my
//! latest, puts its text here; Enter (**Save**) saves, Esc (**Cancel**) leaves it as it was.

use leptos::{html, prelude::*};

use crate::{
    components::{
        emoji_picker::EmojiPicker,
        mention_list::{option_id, Key, MentionList, Suggest},
        quote::Replying,
    },
    state::room::RoomState,
};

#[component]
pub fn Composer() -> impl IntoView {
    let state = expect_context::<RoomState>();
    let text = RwSignal::new(String::new());
    let picker_open = RwSignal::new(false);
    let input = NodeRef::<html::Textarea>::new();
    let suggest = Suggest::default();

    let editing = state.editing;
    let focus = move || {
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };
    // A message to edit was picked: its text in the box.
    Effect::new(move |_| {
        let seq = editing.get();
        if seq > 0 {
            match state.my_text(seq) {
                Some((_, old)) => {
                    text.set(old);
                    focus();
                }
                None => editing.set(0),
            }
        }
    });
    // A message to answer was picked: the box takes the focus; editing stops it.
    Effect::new(move |_| {
        if state.replying.with(Option::is_some) {
            focus();
        }
    });
    Effect::new(move |_| {
        if editing.get() > 0 {
            state.replying.set(None);
        }
    });
    // The message being edited is marked in the log (`aria-current`); by its id, so the
    // log's rows carry nothing for it.
    Effect::new(move |before: Option<u64>| {
        let seq = editing.get();
        let row = |seq: u64| document().get_element_by_id(&format!("m-{seq}"));
        if let Some(el) = before.filter(|&b| b > 0).and_then(row) {
            let _ = el.remove_attribute("aria-current");
        }
        if let Some(el) = (seq > 0).then(|| row(seq)).flatten() {
            let _ = el.set_attribute("aria-current", "true");
        }
        seq
    });
    let stop_editing = move || {
        editing.set(0);
        text.set(String::new());
    };
    let submit = move || {
        let current = text.get_untracked();
        if current.trim().is_empty() {
            return;
        }
        let seq = editing.get_untracked();
        // An edit that changes nothing is not sent; the server decides on the rest.
        let done = if seq == 0 {
            state.send(&current)
        } else if state.my_text(seq).is_some_and(|(_, old)| old == current) {
            Ok(())
        } else {
            state.edit(seq, &current)
        };
        match done {
            Ok(()) => {
                text.set(String::new());
                editing.set(0);
                state.alert.set(None);
                picker_open.set(false);
            }
            // The text stays in the box so the person can shorten it.
            Err(e) => state.alert.set(Some(e.to_string())),
        }
    };
    // `@name ` in place of the `@` and what was typed after it.
    let complete = Callback::new(move |name: String| {
        if let Some(el) = input.get_untracked() {
            let (start, end) = suggest.range();
            let with = format!("@{name} ");
            let _ = el.set_range_text_with_start_and_end_and_mode(&with, start, end, "end");
            text.set(el.value());
            let _ = el.focus();
        }
        suggest.close();
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let key = ev.key();
        if !ev.is_composing() {
            match suggest.key(&key) {
                Key::Pick(name) => {
                    ev.prevent_default();
                    return complete.run(name);
                }
                Key::Done => return ev.prevent_default(),
                Key::Pass => {}
            }
        }
        if key == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        } else if key == "Escape" && editing.get_untracked() > 0 {
            stop_editing();
        } else if key == "Escape" && state.replying.with_untracked(Option::is_some) {
            state.replying.set(None);
        } else if key == "ArrowUp" && text.with_untracked(String::is_empty) {
            // My latest message, to edit.
            if let Some((seq, _)) = state.my_text(0) {
                ev.prevent_default();
                editing.set(seq);
            }
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
            <p class="editing" hidden=move || editing.get() == 0>
                "Editing message"
                <button type="button" on:click=move |_| {
                    stop_editing();
                    focus();
                }>"Cancel"</button>
            </p>
            <Replying on_cancel=Callback::new(move |()| focus()) />
            <MentionList suggest on_pick=complete />
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
                    aria-autocomplete="list"
                    aria-controls="mention-list"
                    aria-activedescendant=move || {
                        (!suggest.names.with(Vec::is_empty)).then(|| option_id(suggest.active.get()))
                    }
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        state.typing.mine(!value.trim().is_empty());
                        if let Some(el) = input.get_untracked() {
                            let caret = el.selection_start().ok().flatten().unwrap_or(0);
                            suggest.update(state, &value, caret);
                        }
                        text.set(value);
                    }
                    on:blur=move |_| suggest.close()
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
                    {move || if editing.get() > 0 { "Save" } else { "Send" }}
                </button>
            </div>
            // Always in the page, hidden while closed (a `<Show>` costs the client more).
            <EmojiPicker on_pick=insert hidden=Signal::derive(move || !picker_open.get())
                id="emoji-picker" />
        </form>
    }
}
