//! The SQLite writer's statements for rooms and who is in them: making a room (its
//! creator owns it), admitting, removing and banning members, and disabling a person.

use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

use crate::{
    server::model::{Role, RoomRef, User},
    timestamp::Timestamp,
    validation::RoomName,
};

/// The room called `name` as stored and whether this call made it (then `creator` owns
/// it).
pub fn ensure_room(
    conn: &Connection,
    name: &RoomName,
    private: bool,
    creator: &User,
) -> rusqlite::Result<(RoomRef, bool)> {
    let made: Option<i64> = conn
        .prepare_cached(
            "INSERT INTO rooms (name, created_at, private) VALUES (?, ?, ?)
             ON CONFLICT (name) DO NOTHING RETURNING id",
        )?
        .query_row(
            params![name.as_str(), Timestamp::now().millis(), private],
            |r| r.get(0),
        )
        .optional()?;
    match made {
        Some(id) => {
            let room = RoomRef {
                id,
                name: name.clone(),
                private,
            };
            let role = Role::of_creator(name, creator_has_account(conn, creator)?);
            admit(conn, &room, creator, role)?;
            Ok((room, true))
        }
        None => {
            let (id, private) = conn
                .prepare_cached("SELECT id, private FROM rooms WHERE name = ?")?
                .query_row([name.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let room = RoomRef {
                id,
                name: name.clone(),
                private,
            };
            Ok((room, false))
        }
    }
}

fn creator_has_account(conn: &Connection, creator: &User) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT name_key IS NOT NULL FROM users WHERE id = ?")?
        .query_row([creator.id.to_string()], |r| r.get(0))
        .optional()
        .map(|found| found.unwrap_or(false))
}

/// Makes `user` a member of `room` (nothing if they are one already), or its owner (a
/// member is made one).
pub fn admit(conn: &Connection, room: &RoomRef, user: &User, role: Role) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO read_markers (user_id, room_id, user_name, role, updated_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, room_id) DO UPDATE SET role = excluded.role
         WHERE excluded.role = 'owner'",
    )?
    .execute(params![
        user.id.to_string(),
        room.id,
        user.name.as_str(),
        role.as_str(),
        Timestamp::now().millis()
    ])?;
    Ok(())
}

/// Ends `user`'s membership (and bans them with `ban_by`); true if they were a member.
pub fn remove(
    conn: &Connection,
    room: &RoomRef,
    user: Uuid,
    ban_by: Option<Uuid>,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM read_markers WHERE user_id = ? AND room_id = ?")?
        .execute(params![user.to_string(), room.id])?;
    if let Some(by) = ban_by {
        conn.prepare_cached(
            "INSERT INTO bans (room_id, user_id, banned_by, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (room_id, user_id) DO NOTHING",
        )?
        .execute(params![
            room.id,
            user.to_string(),
            by.to_string(),
            Timestamp::now().millis()
        ])?;
    }
    Ok(n > 0)
}

/// Lifts a ban; true if there was one.
pub fn unban(conn: &Connection, room: &RoomRef, user: Uuid) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("DELETE FROM bans WHERE room_id = ? AND user_id = ?")?
        .execute(params![room.id, user.to_string()])?;
    Ok(n > 0)
}

/// Sets `room`'s topic; true if the room is there.
pub fn set_topic(conn: &Connection, room: &RoomRef, topic: &str) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("UPDATE rooms SET topic = ? WHERE id = ?")?
        .execute(params![topic, room.id])?;
    Ok(n > 0)
}

/// Disables (ending every session) or enables `user`; true if they exist.
pub fn set_disabled(conn: &Connection, user: Uuid, disabled: bool) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached("UPDATE users SET disabled = ? WHERE id = ?")?
        .execute(params![disabled, user.to_string()])?;
    if disabled {
        conn.prepare_cached("DELETE FROM sessions WHERE user_id = ?")?
            .execute([user.to_string()])?;
    }
    Ok(n > 0)
}
