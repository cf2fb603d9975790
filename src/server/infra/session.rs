//! Identity: who is speaking. A session is an opaque random token, sent as an HttpOnly
//! cookie to browsers and returned in the body for bots (`Authorization: Bearer …`).
//! Only its SHA-256 is stored.

use crate::{
    server::{
        model::{NewSession, User},
        store::Store,
        Error, Result,
    },
    validation::DisplayName,
};
use axum::http::{header, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "cloud_msg_session";
/// Sessions last 30 days in the browser.
const COOKIE_MAX_AGE_SECS: u32 = 30 * 24 * 3600;

/// A new random session token (256 bits, hex).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// `bytes` in lower-case hex: tokens, and token hashes as revocations and
/// `GET /api/sessions` carry them.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The `Set-Cookie` value that carries `token`; `secure` behind TLS.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={COOKIE_MAX_AGE_SECS}{secure}"
    ))
    .expect("hex token is a valid header value")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ))
    .expect("a valid header value")
}

/// The stored hash of the session token the request presents, if any.
pub fn session_hash(headers: &HeaderMap) -> Option<Vec<u8>> {
    token_from_headers(headers)
        .filter(|t| !t.is_empty())
        .map(hash_token)
}

/// The token presented by a request: `Authorization: Bearer …` first, then the cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Option<&str> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim());
    }
    crate::server::infra::headers::cookie(headers, COOKIE_NAME)
}

/// The user behind the request's session, if it has a valid one.
pub async fn authenticate(store: &Store, headers: &HeaderMap) -> Result<Option<User>> {
    match session_hash(headers) {
        Some(hash) => store.user_by_token_hash(&hash).await,
        None => Ok(None),
    }
}

/// The user behind the request's session and the session's hash, or `Unauthorized`.
pub async fn require(store: &Store, headers: &HeaderMap) -> Result<(User, Vec<u8>)> {
    let hash = session_hash(headers).ok_or(Error::Unauthorized)?;
    let user = store
        .user_by_token_hash(&hash)
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok((user, hash))
}

/// Creates a user and a session made on `device`; returns the user and the token to hand
/// back.
pub async fn sign_in(store: &Store, name: &DisplayName, device: &str) -> Result<(User, String)> {
    let token = new_token();
    let session = NewSession::new(hash_token(&token), device);
    let user = store.create_user_session(name, &session).await?;
    Ok((user, token))
}

/// The device a request comes from, as its sessions list shows it (the User-Agent).
pub fn device(headers: &HeaderMap) -> &str {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
    }

    #[test]
    fn token_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        assert_eq!(token_from_headers(&h), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; cloud_msg_session=abc; b=2"),
        );
        assert_eq!(token_from_headers(&h), Some("abc"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer xyz"),
        );
        assert_eq!(token_from_headers(&h), Some("xyz"));
    }

    #[test]
    fn cookie_is_http_only_and_same_site() {
        let c = session_cookie("abc", false);
        let c = c.to_str().unwrap();
        assert!(c.starts_with("cloud_msg_session=abc;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"));
        assert!(!c.contains("Secure"));
        assert!(session_cookie("abc", true)
            .to_str()
            .unwrap()
            .ends_with("; Secure"));
        let gone = cleared_cookie(false);
        assert!(gone.to_str().unwrap().contains("Max-Age=0"));
    }
}
