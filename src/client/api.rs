//! HTTP calls from the browser.

use gloo_net::http::Request;

use crate::{
    page::Me,
    protocol::{ApiError, SessionRequest, SessionResponse},
};

/// `POST /api/session`: signs in as `name`; the server sets the session cookie.
pub async fn create_session(name: &str) -> Result<Me, String> {
    let unreachable = |_| "The server could not be reached. Try again.".to_owned();
    let res = Request::post("/api/session")
        .json(&SessionRequest {
            name: name.to_owned(),
            password: None,
        })
        .map_err(|e| e.to_string())?
        .send()
        .await
        .map_err(unreachable)?;
    if res.ok() {
        let body: SessionResponse = res.json().await.map_err(|e| e.to_string())?;
        Ok(Me {
            id: body.user_id,
            name: body.name,
        })
    } else {
        match res.json::<ApiError>().await {
            Ok(body) => Err(body.error),
            Err(_) => Err(format!("Sign-in failed ({}).", res.status())),
        }
    }
}
