//! The SQLite writer's statements for people: a guest and their session, an account (or
//! a guest claiming their name), a bot, a new session.

use rusqlite::{params, Connection};

use crate::{
    server::model::{NewSession, User},
    timestamp::Timestamp,
    validation::DisplayName,
};

pub fn create_user_session(
    conn: &Connection,
    name: &DisplayName,
    session: &NewSession,
) -> rusqlite::Result<User> {
    let user = User::new(name);
    let now = Timestamp::now().millis();
    conn.prepare_cached("INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)")?
        .execute(params![user.id.to_string(), user.name.as_str(), now])?;
    insert_session(conn, &user.id.to_string(), session)?;
    Ok(user)
}

pub fn create_account(
    conn: &Connection,
    name: &DisplayName,
    key: &str,
    password_hash: &str,
    session: &NewSession,
    claim: Option<&User>,
) -> rusqlite::Result<User> {
    let mut user = match claim {
        Some(guest) => {
            conn.prepare_cached(
                "UPDATE users SET password_hash = ?, name_key = ?, name = ?
                 WHERE id = ? AND password_hash IS NULL AND bot = 0",
            )?
            .execute(params![
                password_hash,
                key,
                name.as_str(),
                guest.id.to_string()
            ])
            .and_then(|n| match n {
                // Claimed already: the name is an account's now.
                0 => Err(rusqlite::Error::StatementChangedRows(0)),
                _ => Ok(()),
            })?;
            User {
                id: guest.id,
                name: name.clone(),
                bot: false,
                admin: false,
            }
        }
        None => {
            let user = User::new(name);
            conn.prepare_cached(
                "INSERT INTO users (id, name, created_at, password_hash, name_key)
                 VALUES (?, ?, ?, ?, ?)",
            )?
            .execute(params![
                user.id.to_string(),
                user.name.as_str(),
                Timestamp::now().millis(),
                password_hash,
                key
            ])?;
            user
        }
    };
    // The first account is the server's admin.
    conn.prepare_cached(
        "UPDATE users SET admin = 1 WHERE id = ? AND NOT EXISTS (SELECT 1 FROM users WHERE admin = 1)",
    )?
    .execute([user.id.to_string()])
    .map(|made| user.admin = made == 1)?;
    insert_session(conn, &user.id.to_string(), session)?;
    Ok(user)
}

/// A bot called `name`, owned under `key`, with the session its token hashes to.
pub fn create_bot(
    conn: &Connection,
    name: &DisplayName,
    key: &str,
    session: &NewSession,
) -> rusqlite::Result<User> {
    let user = User {
        bot: true,
        ..User::new(name)
    };
    conn.prepare_cached(
        "INSERT INTO users (id, name, created_at, name_key, bot) VALUES (?, ?, ?, ?, 1)",
    )?
    .execute(params![
        user.id.to_string(),
        user.name.as_str(),
        Timestamp::now().millis(),
        key
    ])?;
    insert_session(conn, &user.id.to_string(), session)?;
    Ok(user)
}

pub fn insert_session(
    conn: &Connection,
    user_id: &str,
    session: &NewSession,
) -> rusqlite::Result<()> {
    let now = Timestamp::now().millis();
    conn.prepare_cached(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, device)
         VALUES (?, ?, ?, ?, ?)",
    )?
    .execute(params![
        session.token_hash,
        user_id,
        now,
        now,
        session.device
    ])?;
    Ok(())
}

/// Ends every session of `user` but `keep`.
pub fn delete_other_sessions(conn: &Connection, user: &User, keep: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")?
        .execute(params![user.id.to_string(), keep])?;
    Ok(())
}

/// A new password for `user` (an account: a guest has none to change).
pub fn set_password(conn: &Connection, user: &User, password_hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS NOT NULL",
    )?
    .execute(params![password_hash, user.id.to_string()])?;
    Ok(())
}

pub fn delete_session(conn: &Connection, token_hash: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM sessions WHERE token_hash = ?")?
        .execute([token_hash])?;
    Ok(())
}

pub fn touch_session(conn: &Connection, token_hash: &[u8], at: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE sessions SET last_seen = max(last_seen, ?) WHERE token_hash = ?")?
        .execute(params![at, token_hash])?;
    Ok(())
}
