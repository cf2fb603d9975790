//! cloud_msg: a self-hosted, real-time group chat in one Rust binary.
//!
//! Shared by the server (feature `ssr`) and the browser client (feature `hydrate`):
//! the protocol, validation rules, the log layout and the UI components.

#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod delivery;
pub mod emoji;
pub mod escape;
pub mod grouping;
pub mod mention;
pub mod page;
pub mod protocol;
pub mod room_log;
pub mod state;
pub mod timestamp;
pub mod url_path;
pub mod validation;

#[cfg(feature = "hydrate")]
pub mod client;

#[cfg(feature = "ssr")]
pub mod server;

/// Browser entry point: hydrate the server-rendered room with the data written into the
/// page. A page without it (an unknown address) has nothing to hydrate.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(json) = leptos::prelude::document()
        .get_element_by_id(app::PAGE_DATA)
        .and_then(|script| script.text_content())
    else {
        return;
    };
    match serde_json::from_str::<page::RoomPageData>(&json) {
        Ok(data) => leptos::mount::hydrate_body(move || app::App(app::AppProps { data })),
        Err(e) => leptos::logging::error!("the page's data could not be read: {e}"),
    }
}
