//! The state of the room's connection, as the badge shows it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    /// Not signed in: the room is shown read-only.
    ReadOnly,
    Connecting,
    Connected,
    /// Waiting to try again in `retry_in` seconds (or for the network, when offline).
    Reconnecting {
        retry_in: u32,
        offline: bool,
    },
}

impl ConnStatus {
    pub fn label(self) -> String {
        match self {
            Self::ReadOnly => "Read-only".into(),
            Self::Connecting => "Connecting…".into(),
            Self::Connected => "Connected".into(),
            Self::Reconnecting { offline: true, .. } => "Reconnecting… (offline)".into(),
            Self::Reconnecting { retry_in, .. } => format!("Reconnecting… retry in {retry_in} s"),
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Self::ReadOnly => "badge readonly",
            Self::Connecting | Self::Reconnecting { .. } => "badge waiting",
            Self::Connected => "badge online",
        }
    }
}
