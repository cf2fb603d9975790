//! Reading a server frame without buffering it.
//!
//! serde's derive for an internally tagged enum (`"type"` anywhere in the object) reads the
//! whole frame into an intermediate tree first, and then each variant out of that tree:
//! code for every type twice, which the browser's WASM paid for. The server always writes
//! `"type"` first (serde's derive does, for every frame), so this reader asks for it first
//! and reads the rest of the object straight into the variant. A frame with `"type"`
//! elsewhere is refused with a clear error.

use serde::{
    de::{value::MapAccessDeserializer, Error as _, MapAccess, Visitor},
    Deserialize, Deserializer,
};
use uuid::Uuid;

use super::{ChatMessage, ErrorCode, Presence, Receipt, ServerFrame};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Message,
    Ack,
    Receipts,
    More,
    Typing,
    Presence,
    Error,
}

// The fields of the struct variants, as `ServerFrame` declares them.
#[derive(Deserialize)]
struct Ack {
    room: String,
    client_id: Uuid,
    seq: u64,
}

#[derive(Deserialize)]
struct Receipts {
    room: String,
    receipts: Vec<Receipt>,
}

#[derive(Deserialize)]
struct More {
    room: String,
    since: u64,
}

#[derive(Deserialize)]
struct Typing {
    room: String,
    user: Uuid,
    name: String,
}

#[derive(Deserialize)]
struct Refusal {
    code: ErrorCode,
    message: String,
    #[serde(default)]
    client_id: Option<Uuid>,
    #[serde(default)]
    retry_after_ms: Option<u64>,
}

impl<'de> Deserialize<'de> for ServerFrame {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(FrameVisitor)
    }
}

struct FrameVisitor;

impl<'de> Visitor<'de> for FrameVisitor {
    type Value = ServerFrame;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a server frame: an object with \"type\" first")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ServerFrame, A::Error> {
        let first: Option<std::borrow::Cow<'de, str>> = map.next_key()?;
        if first.as_deref() != Some("type") {
            return Err(A::Error::custom("a server frame starts with \"type\""));
        }
        let kind: Kind = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        Ok(match kind {
            Kind::Message => ServerFrame::Message(ChatMessage::deserialize(rest)?),
            Kind::Ack => {
                let Ack {
                    room,
                    client_id,
                    seq,
                } = Ack::deserialize(rest)?;
                ServerFrame::Ack {
                    room,
                    client_id,
                    seq,
                }
            }
            Kind::Receipts => {
                let Receipts { room, receipts } = Receipts::deserialize(rest)?;
                ServerFrame::Receipts { room, receipts }
            }
            Kind::More => {
                let More { room, since } = More::deserialize(rest)?;
                ServerFrame::More { room, since }
            }
            Kind::Typing => {
                let Typing { room, user, name } = Typing::deserialize(rest)?;
                ServerFrame::Typing { room, user, name }
            }
            Kind::Presence => ServerFrame::Presence(Presence::deserialize(rest)?),
            Kind::Error => {
                let Refusal {
                    code,
                    message,
                    client_id,
                    retry_after_ms,
                } = Refusal::deserialize(rest)?;
                ServerFrame::Error {
                    code,
                    message,
                    client_id,
                    retry_after_ms,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_must_come_first_and_be_known() {
        let ok = r#"{"type":"more","room":"r","since":5}"#;
        assert_eq!(
            serde_json::from_str::<ServerFrame>(ok).unwrap(),
            ServerFrame::More {
                room: "r".into(),
                since: 5
            }
        );
        for bad in [
            r#"{"room":"r","type":"more","since":5}"#,
            r#"{"type":"dance","room":"r"}"#,
            r#"{"type":"more","room":"r"}"#,
            r#"{"type":"more","room":"r","since":"x"}"#,
            r#"[]"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<ServerFrame>(bad).is_err(), "{bad}");
        }
    }
}
