//! The **Sign out** button: ends the session on the server (its sockets close too) and
//! shows the room as a visitor sees it.

use leptos::prelude::*;

#[component]
pub fn SignOut() -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            match crate::client::api::sign_out().await {
                Ok(()) => {
                    // Nothing of the session stays on the page.
                    let _ = window().location().reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <button type="button" class="sign-out" on:click=on_click>
            "Sign out"
        </button>
        {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
    }
}
