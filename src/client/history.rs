//! Older messages, a page at a time, for a reader scrolling back past what the page holds.

use gloo_net::http::Request;

use crate::{
    protocol::{ApiError, Entry, HistoryPage},
    state::log_view::PAGE,
};

/// Up to a page of `room`'s messages just before `before`, oldest first.
pub async fn older(room: &str, before: u64) -> Result<Vec<Entry>, String> {
    let url = format!("/api/rooms/{room}/messages?before={before}&limit={PAGE}");
    let res = Request::get(&url)
        .send()
        .await
        .map_err(|_| "Older messages could not be loaded. Scroll up to try again.".to_owned())?;
    if res.ok() {
        let page: HistoryPage = res.json().await.map_err(|e| e.to_string())?;
        Ok(page.messages)
    } else {
        match res.json::<ApiError>().await {
            Ok(body) => Err(body.error),
            Err(_) => Err(format!(
                "Older messages could not be loaded ({}).",
                res.status()
            )),
        }
    }
}
