//! The SQLite writer's statements for invite links.

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::timestamp::Timestamp;

pub fn create(
    conn: &Connection,
    token_hash: &[u8],
    by: Uuid,
    room: Option<i64>,
    uses: u32,
    expires_at: i64,
) -> rusqlite::Result<()> {
    // Links that can no longer admit anyone go: they cost nothing lasting.
    conn.prepare_cached("DELETE FROM invites WHERE expires_at <= ? OR uses_left <= 0")?
        .execute([Timestamp::now().millis()])?;
    conn.prepare_cached(
        "INSERT INTO invites (token_hash, created_by, room_id, uses_left, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        token_hash,
        by.to_string(),
        room,
        uses,
        expires_at,
        Timestamp::now().millis()
    ])?;
    Ok(())
}

/// Takes (or, with `give_back`, returns) one use; `Some(room)` when it could.
pub fn take(
    conn: &Connection,
    token_hash: &[u8],
    now: i64,
    give_back: bool,
) -> rusqlite::Result<Option<Option<i64>>> {
    let sql = if give_back {
        "UPDATE invites SET uses_left = uses_left + 1 WHERE token_hash = ?1 AND ?2 = ?2
         RETURNING room_id"
    } else {
        "UPDATE invites SET uses_left = uses_left - 1
         WHERE token_hash = ?1 AND uses_left > 0 AND expires_at > ?2 RETURNING room_id"
    };
    conn.prepare_cached(sql)?
        .query_row(params![token_hash, now], |r| r.get::<_, Option<i64>>(0))
        .optional()
}
