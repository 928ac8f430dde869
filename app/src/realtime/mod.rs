//! Realtime: the axum side of the websocket (authentication at the upgrade, then the
//! engine's session) and the browser's reconnecting client. The frames are in
//! `switchboard_wire::frames`.

#[cfg(feature = "ssr")]
pub mod socket;

#[cfg(feature = "browser")]
pub mod client;
pub mod typing;

/// What the connection indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Online,
    /// Lost; the next attempt is in this many seconds.
    Reconnecting {
        in_secs: u32,
    },
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Connecting => "connecting",
            ConnState::Online => "online",
            ConnState::Reconnecting { .. } => "reconnecting",
        }
    }

    pub fn label(self) -> String {
        match self {
            ConnState::Connecting => "Connecting…".into(),
            ConnState::Online => "Connected".into(),
            ConnState::Reconnecting { in_secs: 0 } => "Reconnecting…".into(),
            ConnState::Reconnecting { in_secs } => {
                format!("Connection lost. Retrying in {in_secs}s…")
            }
        }
    }
}
