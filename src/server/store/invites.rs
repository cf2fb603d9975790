//! Invite links as the store keeps them: only the token's hash, the room, uses left and
//! the expiry.

use uuid::Uuid;

use super::{expect_output, Store, Work};
use crate::{
    server::{model::RoomRef, Result},
    timestamp::Timestamp,
    validation::RoomName,
};

/// What [`Store::invite`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteInfo {
    pub room: Option<RoomName>,
    pub uses_left: u64,
    pub expires_at: i64,
}

impl InviteInfo {
    /// It still admits someone.
    pub fn usable(&self) -> bool {
        self.uses_left > 0 && self.expires_at > Timestamp::now().millis()
    }
}

impl Store {
    /// Stores an invite link (its token's hash) made by `by`, for `room` if given.
    pub async fn create_invite(
        &self,
        token_hash: Vec<u8>,
        by: Uuid,
        room: Option<&RoomRef>,
        uses: u32,
        expires_at: i64,
    ) -> Result<()> {
        expect_output!(
            self.writer().call(Work::CreateInvite {
                token_hash,
                by,
                room: room.map(|r| r.id),
                uses,
                expires_at,
            }),
            Done
        )
    }

    /// Takes one use of an invite that has one left and has not expired (true), or, with
    /// `give_back`, returns one (an account that could not be made after all).
    pub async fn use_invite(&self, token_hash: &[u8], give_back: bool) -> Result<bool> {
        let taken = expect_output!(
            self.writer().call(Work::UseInvite {
                token_hash: token_hash.to_vec(),
                now: Timestamp::now().millis(),
                give_back,
            }),
            Invite
        )?;
        Ok(taken.is_some())
    }

    /// An invite as it stands: its room, uses left and expiry (ms). `None`: no such invite.
    pub async fn invite(&self, token_hash: &[u8]) -> Result<Option<InviteInfo>> {
        let row = on_backend!(self, b => b.invite(token_hash).await)?;
        Ok(row.map(|r| InviteInfo {
            room: r.room_name.and_then(|r| RoomName::parse(&r).ok()),
            uses_left: r.uses_left.max(0) as u64,
            expires_at: r.expires_at,
        }))
    }
}
