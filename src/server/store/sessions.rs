//! Sessions in the store: created with their user, looked up through a memory cache,
//! kept alive by use, expired after 30 idle days, deleted on sign-out.

use uuid::Uuid;

use super::{
    jobs::{expect_output, Work},
    rows::SessionInfo,
    Store,
};
use crate::{
    server::{
        model::{NewSession, User},
        Error, Result,
    },
    timestamp::Timestamp,
    validation::DisplayName,
};

/// Sessions remembered in memory; past this the cache starts over.
const MAX_CACHED_SESSIONS: usize = 100_000;
/// A session unused for this long has expired (the cookie's `Max-Age` says the same).
pub const SESSION_IDLE_MS: i64 = 30 * 24 * 3600 * 1000;
/// `last_seen` is written at most this often per session.
const SESSION_TOUCH_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// Creates a user named `name` and a session whose token hashes to `token_hash`.
    pub async fn create_user_session(
        &self,
        name: &DisplayName,
        session: &NewSession,
    ) -> Result<User> {
        let user = expect_output!(
            self.writer().call(Work::CreateUserSession {
                name: name.clone(),
                session: session.clone(),
            }),
            User
        )?;
        self.remember_session(&session.token_hash, &user, Timestamp::now().millis());
        Ok(user)
    }

    /// Makes an account of `name`, owned under `key`, with a session whose token hashes to
    /// `token_hash`: the guest `claim` keeps its id and messages, else a new user. `Conflict`
    /// when the key is taken (or the guest was claimed already).
    pub async fn create_account(
        &self,
        name: &DisplayName,
        key: String,
        password_hash: String,
        session: &NewSession,
        claim: Option<User>,
    ) -> Result<User> {
        // In a block of its own: the writer's error must reach the mapping below.
        let made = async {
            expect_output!(
                self.writer().call(Work::CreateAccount {
                    name: name.clone(),
                    key,
                    password_hash,
                    session: session.clone(),
                    claim,
                }),
                User
            )
        }
        .await;
        let user = made.map_err(|e| taken(e, name))?;
        // The claimed guest's other sessions carry the account's name from now on.
        self.sessions
            .write()
            .expect("session cache lock")
            .retain(|_, (u, _)| u.id != user.id);
        self.remember_session(&session.token_hash, &user, Timestamp::now().millis());
        Ok(user)
    }

    /// Makes the bot `name`, owned under `key`, with a session whose token hashes to
    /// `token_hash`. `Conflict` when an account or bot owns the key.
    pub async fn create_bot(
        &self,
        name: &DisplayName,
        key: String,
        session: &NewSession,
    ) -> Result<User> {
        let made = async {
            expect_output!(
                self.writer().call(Work::CreateBot {
                    name: name.clone(),
                    key,
                    session: session.clone(),
                }),
                User
            )
        }
        .await;
        let user = made.map_err(|e| taken(e, name))?;
        self.remember_session(&session.token_hash, &user, Timestamp::now().millis());
        Ok(user)
    }

    /// A new session for `user`.
    pub async fn create_session(&self, user: &User, session: &NewSession) -> Result<()> {
        expect_output!(
            self.writer().call(Work::CreateSession {
                user: user.clone(),
                session: session.clone(),
            }),
            User
        )?;
        self.remember_session(&session.token_hash, user, Timestamp::now().millis());
        Ok(())
    }

    /// `user`'s sessions, most recently used first.
    pub async fn sessions_of(&self, user: &User) -> Result<Vec<SessionInfo>> {
        on_backend!(self, b => b.sessions_of(&user.id.to_string()).await)
    }

    /// Ends every session of `user` except the one whose token hashes to `keep`.
    pub async fn delete_other_sessions(&self, user: &User, keep: &[u8]) -> Result<()> {
        self.forget_sessions_of(user.id, Some(keep));
        expect_output!(
            self.writer().call(Work::DeleteOtherSessions {
                user: user.clone(),
                keep: keep.to_vec(),
            }),
            Done
        )?;
        // A lookup that raced the delete may have put one back.
        self.forget_sessions_of(user.id, Some(keep));
        Ok(())
    }

    /// Gives the account `user` a new password hash.
    pub async fn set_password(&self, user: &User, password_hash: String) -> Result<()> {
        expect_output!(
            self.writer().call(Work::SetPassword {
                user: user.clone(),
                password_hash,
            }),
            Done
        )
    }

    /// Drops `user`'s sessions but `keep` from this node's cache (they ended here or on
    /// another node).
    pub fn forget_sessions_of(&self, user: Uuid, keep: Option<&[u8]>) {
        self.sessions
            .write()
            .expect("session cache lock")
            .retain(|hash, (u, _)| u.id != user || Some(hash.as_slice()) == keep);
    }

    /// Whether the server has an admin (the first account made is).
    pub async fn has_admin(&self) -> Result<bool> {
        on_backend!(self, b => b.has_admin().await)
    }

    /// Every guest with a session, with their names (an account about to take a name ends
    /// the sessions of the guests who look like it).
    pub async fn guests_signed_in(&self) -> Result<Vec<(Uuid, DisplayName)>> {
        let rows = on_backend!(self, b => b.guests_signed_in().await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, name)| {
                Some((Uuid::parse_str(&id).ok()?, DisplayName::parse(&name).ok()?))
            })
            .collect())
    }

    /// The account (or bot) owned under `key`: its user and password hash (a bot has
    /// none: it signs in with its token only).
    pub async fn account(&self, key: &str) -> Result<Option<(User, Option<String>)>> {
        let row = on_backend!(self, b => b.account(key).await)?;
        Ok(row.and_then(|(id, name, hash, bot, admin)| {
            let user = User {
                id: Uuid::parse_str(&id).ok()?,
                name: DisplayName::parse(&name).ok()?,
                bot,
                admin,
            };
            Some((user, hash))
        }))
    }

    fn remember_session(&self, token_hash: &[u8], user: &User, last_seen: i64) {
        let mut sessions = self.sessions.write().expect("session cache lock");
        if sessions.len() >= MAX_CACHED_SESSIONS {
            sessions.clear();
        }
        sessions.insert(token_hash.to_vec(), (user.clone(), last_seen));
    }

    /// Drops one session from this node's cache (it ended here or on another node).
    pub fn forget_session(&self, token_hash: &[u8]) {
        self.sessions
            .write()
            .expect("session cache lock")
            .remove(token_hash);
    }

    /// The user whose session token hashes to `token_hash`, if the session exists and has
    /// been used within [`SESSION_IDLE_MS`]. Using it keeps it alive.
    pub async fn user_by_token_hash(&self, token_hash: &[u8]) -> Result<Option<User>> {
        let known = self
            .sessions
            .read()
            .expect("session cache lock")
            .get(token_hash)
            .cloned();
        let (user, last_seen) = match known {
            Some(known) => known,
            None => {
                let row = on_backend!(self, b => b.session(token_hash).await)?;
                let Some((id, name, last_seen, bot, admin)) = row else {
                    return Ok(None);
                };
                let (Ok(id), Ok(name)) = (Uuid::parse_str(&id), DisplayName::parse(&name)) else {
                    return Ok(None);
                };
                let user = User {
                    id,
                    name,
                    bot,
                    admin,
                };
                self.remember_session(token_hash, &user, last_seen);
                (user, last_seen)
            }
        };
        let now = Timestamp::now().millis();
        // A bot's token lasts until the admin disables the bot (it may post once a month).
        if now - last_seen > SESSION_IDLE_MS && !user.bot {
            self.delete_session(token_hash).await?;
            return Ok(None);
        }
        if now - last_seen > SESSION_TOUCH_MS {
            expect_output!(
                self.writer().call(Work::TouchSession {
                    token_hash: token_hash.to_vec(),
                    at: now,
                }),
                Done
            )?;
            self.remember_session(token_hash, &user, now);
        }
        Ok(Some(user))
    }

    /// Ends the session whose token hashes to `token_hash` (sign-out or expiry).
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        self.forget_session(token_hash);
        expect_output!(
            self.writer().call(Work::DeleteSession {
                token_hash: token_hash.to_vec(),
            }),
            Done
        )?;
        // A lookup that raced the delete may have put it back.
        self.forget_session(token_hash);
        Ok(())
    }

    /// Makes the session look unused since `last_seen` (tests of expiry).
    pub async fn backdate_session(&self, token_hash: &[u8], last_seen: i64) -> Result<()> {
        on_backend!(self, b => b.backdate_session(token_hash, last_seen).await)?;
        self.forget_session(token_hash);
        Ok(())
    }
}

/// A write refused by a unique key, or a claim of a guest that is an account already.
/// A write refused because the name's key is owned already, as the `Conflict` to answer.
fn taken(e: Error, name: &DisplayName) -> Error {
    if is_conflict(&e) {
        Error::Conflict(format!(
            "The name {name} is taken by an account (or one that looks like it)."
        ))
    } else {
        e
    }
}

fn is_conflict(e: &Error) -> bool {
    match e {
        Error::Sqlite(rusqlite::Error::StatementChangedRows(0)) => true,
        Error::Database(sqlx::Error::RowNotFound) => true,
        e => {
            let text = e.to_string().to_lowercase();
            text.contains("unique") || text.contains("duplicate key")
        }
    }
}
