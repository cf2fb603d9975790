//! A room's topic: one line of plain text under the room's name in the directory and on
//! its members page. A member sets it (`POST /r/<room>/members/topic`, `PUT
//! /api/rooms/<room>/topic`, or when making the room); an empty one clears it. It is text,
//! escaped wherever it is shown, never Markdown.

use crate::{
    server::{
        domain::access::{manage_allowed, readable},
        model::User,
        AppState, Error, Result,
    },
    validation::{is_unseen, RoomName},
};

/// Longest topic, in characters.
pub const TOPIC_MAX: usize = 250;

/// `raw` as a topic: trimmed, every run of blanks (new lines too) one space. Refused: over
/// `TOPIC_MAX` characters, or a control character or one the reader cannot see
/// ([`is_unseen`]: invisible, format, private-use, unassigned, a line separator).
pub fn parse(raw: &str) -> Result<String> {
    if let Some(c) = raw
        .chars()
        .find(|c| (c.is_control() && !c.is_whitespace()) || is_unseen(*c))
    {
        return Err(Error::BadRequest(format!(
            "A topic cannot hold the character U+{:04X}.",
            u32::from(c)
        )));
    }
    let topic = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if topic.chars().count() > TOPIC_MAX {
        return Err(Error::BadRequest(format!(
            "A topic is at most {TOPIC_MAX} characters."
        )));
    }
    Ok(topic)
}

/// Sets `room`'s topic to `raw` for `me`, a member of it. Direct conversations have none.
pub async fn set(state: &AppState, me: &User, room: &str, raw: &str) -> Result<()> {
    manage_allowed(state, me)?;
    let topic = parse(raw)?;
    let (facts, access) = readable(state, me, room).await?;
    let name: &RoomName = &facts.room.name;
    if name.is_direct() {
        return Err(Error::BadRequest(
            "A direct conversation has no topic.".into(),
        ));
    }
    if !access.may_moderate() {
        return Err(Error::Forbidden(format!(
            "Only the owners of #{name} and the admin set its topic."
        )));
    }
    if !state.store.set_topic(&facts.room, &topic).await? {
        return Err(Error::NotFound(format!("There is no room called #{name}.")));
    }
    // Who and where, never the text.
    tracing::info!(user = %me.id, room = %name, cleared = topic.is_empty(), "topic set");
    state.hub.topic_set(name, topic);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_is_one_trimmed_line() {
        assert_eq!(
            parse("  Design  review\n\tevery   Friday ").unwrap(),
            "Design review every Friday"
        );
        assert_eq!(parse("").unwrap(), "");
        assert_eq!(parse(" \n ").unwrap(), "");
        // Markup is kept as text: it is escaped where it is shown.
        assert_eq!(parse("<b>hi</b> & ok").unwrap(), "<b>hi</b> & ok");
    }

    #[test]
    fn too_long_and_hidden_characters_are_refused() {
        assert!(parse(&"a".repeat(TOPIC_MAX)).is_ok());
        assert!(parse(&"é".repeat(TOPIC_MAX)).is_ok());
        let long = parse(&"a".repeat(TOPIC_MAX + 1)).unwrap_err().to_string();
        assert!(long.contains("at most 250"), "{long}");
        for bad in [
            "a\u{0}b",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "rtl \u{202E}txt.exe",
            "zw\u{200B}j",
            "our \u{FFF9}secret\u{FFFB} plans",
            "private \u{E000} use",
            "un\u{0378}assigned",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was taken");
        }
    }
}
