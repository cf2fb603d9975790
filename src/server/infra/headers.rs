//! Security headers on every response, and the cross-site check on every request that
//! changes something.
//!
//! Every HTML response carries a strict Content-Security-Policy whose script nonce is new
//! for each response: only the hydration scripts the server wrote run. A `304 Not
//! Modified` carries none, so that the browser keeps the policy that came with the body
//! it already has.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::Engine;

use crate::server::{AppState, Error};

/// The script nonce of one response; the renderer puts it on the scripts it writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub Arc<str>);

impl CspNonce {
    /// 128 random bits, base64url.
    pub fn new() -> Self {
        let bytes: [u8; 16] = rand::random();
        Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(bytes)
                .into(),
        )
    }
}

impl Default for CspNonce {
    fn default() -> Self {
        Self::new()
    }
}

/// The policy for a page whose scripts carry `nonce`.
/// The value of the request's cookie called `name`, if it sent one.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

/// Refuses a state-changing request that a browser sent from another site: `Sec-Fetch-Site`
/// when the browser sends it (a page cannot forge it, and trusting `same-origin` also works
/// behind a proxy that rewrites `Host`), else `Origin`. Requests with neither (bots, curl)
/// pass: they carry no ambient cookie of a victim.
pub fn cross_site(headers: &HeaderMap, allowed: &[String], public: Option<&str>) -> bool {
    let origin_ok = || origin_allowed(headers, allowed, public);
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") | Some("none") => false,
        // `same-site` is a sibling host: only when its origin is on the allow-list.
        Some(_) => !(headers.contains_key(header::ORIGIN) && origin_ok()),
        None => !origin_ok(),
    }
}

pub async fn security_headers(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state
        && cross_site(
            req.headers(),
            &state.config.allowed_origins,
            state.config.public_url.as_deref(),
        )
    {
        tracing::info!(path = %req.uri().path(), "cross-site request refused");
        return Error::CrossSite.into_response();
    }
    let nonce = CspNonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let status = res.status();
    let h = res.headers_mut();
    if html
        && status != StatusCode::NOT_MODIFIED
        && !h.contains_key(header::CONTENT_SECURITY_POLICY)
    {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&content_security_policy(&nonce.0))
                .expect("base64 is a valid header value"),
        );
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if state.config.behind_tls() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// A request without `Origin` (a bot) is judged by its token alone; a browser's `Origin`
/// must be on the allow-list or be this server's own, compared whole (scheme, host and
/// port): the origin of `public` (`CLOUD_MSG_PUBLIC_URL`) when it is set, else `http://` or
/// `https://` and the request's `Host`.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String], public: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if allowed.contains(&origin) {
        return true;
    }
    if let Some(public) = public {
        return origin == origin_of(public);
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

/// The origin (`scheme://host[:port]`) of a URL, lower-cased as given.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("chat.test"));
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn foreign_sites_are_told_apart_from_our_own_pages_and_bots() {
        let allowed = vec!["https://allowed.example".to_owned()];
        let cross = |p: &[(&'static str, &'static str)]| cross_site(&headers(p), &allowed, None);
        assert!(!cross(&[]), "a bot without Origin");
        assert!(!cross(&[("origin", "http://chat.test")]));
        assert!(!cross(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://chat.test")
        ]));
        assert!(cross(&[("origin", "https://evil.example")]));
        assert!(cross(&[("sec-fetch-site", "cross-site")]));
        assert!(cross(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example")
        ]));
        assert!(cross(&[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://x.chat.test")
        ]));
        assert!(!cross(&[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://allowed.example")
        ]));
        assert!(cross(&[("origin", "null")]));
    }

    #[test]
    fn the_policy_is_strict() {
        let csp = content_security_policy("abc");
        for part in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval' 'nonce-abc'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "connect-src 'self'",
        ] {
            assert!(csp.contains(part), "{part}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_ne!(CspNonce::new(), CspNonce::new());
    }

    fn origin_headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert("origin", HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn origins() {
        let allowed = vec!["https://chat.example.com".to_owned()];
        assert!(origin_allowed(
            &origin_headers(None, "127.0.0.1:3000"),
            &allowed,
            None
        ));
        assert!(origin_allowed(
            &origin_headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"),
            &allowed,
            None
        ));
        assert!(origin_allowed(
            &origin_headers(Some("https://chat.example.com"), "10.0.0.1"),
            &allowed,
            None
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("https://evil.example"), "127.0.0.1:3000"),
            &allowed,
            None
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("http://127.0.0.1:3001"), "127.0.0.1:3000"),
            &allowed,
            None
        ));
        assert!(!origin_allowed(
            &origin_headers(Some("null"), "127.0.0.1:3000"),
            &allowed,
            None
        ));
        // Not a web origin at all, though its host is ours.
        assert!(!origin_allowed(
            &origin_headers(Some("ftp://127.0.0.1:3000"), "127.0.0.1:3000"),
            &allowed,
            None
        ));
        // With the public URL set: its scheme, host and port exactly.
        let public = Some("https://chat.example.com/");
        let public = public.map(|p| p.trim_end_matches('/'));
        let proxied = |o| origin_headers(Some(o), "chat.example.com");
        assert!(origin_allowed(
            &proxied("https://chat.example.com"),
            &[],
            public
        ));
        assert!(
            !origin_allowed(&proxied("http://chat.example.com"), &[], public),
            "scheme"
        );
        assert!(
            !origin_allowed(&proxied("https://chat.example.com:8443"), &[], public),
            "port"
        );
        assert!(!origin_allowed(
            &proxied("https://evil.example"),
            &[],
            public
        ));
        assert_eq!(
            super::origin_of("https://a.example:8443/chat"),
            "https://a.example:8443"
        );
    }
}
