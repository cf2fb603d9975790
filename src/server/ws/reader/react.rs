//! `react`: a person adds an emoji to a message (anyone who may post in the room), or
//! takes theirs back. Each person counts once per emoji; a message holds at most
//! `REACTIONS_MAX` different ones (see `change` for what changes of a message share:
//! the rate limit, the message stored and not deleted).

use uuid::Uuid;

use super::Reader;
use crate::{
    emoji::is_only_emoji,
    protocol::{ErrorCode, REACTIONS_MAX},
    server::hub::Content,
};

/// Longest reaction, in bytes: one emoji, or a short sequence (a family, a flag, a skin
/// tone) joined by zero-width joiners.
const MAX_EMOJI_BYTES: usize = 32;

/// `emoji` if it is a reaction: only emoji (at most a few, no spaces), short.
pub fn reaction(emoji: &str) -> Option<&str> {
    let ok = emoji.len() <= MAX_EMOJI_BYTES
        && !emoji.chars().any(char::is_whitespace)
        && is_only_emoji(emoji);
    ok.then_some(emoji)
}

impl Reader {
    pub(super) async fn react(
        &mut self,
        room: &str,
        seq: u64,
        client_id: Uuid,
        emoji: &str,
        undo: bool,
    ) {
        let Some(emoji) = reaction(emoji) else {
            return self.error(
                ErrorCode::BadReaction,
                "A reaction is one emoji.",
                Some(client_id),
            );
        };
        let Some(target) = self.target(room, seq, client_id).await else {
            return;
        };
        if target.msg.deleted {
            return self.error(
                ErrorCode::NotFound,
                "That message was deleted; it cannot take reactions.",
                Some(client_id),
            );
        }
        let reactions = &target.msg.reactions;
        if !undo && reactions.len() >= REACTIONS_MAX && !reactions.iter().any(|r| r.emoji == emoji)
        {
            return self.error(
                ErrorCode::BadReaction,
                format!("A message holds at most {REACTIONS_MAX} different reactions."),
                Some(client_id),
            );
        }
        let content = Content::React {
            seq,
            emoji: emoji.to_owned(),
            undo,
        };
        self.change(target, client_id, content).await;
    }
}

#[cfg(test)]
mod tests {
    use super::reaction;

    #[test]
    fn a_reaction_is_one_short_emoji() {
        for ok in ["👍", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "🎉"] {
            assert_eq!(reaction(ok), Some(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "👍 👍",
            "<b>",
            "👍x",
            " 👍",
            &"👍".repeat(9),
            "\u{200b}",
        ] {
            assert_eq!(reaction(bad), None, "{bad:?}");
        }
    }
}
