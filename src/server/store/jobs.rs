//! Writes as jobs for a backend's writer, shared by every backend: what a write asks for
//! (`Job`), what it answers (`Output`), and the handle that queues a job and awaits its
//! answer (`Writer`). A backend's writer takes every job waiting and commits them in one
//! transaction (group commit), then answers each: nothing is acknowledged before the
//! commit.

use tokio::sync::{mpsc, oneshot};

use crate::{
    server::{
        model::{Appended, MarkerChange, NewEntry, NewSession, Role, RoomRef, User},
        Error, Result,
    },
    validation::{DisplayName, RoomName},
};

/// Jobs waiting before callers wait too.
pub const QUEUE: usize = 4096;
/// Most jobs in one transaction.
pub const MAX_PASS: usize = 1024;

pub type JobReply = oneshot::Sender<Result<Output>>;

/// A write. Each carries where its answer goes.
pub struct Job {
    pub work: Work,
    reply: JobReply,
}

pub enum Work {
    Append {
        room: RoomRef,
        batch: Vec<NewEntry>,
    },
    RaiseMarkers {
        room: RoomRef,
        user: User,
        delivered: u64,
        read: u64,
    },
    CreateUserSession {
        name: DisplayName,
        session: NewSession,
    },
    /// Makes an account of `name` (owned under `key`) with a session: a new user, or the
    /// guest `claim` (keeping its messages). Fails with `Conflict` when the key is taken.
    CreateAccount {
        name: DisplayName,
        key: String,
        password_hash: String,
        session: NewSession,
        claim: Option<User>,
    },
    /// Makes a bot called `name` (owned under `key`, like an account's name) with the
    /// session of its token. Fails with `Conflict` when the key is taken.
    CreateBot {
        name: DisplayName,
        key: String,
        session: NewSession,
    },
    /// A new session for an existing user (a password sign-in).
    CreateSession {
        user: User,
        session: NewSession,
    },
    /// Ends every session of `user` but `keep` (with a new password, or "sign out
    /// everywhere else").
    DeleteOtherSessions {
        user: User,
        keep: Vec<u8>,
    },
    /// A new password for `user`.
    SetPassword {
        user: User,
        password_hash: String,
    },
    /// The room called `name`, made now if it does not exist (private or not), with
    /// `creator` as its owner. Answers the room as stored and whether this job made it.
    EnsureRoom {
        name: RoomName,
        private: bool,
        creator: User,
    },
    /// Makes `user` a member of `room` with `role` (nothing if they are one already).
    Admit {
        room: RoomRef,
        user: User,
        role: Role,
    },
    /// Ends `user`'s membership of `room` (kick, or leave); with `ban_by`, also bans them.
    /// Answers whether they were a member.
    Remove {
        room: RoomRef,
        user: uuid::Uuid,
        ban_by: Option<uuid::Uuid>,
    },
    /// Disables (ending every session) or enables the account `user`. Answers whether the
    /// user exists.
    SetDisabled {
        user: uuid::Uuid,
        disabled: bool,
    },
    /// Stores an invite link's token hash.
    CreateInvite {
        token_hash: Vec<u8>,
        by: uuid::Uuid,
        room: Option<i64>,
        uses: u32,
        expires_at: i64,
    },
    /// Takes one use of the invite (if it has one left and has not expired by `now`);
    /// answers `Some(room)` then, `None` otherwise. With `give_back`, returns a use.
    UseInvite {
        token_hash: Vec<u8>,
        now: i64,
        give_back: bool,
    },
    /// Lifts `user`'s ban in `room`. Answers whether they were banned.
    Unban {
        room: RoomRef,
        user: uuid::Uuid,
    },
    /// Sets `room`'s topic. Answers whether the room is there.
    SetTopic {
        room: RoomRef,
        topic: String,
    },
    /// Signs a session out (`token_hash` gone: its cookie no longer works).
    DeleteSession {
        token_hash: Vec<u8>,
    },
    /// Records that a session was used at `at` (ms), which keeps it from expiring.
    TouchSession {
        token_hash: Vec<u8>,
        at: i64,
    },
}

/// What a job answers.
#[derive(Debug)]
pub enum Output {
    Appended(Vec<Appended>),
    /// `None`: not a member (markers are raised, never made, here).
    Markers(Option<MarkerChange>),
    User(User),
    /// The room as stored (its id and privacy) and whether it was made now.
    Room((RoomRef, bool)),
    Done(()),
    Flag(bool),
    /// An invite's use: `Some(room id, if any)` when one was taken.
    Invite(Option<Option<i64>>),
}

impl Work {
    /// Where this job's transaction takes its locks: jobs of a pass run in this order, so
    /// two writers (two nodes) that touch the same rooms lock them in the same order.
    pub fn lock_order(&self) -> (u8, i64, &str) {
        match self {
            Work::EnsureRoom { name, .. } => (0, 0, name.as_str()),
            Work::Append { room, .. } => (1, room.id, ""),
            Work::RaiseMarkers { room, .. }
            | Work::Admit { room, .. }
            | Work::Remove { room, .. }
            | Work::Unban { room, .. }
            | Work::SetTopic { room, .. } => (2, room.id, ""),
            Work::CreateUserSession { .. }
            | Work::CreateAccount { .. }
            | Work::CreateBot { .. }
            | Work::CreateSession { .. }
            | Work::DeleteOtherSessions { .. }
            | Work::SetPassword { .. }
            | Work::SetDisabled { .. }
            | Work::CreateInvite { .. }
            | Work::UseInvite { .. }
            | Work::DeleteSession { .. }
            | Work::TouchSession { .. } => (3, 0, ""),
        }
    }
}

impl Job {
    pub fn new(work: Work) -> (Self, oneshot::Receiver<Result<Output>>) {
        let (reply, answer) = oneshot::channel();
        (Self { work, reply }, answer)
    }

    /// Sends the job's answer (the caller may have gone; then nobody is waiting).
    pub fn answer(self, result: Result<Output>) {
        let _ = self.reply.send(result);
    }

    /// Answers with a failed commit.
    pub fn fail(self, why: &str) {
        self.answer(Err(Error::Commit(why.to_owned())));
    }
}

/// A job or the request to stop after everything queued before it.
pub enum Queued {
    Job(Job),
    Stop(oneshot::Sender<()>),
}

/// The queue to a backend's writer.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Queued>,
}

impl Writer {
    pub fn new() -> (Self, mpsc::Receiver<Queued>) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        (Self { jobs }, rx)
    }

    /// Stores everything queued so far, then stops; later writes fail.
    pub async fn stop(&self) {
        let (done, stopped) = oneshot::channel();
        if self.jobs.send(Queued::Stop(done)).await.is_ok() {
            let _ = stopped.await;
        }
    }

    /// Queues `work` (waiting while the queue is full) and awaits its answer.
    pub async fn call(&self, work: Work) -> Result<Output> {
        let (job, answer) = Job::new(work);
        self.jobs
            .send(Queued::Job(job))
            .await
            .map_err(|_| Error::StoreClosed)?;
        answer.await.map_err(|_| Error::StoreClosed)?
    }
}

/// Takes the next pass from `rx`: the first job (waiting for it), then every job already
/// queued, up to `MAX_PASS`. Returns the stop request if one came; `None` from `first`
/// means the queue closed.
pub fn fill_pass(
    first: Queued,
    rx: &mut mpsc::Receiver<Queued>,
    jobs: &mut Vec<Job>,
) -> Option<oneshot::Sender<()>> {
    let mut next = Some(first);
    while let Some(queued) = next.take() {
        match queued {
            Queued::Stop(done) => return Some(done),
            Queued::Job(job) => jobs.push(job),
        }
        if jobs.len() < MAX_PASS {
            next = rx.try_recv().ok();
        }
    }
    None
}

/// The answer a caller expected, or an internal error for a mismatch (a bug).
macro_rules! expect_output {
    ($call:expr, $variant:ident) => {
        match $call.await? {
            $crate::server::store::jobs::Output::$variant(v) => Ok(v),
            other => Err($crate::server::Error::Commit(format!(
                "the writer answered {other:?}"
            ))),
        }
    };
}
pub(crate) use expect_output;

/// Runs one `Work` on a backend's writer connection: the one dispatch both backends share.
/// Each backend's writer has the same functions in the same places (`append` and
/// `raise_markers` in its `writer.rs`; `members::*`, `invites::*` and `accounts::*` beside
/// it), each taking that backend's connection and only its own SQL. Postgres's are async:
/// it calls `dispatch!(conn, work, await)`.
macro_rules! dispatch {
    ($conn:ident, $work:expr $(, $aw:ident)?) => {
        match $work {
            Work::Append { room, batch } => {
                Output::Appended({ append($conn, room, batch)$(.$aw)? }?)
            }
            Work::RaiseMarkers {
                room,
                user,
                delivered,
                read,
            } => Output::Markers({ raise_markers($conn, room, user, *delivered, *read)$(.$aw)? }?),
            Work::Admit { room, user, role } => {
                { members::admit($conn, room, user, *role)$(.$aw)? }?;
                Output::Done(())
            }
            Work::Remove { room, user, ban_by } => {
                Output::Flag({ members::remove($conn, room, *user, *ban_by)$(.$aw)? }?)
            }
            Work::Unban { room, user } => {
                Output::Flag({ members::unban($conn, room, *user)$(.$aw)? }?)
            }
            Work::SetTopic { room, topic } => {
                Output::Flag({ members::set_topic($conn, room, topic)$(.$aw)? }?)
            }
            Work::SetDisabled { user, disabled } => {
                Output::Flag({ members::set_disabled($conn, *user, *disabled)$(.$aw)? }?)
            }
            Work::CreateInvite {
                token_hash,
                by,
                room,
                uses,
                expires_at,
            } => {
                { invites::create($conn, token_hash, *by, *room, *uses, *expires_at)$(.$aw)? }?;
                Output::Done(())
            }
            Work::UseInvite {
                token_hash,
                now,
                give_back,
            } => Output::Invite({ invites::take($conn, token_hash, *now, *give_back)$(.$aw)? }?),
            Work::CreateUserSession { name, session } => {
                Output::User({ accounts::create_user_session($conn, name, session)$(.$aw)? }?)
            }
            Work::CreateAccount {
                name,
                key,
                password_hash,
                session,
                claim,
            } => Output::User(
                {
                    accounts::create_account(
                        $conn,
                        name,
                        key,
                        password_hash,
                        session,
                        claim.as_ref(),
                    )$(.$aw)?
                }?,
            ),
            Work::CreateBot { name, key, session } => {
                Output::User({ accounts::create_bot($conn, name, key, session)$(.$aw)? }?)
            }
            Work::CreateSession { user, session } => {
                { accounts::insert_session($conn, &user.id.to_string(), session)$(.$aw)? }?;
                Output::User(user.clone())
            }
            Work::DeleteOtherSessions { user, keep } => {
                { accounts::delete_other_sessions($conn, user, keep)$(.$aw)? }?;
                Output::Done(())
            }
            Work::SetPassword {
                user,
                password_hash,
            } => {
                { accounts::set_password($conn, user, password_hash)$(.$aw)? }?;
                Output::Done(())
            }
            Work::EnsureRoom {
                name,
                private,
                creator,
            } => Output::Room({ members::ensure_room($conn, name, *private, creator)$(.$aw)? }?),
            Work::DeleteSession { token_hash } => {
                { accounts::delete_session($conn, token_hash)$(.$aw)? }?;
                Output::Done(())
            }
            Work::TouchSession { token_hash, at } => {
                { accounts::touch_session($conn, token_hash, *at)$(.$aw)? }?;
                Output::Done(())
            }
        }
    };
}
pub(super) use dispatch;
