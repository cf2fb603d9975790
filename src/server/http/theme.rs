//! The colour theme a person picked: light, dark, or (no cookie) the system's. It is kept
//! in a cookie, so the server writes it on the page's `<html data-theme>` and nothing
//! flashes; `POST /theme` is the sidebar's **Dark theme** toggle, a plain form.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use serde::Deserialize;

use crate::{
    server::{AppState, Error, Result},
    validation::RoomName,
};

const COOKIE_NAME: &str = "cloud_msg_theme";
/// A year: a choice of colours outlives sessions.
const COOKIE_MAX_AGE_SECS: u64 = 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(Self::System),
            "light" => Some(Self::Light),
            "dark" => Some(Self::Dark),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The theme the request's cookie names (the system's without one, or with a value
    /// that is not a theme).
    pub fn of(headers: &HeaderMap) -> Self {
        crate::server::infra::headers::cookie(headers, COOKIE_NAME)
            .and_then(Self::parse)
            .unwrap_or_default()
    }

    /// The `data-theme` attribute, as the shell writes it on `<html>`.
    pub fn attribute(self) -> String {
        format!(r#"data-theme="{}""#, self.as_str())
    }
}

tokio::task_local! {
    static CURRENT: Theme;
}

/// Middleware: the request's theme, for the pages written without its headers at hand
/// (the form pages: [`current`]).
pub async fn scope(req: Request, next: Next) -> Response {
    let theme = Theme::of(req.headers());
    CURRENT.scope(theme, next.run(req)).await
}

/// The theme of the request being answered (the system's outside one).
pub fn current() -> Theme {
    CURRENT.try_with(|t| *t).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct ThemeForm {
    theme: String,
    room: String,
}

/// `POST /theme`: keeps the theme in a cookie (the system's: no cookie) and goes back to
/// the room.
pub async fn set(State(state): State<AppState>, Form(form): Form<ThemeForm>) -> Result<Response> {
    let room = RoomName::parse(&form.room)?;
    let theme = Theme::parse(&form.theme)
        .ok_or_else(|| Error::BadRequest("The theme is light, dark or system.".into()))?;
    let secure = if state.config.behind_tls() {
        "; Secure"
    } else {
        ""
    };
    let cookie = match theme {
        Theme::System => format!("{COOKIE_NAME}=; Path=/; SameSite=Lax; Max-Age=0{secure}"),
        _ => format!(
            "{COOKIE_NAME}={}; Path=/; SameSite=Lax; Max-Age={COOKIE_MAX_AGE_SECS}{secure}",
            theme.as_str()
        ),
    };
    let mut res = Redirect::to(&format!("/r/{room}")).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("a valid header value"),
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_theme_and_anything_else_is_the_systems() {
        let headers = |cookie: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
            h
        };
        assert_eq!(Theme::of(&HeaderMap::new()), Theme::System);
        assert_eq!(
            Theme::of(&headers("a=b; cloud_msg_theme=dark")),
            Theme::Dark
        );
        assert_eq!(Theme::of(&headers("cloud_msg_theme=light")), Theme::Light);
        assert_eq!(
            Theme::of(&headers("cloud_msg_theme=\"><script>")),
            Theme::System
        );
        assert_eq!(Theme::Dark.attribute(), r#"data-theme="dark""#);
        assert_eq!(current(), Theme::System, "outside a request");
    }
}
