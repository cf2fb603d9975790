//! The Postgres writer's statements for people: a guest and their session, an account (or
//! a guest claiming their name), a bot, a new session.

use sqlx::PgConnection;

use crate::{
    server::model::{NewSession, User},
    timestamp::Timestamp,
    validation::DisplayName,
};

pub async fn create_user_session(
    conn: &mut PgConnection,
    name: &DisplayName,
    session: &NewSession,
) -> sqlx::Result<User> {
    let user = User::new(name);
    sqlx::query("INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(user.id.to_string())
        .bind(user.name.as_str())
        .bind(Timestamp::now().millis())
        .execute(&mut *conn)
        .await?;
    insert_session(conn, &user.id.to_string(), session).await?;
    Ok(user)
}

pub async fn create_account(
    conn: &mut PgConnection,
    name: &DisplayName,
    key: &str,
    password_hash: &str,
    session: &NewSession,
    claim: Option<&User>,
) -> sqlx::Result<User> {
    let mut user = match claim {
        Some(guest) => {
            let done = sqlx::query(
                "UPDATE users SET password_hash = $1, name_key = $2, name = $3
                 WHERE id = $4 AND password_hash IS NULL AND NOT bot",
            )
            .bind(password_hash)
            .bind(key)
            .bind(name.as_str())
            .bind(guest.id.to_string())
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                // Claimed already: the name is an account's now.
                return Err(sqlx::Error::RowNotFound);
            }
            User {
                id: guest.id,
                name: name.clone(),
                bot: false,
                admin: false,
            }
        }
        None => {
            let user = User::new(name);
            sqlx::query(
                "INSERT INTO users (id, name, created_at, password_hash, name_key)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user.id.to_string())
            .bind(user.name.as_str())
            .bind(Timestamp::now().millis())
            .bind(password_hash)
            .bind(key)
            .execute(&mut *conn)
            .await?;
            user
        }
    };
    // The first account is the server's admin (a unique index keeps it to one when two
    // nodes race; the loser's pass is run again and finds the admin).
    let made = sqlx::query(
        "UPDATE users SET admin = true WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE admin)",
    )
    .bind(user.id.to_string())
    .execute(&mut *conn)
    .await?;
    user.admin = made.rows_affected() == 1;
    insert_session(conn, &user.id.to_string(), session).await?;
    Ok(user)
}

/// A bot called `name`, owned under `key`, with the session its token hashes to.
pub async fn create_bot(
    conn: &mut PgConnection,
    name: &DisplayName,
    key: &str,
    session: &NewSession,
) -> sqlx::Result<User> {
    let user = User {
        bot: true,
        ..User::new(name)
    };
    sqlx::query(
        "INSERT INTO users (id, name, created_at, name_key, bot) VALUES ($1, $2, $3, $4, true)",
    )
    .bind(user.id.to_string())
    .bind(user.name.as_str())
    .bind(Timestamp::now().millis())
    .bind(key)
    .execute(&mut *conn)
    .await?;
    insert_session(conn, &user.id.to_string(), session).await?;
    Ok(user)
}

pub async fn insert_session(
    conn: &mut PgConnection,
    user_id: &str,
    session: &NewSession,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen, device)
         VALUES ($1, $2, $3, $3, $4)",
    )
    .bind(&session.token_hash)
    .bind(user_id)
    .bind(Timestamp::now().millis())
    .bind(&session.device)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends every session of `user` but `keep`.
pub async fn delete_other_sessions(
    conn: &mut PgConnection,
    user: &User,
    keep: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user.id.to_string())
        .bind(keep)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A new password for `user` (an account: a guest has none to change).
pub async fn set_password(
    conn: &mut PgConnection,
    user: &User,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash IS NOT NULL")
        .bind(password_hash)
        .bind(user.id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn delete_session(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn touch_session(
    conn: &mut PgConnection,
    token_hash: &[u8],
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen = GREATEST(last_seen, $1) WHERE token_hash = $2")
        .bind(at)
        .bind(token_hash)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
