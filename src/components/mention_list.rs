//! Completing a name after `@` in the message box: a list (`role="listbox"`, named
//! **Mention suggestions**) of the room's members whose name starts with what was typed,
//! and `room` for everyone. ↑/↓ pick, Enter or Tab completes, Esc closes; a click on a name
//! completes it too. The message box points at the list and its picked option
//! (`aria-controls`, `aria-activedescendant`), and keeps the focus.

use leptos::prelude::*;

use crate::{
    escape::text_html,
    mention::{byte_index, candidates, typed_at, utf16_index},
    state::room::RoomState,
};

/// What is offered, and where the `@name` being typed is (UTF-16 offsets in the box).
#[derive(Clone, Copy)]
pub struct Suggest {
    pub names: RwSignal<Vec<String>>,
    pub active: RwSignal<usize>,
    range: StoredValue<(u32, u32)>,
}

/// What a key did while names are offered.
pub enum Key {
    /// Complete with this name.
    Pick(String),
    /// Handled (moved, or closed).
    Done,
    /// Not for the list.
    Pass,
}

impl Default for Suggest {
    fn default() -> Self {
        Self {
            names: RwSignal::new(Vec::new()),
            active: RwSignal::new(0),
            range: StoredValue::new((0, 0)),
        }
    }
}

impl Suggest {
    /// Looks at the box's `text` and `caret` (UTF-16) after each change.
    pub fn update(&self, state: RoomState, text: &str, caret: u32) {
        let at = byte_index(text, caret);
        let names = match typed_at(text, at) {
            Some((start, typed)) => {
                self.range.set_value((utf16_index(text, start), caret));
                let me = state
                    .me
                    .with_untracked(|me| me.as_ref().map(|me| me.name.clone()))
                    .unwrap_or_default();
                state.members.with_value(|members| {
                    candidates(typed, members.iter().map(String::as_str), &me)
                })
            }
            None => Vec::new(),
        };
        if self.names.with_untracked(|offered| *offered != names) {
            self.active.set(0);
            self.names.set(names);
        }
    }

    pub fn close(&self) {
        self.names.set(Vec::new());
    }

    /// Where the `@name` being typed is: replaced by the completion.
    pub fn range(&self) -> (u32, u32) {
        self.range.get_value()
    }

    pub fn key(&self, key: &str) -> Key {
        let n = self.names.with_untracked(Vec::len);
        if n == 0 {
            return Key::Pass;
        }
        match key {
            "ArrowDown" => self.active.update(|a| *a = (*a + 1) % n),
            "ArrowUp" => self.active.update(|a| *a = (*a + n - 1) % n),
            "Enter" | "Tab" => {
                let name = self
                    .names
                    .with_untracked(|names| names.get(self.active.get_untracked()).cloned());
                return name.map_or(Key::Pass, Key::Pick);
            }
            "Escape" => self.close(),
            _ => return Key::Pass,
        }
        Key::Done
    }
}

/// The id of the picked option (for the box's `aria-activedescendant`).
pub fn option_id(i: usize) -> String {
    format!("mention-{i}")
}

/// The options as HTML, names escaped: one `innerHTML` costs the client less than a view
/// per option (about 10 KB less).
fn options_html(names: &[String], active: usize) -> String {
    let mut html = String::new();
    for (i, name) in names.iter().enumerate() {
        html.push_str(&format!(
            r#"<li role="option" id="{}" aria-selected="{}" data-i="{i}">@"#,
            option_id(i),
            i == active
        ));
        html.push_str(&text_html(name));
        html.push_str("</li>");
    }
    html
}

#[component]
pub fn MentionList(suggest: Suggest, on_pick: Callback<String>) -> impl IntoView {
    let on_mousedown = move |ev: leptos::ev::MouseEvent| {
        // Keeps the focus in the box.
        ev.prevent_default();
        let picked = event_target::<web_sys::Element>(&ev)
            .closest("li")
            .ok()
            .flatten()
            .and_then(|li| li.get_attribute("data-i"))
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| suggest.names.with_untracked(|names| names.get(i).cloned()));
        if let Some(name) = picked {
            on_pick.run(name);
        }
    };
    view! {
        <ul class="mentions-list" id="mention-list" role="listbox" aria-label="Mention suggestions"
            hidden=move || suggest.names.with(Vec::is_empty)
            inner_html=move || suggest.names.with(|names| options_html(names, suggest.active.get()))
            on:mousedown=on_mousedown>
        </ul>
    }
}
