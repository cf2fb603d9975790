//! The Postgres writer's statements for invite links.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::timestamp::Timestamp;

pub async fn create(
    conn: &mut PgConnection,
    token_hash: &[u8],
    by: Uuid,
    room: Option<i64>,
    uses: u32,
    expires_at: i64,
) -> sqlx::Result<()> {
    // Links that can no longer admit anyone go: they cost nothing lasting.
    sqlx::query("DELETE FROM invites WHERE expires_at <= $1 OR uses_left <= 0")
        .bind(Timestamp::now().millis())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO invites (token_hash, created_by, room_id, uses_left, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(by.to_string())
    .bind(room)
    .bind(i64::from(uses))
    .bind(expires_at)
    .bind(Timestamp::now().millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes (or, with `give_back`, returns) one use; `Some(room)` when it could.
pub async fn take(
    conn: &mut PgConnection,
    token_hash: &[u8],
    now: i64,
    give_back: bool,
) -> sqlx::Result<Option<Option<i64>>> {
    let sql = if give_back {
        "UPDATE invites SET uses_left = uses_left + 1 WHERE token_hash = $1 AND $2 = $2
         RETURNING room_id"
    } else {
        "UPDATE invites SET uses_left = uses_left - 1
         WHERE token_hash = $1 AND uses_left > 0 AND expires_at > $2 RETURNING room_id"
    };
    let row: Option<(Option<i64>,)> = sqlx::query_as(sql)
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|(room,)| room))
}
