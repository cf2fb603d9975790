//! `PUT /api/rooms/<room>/topic {"topic"}`: a room's topic over the JSON API (the rules
//! are in `domain::topic`).

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::HeaderMap,
    Json,
};

use crate::{
    protocol::TopicRequest,
    server::{domain::topic, infra::session, AppState, Error, Result},
};

/// `PUT /api/rooms/<room>/topic {"topic"}` → 200 with the topic as kept.
pub async fn put(
    State(state): State<AppState>,
    Path(room): Path<String>,
    headers: HeaderMap,
    req: std::result::Result<Json<TopicRequest>, JsonRejection>,
) -> Result<Json<TopicRequest>> {
    let req = req.map_err(|e| Error::BadRequest(e.body_text()))?.0;
    let me = session::require(&state.store, &headers).await?.0;
    let topic = topic::parse(&req.topic)?;
    topic::set(&state, &me, &room, &topic).await?;
    Ok(Json(TopicRequest { topic }))
}
