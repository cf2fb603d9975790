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

use super::{Entry, ErrorCode, Presence, Receipt, ServerFrame};

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FrameType {
    Message,
    Ack,
    Receipts,
    Joined,
    More,
    Typing,
    Presence,
    Topic,
    Error,
}

/// The fields of every frame but `message`, each optional: one reader for all of them costs
/// the WASM one struct reader instead of one per frame type (about 1.5 KB each). What a
/// frame type must have is checked when the variant is made.
#[derive(Deserialize)]
struct Fields {
    room: Option<String>,
    client_id: Option<Uuid>,
    seq: Option<u64>,
    receipts: Option<Vec<Receipt>>,
    since: Option<u64>,
    user: Option<Uuid>,
    name: Option<String>,
    online: Option<usize>,
    members: Option<Vec<String>>,
    code: Option<ErrorCode>,
    message: Option<String>,
    retry_after_ms: Option<u64>,
    topic: Option<String>,
}

/// `value`, or the error for the missing `field`.
fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
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
        let frame_type: FrameType = map.next_value()?;
        let rest = MapAccessDeserializer::new(map);
        if let FrameType::Message = frame_type {
            return Ok(ServerFrame::Message(Entry::deserialize(rest)?));
        }
        let f = Fields::deserialize(rest)?;
        let room = f.room;
        Ok(match frame_type {
            FrameType::Message => unreachable!("read above"),
            FrameType::Ack => ServerFrame::Ack {
                room: need(room, "room")?,
                client_id: need(f.client_id, "client_id")?,
                seq: need(f.seq, "seq")?,
            },
            FrameType::Receipts => ServerFrame::Receipts {
                room: need(room, "room")?,
                receipts: need(f.receipts, "receipts")?,
            },
            FrameType::Joined => ServerFrame::Joined {
                room: need(room, "room")?,
                seq: need(f.seq, "seq")?,
            },
            FrameType::More => ServerFrame::More {
                room: need(room, "room")?,
                since: need(f.since, "since")?,
            },
            FrameType::Typing => ServerFrame::Typing {
                room: need(room, "room")?,
                user: need(f.user, "user")?,
                name: need(f.name, "name")?,
            },
            FrameType::Presence => ServerFrame::Presence(Presence {
                room: need(room, "room")?,
                online: need(f.online, "online")?,
                members: need(f.members, "members")?,
            }),
            FrameType::Topic => ServerFrame::Topic {
                room: need(room, "room")?,
                topic: need(f.topic, "topic")?,
            },
            FrameType::Error => ServerFrame::Error {
                code: need(f.code, "code")?,
                message: need(f.message, "message")?,
                client_id: f.client_id,
                retry_after_ms: f.retry_after_ms,
                room,
            },
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
        let joined = r#"{"type":"joined","room":"r","seq":7}"#;
        assert_eq!(
            serde_json::from_str::<ServerFrame>(joined).unwrap(),
            ServerFrame::Joined {
                room: "r".into(),
                seq: 7
            }
        );
        let presence = r#"{"type":"presence","room":"r","online":1,"members":["a","b"]}"#;
        assert_eq!(
            serde_json::from_str::<ServerFrame>(presence).unwrap(),
            ServerFrame::Presence(Presence {
                room: "r".into(),
                online: 1,
                members: vec!["a".into(), "b".into()]
            })
        );
        let topic = r#"{"type":"topic","room":"r","topic":"<b>Friday</b>"}"#;
        assert_eq!(
            serde_json::from_str::<ServerFrame>(topic).unwrap(),
            ServerFrame::Topic {
                room: "r".into(),
                topic: "<b>Friday</b>".into()
            }
        );
        let refusal = r#"{"type":"error","code":"bad_room","message":"no","extra":1}"#;
        assert!(matches!(
            serde_json::from_str::<ServerFrame>(refusal).unwrap(),
            ServerFrame::Error {
                client_id: None,
                ..
            }
        ));
        for bad in [
            r#"{"type":"error","code":"bad_room"}"#,
            r#"{"type":"presence","room":"r","members":[]}"#,
            r#"{"type":"ack","room":"r","seq":1}"#,
            r#"{"type":"typing","user":"00000000-0000-0000-0000-000000000000","name":"a"}"#,
            r#"{"room":"r","type":"more","since":5}"#,
            r#"{"type":"dance","room":"r"}"#,
            r#"{"type":"more","room":"r"}"#,
            r#"{"type":"joined","room":"r"}"#,
            r#"{"type":"more","room":"r","since":"x"}"#,
            r#"[]"#,
            r#"{}"#,
        ] {
            assert!(serde_json::from_str::<ServerFrame>(bad).is_err(), "{bad}");
        }
    }
}
