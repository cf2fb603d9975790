//! Browser-only code (feature `hydrate`): the socket, sign-in, and time zone.

pub mod api;
pub mod outbox;
pub mod socket;

use crate::timestamp::Timestamp;

/// The browser's offset east of UTC, in minutes, at `ts` (daylight saving included).
pub fn local_offset_minutes(ts: Timestamp) -> i32 {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts.millis() as f64));
    -(date.get_timezone_offset() as i32)
}
