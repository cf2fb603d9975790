//! The Postgres writer's statements for rooms and who is in them: making a room (its
//! creator owns it), admitting, removing and banning members, and disabling a person.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    server::model::{Role, RoomRef, User},
    timestamp::Timestamp,
    validation::RoomName,
};

/// The room called `name` as stored and whether this call made it (then `creator` owns
/// it).
pub async fn ensure_room(
    conn: &mut PgConnection,
    name: &RoomName,
    private: bool,
    creator: &User,
) -> sqlx::Result<(RoomRef, bool)> {
    let made: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO rooms (name, created_at, private) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name.as_str())
    .bind(Timestamp::now().millis())
    .bind(private)
    .fetch_optional(&mut *conn)
    .await?;
    match made {
        Some((id,)) => {
            let room = RoomRef {
                id,
                name: name.clone(),
                private,
            };
            let (account,): (bool,) =
                sqlx::query_as("SELECT name_key IS NOT NULL FROM users WHERE id = $1")
                    .bind(creator.id.to_string())
                    .fetch_optional(&mut *conn)
                    .await?
                    .unwrap_or((false,));
            admit(conn, &room, creator, Role::of_creator(name, account)).await?;
            Ok((room, true))
        }
        None => {
            let (id, private): (i64, bool) =
                sqlx::query_as("SELECT id, private FROM rooms WHERE name = $1")
                    .bind(name.as_str())
                    .fetch_one(&mut *conn)
                    .await?;
            let room = RoomRef {
                id,
                name: name.clone(),
                private,
            };
            Ok((room, false))
        }
    }
}

/// Makes `user` a member of `room` (nothing if they are one already), or its owner (a
/// member is made one).
pub async fn admit(
    conn: &mut PgConnection,
    room: &RoomRef,
    user: &User,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO read_markers (user_id, room_id, user_name, role, updated_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, room_id) DO UPDATE
         SET role = EXCLUDED.role WHERE EXCLUDED.role = 'owner'",
    )
    .bind(user.id.to_string())
    .bind(room.id)
    .bind(user.name.as_str())
    .bind(role.as_str())
    .bind(Timestamp::now().millis())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends `user`'s membership (and bans them with `ban_by`); true if they were a member.
pub async fn remove(
    conn: &mut PgConnection,
    room: &RoomRef,
    user: Uuid,
    ban_by: Option<Uuid>,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM read_markers WHERE user_id = $1 AND room_id = $2")
        .bind(user.to_string())
        .bind(room.id)
        .execute(&mut *conn)
        .await?;
    if let Some(by) = ban_by {
        sqlx::query(
            "INSERT INTO bans (room_id, user_id, banned_by, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (room_id, user_id) DO NOTHING",
        )
        .bind(room.id)
        .bind(user.to_string())
        .bind(by.to_string())
        .bind(Timestamp::now().millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(done.rows_affected() > 0)
}

/// Lifts a ban; true if there was one.
pub async fn unban(conn: &mut PgConnection, room: &RoomRef, user: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM bans WHERE room_id = $1 AND user_id = $2")
        .bind(room.id)
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Sets `room`'s topic; true if the room is there.
pub async fn set_topic(conn: &mut PgConnection, room: &RoomRef, topic: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE rooms SET topic = $1 WHERE id = $2")
        .bind(topic)
        .bind(room.id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Disables (ending every session) or enables `user`; true if they exist.
pub async fn set_disabled(
    conn: &mut PgConnection,
    user: Uuid,
    disabled: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(disabled)
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(done.rows_affected() > 0)
}
