//! Browser notifications for mentions: once the person turned them on (**Notify me of
//! mentions**, which asks the browser's permission; never asked on load), a message from
//! someone else that calls them, or everyone, shows a notification while the tab is
//! hidden.

use leptos::prelude::{document, window};
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::{mention::calls, page::Me, protocol::Entry};

/// Older messages (a catch-up after a reconnection) notify nobody.
const FRESH_MS: f64 = 60_000.0;
/// The most of a message's text a notification shows.
const BODY_CHARS: usize = 200;

/// The browser's answer so far: `default` (not asked), `granted` or `denied`; empty where
/// the browser has no notifications (or not for this page).
pub fn permission() -> &'static str {
    if !supported() {
        return "";
    }
    name(Notification::permission())
}

/// Asks the browser for permission (from a click); the answer, as [`permission`] says it.
pub async fn ask() -> &'static str {
    if !supported() {
        return "";
    }
    let Ok(promise) = Notification::request_permission() else {
        return permission();
    };
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    permission()
}

fn supported() -> bool {
    js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false)
}

fn name(p: NotificationPermission) -> &'static str {
    match p {
        NotificationPermission::Granted => "granted",
        NotificationPermission::Denied => "denied",
        _ => "default",
    }
}

/// Shows `msg` if it calls `me` and they would not see it: the tab is hidden.
pub fn mention(me: &Me, msg: &Entry) {
    if !calls(me, msg)
        || !document().hidden()
        || js_sys::Date::now() - msg.ts.millis() as f64 > FRESH_MS
        || permission() != "granted"
    {
        return;
    }
    let title = match msg.room.starts_with("dm-") {
        true => format!("{} mentioned you", msg.author),
        false => format!("{} mentioned you in #{}", msg.author, msg.room),
    };
    let options = NotificationOptions::new();
    options.set_body(&msg.text.chars().take(BODY_CHARS).collect::<String>());
    // One per room at a time: a newer one replaces it.
    options.set_tag(&format!("cloud_msg:{}", msg.room));
    let _ = Notification::new_with_options(&title, &options);
}
