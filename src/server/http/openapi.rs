//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the HTTP API a bot uses, generated
//! from the handlers' own annotations and the protocol's types (`utoipa`), so it cannot
//! drift from the code. The socket protocol (`/ws`) is in docs/protocol.md.

use std::sync::OnceLock;

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use utoipa::{
    openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::protocol::{
    ApiError, BotRequest, Entry, HistoryPage, PostMessage, Posted, SessionResponse,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cloud_msg bot API",
        description = "Post and read messages as a bot. The admin makes a bot with \
            `POST /api/bots` and hands its token to the program, which sends it as \
            `Authorization: Bearer <token>` here and on the WebSocket `/ws` (frames in \
            docs/protocol.md; each `join` is answered with `joined` once the bot is a member \
            and receives the room live). A bot's messages carry `\"bot\": true`."
    ),
    paths(
        super::bots::create,
        super::bots::new_token,
        super::messages::post_message,
        super::history::older_messages,
    ),
    components(schemas(
        ApiError,
        BotRequest,
        Entry,
        HistoryPage,
        PostMessage,
        Posted,
        SessionResponse
    )),
    modifiers(&Schemes),
    tags(
        (name = "bots", description = "Bot accounts (the admin only)."),
        (name = "messages", description = "A room's messages."),
    )
)]
pub struct BotApi;

/// The two ways to present a session: a bot's bearer token, a browser's cookie.
struct Schemes;

impl Modify for Schemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::server::infra::session::COOKIE_NAME,
            ))),
        );
    }
}

/// The document, made once.
pub async fn document() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| {
        BotApi::openapi()
            .to_json()
            .expect("the OpenAPI document serialises")
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        json.as_str(),
    )
        .into_response()
}
