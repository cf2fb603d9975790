//! Delivery status of my own messages: Sending → Sent → Delivered → Read (by N),
//! computed from acks and the room members' receipts.

use uuid::Uuid;

use crate::protocol::Receipt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not acknowledged by the server yet.
    Sending,
    /// Stored on the server.
    Sent,
    /// At least one other member's client has received it.
    Delivered,
    /// Seen by these other members; `several` when the room has more than one other member.
    Read { readers: Vec<String>, several: bool },
}

impl DeliveryStatus {
    /// What a screen reader announces (the icon's accessible name).
    pub fn label(&self) -> String {
        match self {
            Self::Sending => "Sending".into(),
            Self::Sent => "Sent".into(),
            Self::Delivered => "Delivered".into(),
            Self::Read {
                readers,
                several: true,
            } => format!("Read by {}", readers.len()),
            Self::Read { .. } => "Read".into(),
        }
    }

    /// Who read it, for the tooltip.
    pub fn detail(&self) -> String {
        match self {
            Self::Read { readers, .. } => format!("Read by {}", readers.join(", ")),
            other => other.label(),
        }
    }

    /// The icon's classes (`status read` is coloured).
    pub fn class(&self) -> &'static str {
        match self {
            Self::Sending => "status sending",
            Self::Sent => "status sent",
            Self::Delivered => "status delivered",
            Self::Read { .. } => "status read",
        }
    }

    pub fn icon(&self) -> &'static str {
        match self {
            Self::Sending => "🕓",
            Self::Sent => "✓",
            Self::Delivered | Self::Read { .. } => "✓✓",
        }
    }
}

/// The status of my message stored as `seq` (0 while not acknowledged).
pub fn status<'a>(
    seq: u64,
    me: Uuid,
    receipts: impl IntoIterator<Item = &'a Receipt> + Clone,
) -> DeliveryStatus {
    if seq == 0 {
        return DeliveryStatus::Sending;
    }
    let others = || receipts.clone().into_iter().filter(|r| r.user != me);
    let mut readers: Vec<String> = others()
        .filter(|r| r.read >= seq)
        .map(|r| r.name.clone())
        .collect();
    if !readers.is_empty() {
        readers.sort();
        return DeliveryStatus::Read {
            readers,
            several: others().count() > 1,
        };
    }
    if others().any(|r| r.delivered >= seq) {
        DeliveryStatus::Delivered
    } else {
        DeliveryStatus::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(user: u128, name: &str, delivered: u64, read: u64) -> Receipt {
        Receipt {
            room: "r".into(),
            user: Uuid::from_u128(user),
            name: name.into(),
            delivered,
            read,
        }
    }

    const ME: Uuid = Uuid::from_u128(1);

    #[test]
    fn one_other_member() {
        let mine = r(1, "me", 10, 10);
        assert_eq!(
            status(0, ME, std::slice::from_ref(&mine)),
            DeliveryStatus::Sending
        );
        assert_eq!(
            status(5, ME, std::slice::from_ref(&mine)),
            DeliveryStatus::Sent,
            "my own receipt does not count"
        );
        assert_eq!(
            status(5, ME, &[mine.clone(), r(2, "bob", 4, 4)]),
            DeliveryStatus::Sent
        );
        assert_eq!(
            status(5, ME, &[mine.clone(), r(2, "bob", 5, 4)]),
            DeliveryStatus::Delivered
        );
        let read = status(5, ME, &[mine, r(2, "bob", 9, 6)]);
        assert_eq!(read.label(), "Read");
        assert_eq!(read.detail(), "Read by bob");
    }

    #[test]
    fn several_readers_are_counted_and_named() {
        let rs = [r(2, "carol", 9, 9), r(3, "bob", 9, 9), r(4, "dave", 9, 2)];
        let s = status(5, ME, &rs);
        assert_eq!(s.label(), "Read by 2");
        assert_eq!(s.detail(), "Read by bob, carol");
        assert_eq!(s.icon(), "✓✓");
        assert_eq!(
            status(5, ME, &[r(2, "carol", 9, 2), r(3, "bob", 1, 1)]).label(),
            "Delivered"
        );
    }
}
