//! Reports for admins.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatStats {
    pub closed: u64,
    pub avg_first_response_secs: Option<u64>,
    pub avg_handle_secs: Option<u64>,
    /// Offers that lapsed plus requests the queue timer gave up on.
    pub missed: u64,
    pub leads: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeInStatus {
    pub agent_id: Uuid,
    pub name: String,
    pub online_secs: u64,
    pub away_secs: u64,
    pub offline_secs: u64,
    pub missed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub from: i64,
    pub to: i64,
    pub chats: ChatStats,
    pub agents: Vec<TimeInStatus>,
}

/// A connected provider account as the admin page shows it. Secrets are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAccountInfo {
    pub channel: switchboard_domain::Channel,
    pub adapter: String,
    pub name: String,
    /// Our address on the channel: number, phone number id, Page, account or bot id.
    pub address: String,
    pub api_base: String,
    /// The credentials with only their last characters shown.
    pub credentials: String,
    /// Fetches its events by long polling (no webhook to configure).
    pub polling: bool,
    pub templates: usize,
    /// Where the provider's webhook goes, under the public URL.
    pub webhook_path: Option<String>,
}

/// The admin's channels section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsOverview {
    pub accounts: Vec<ChannelAccountInfo>,
    /// `SWITCHBOARD_PUBLIC_URL`: webhook URLs are built from it.
    pub public_url: String,
    /// Demo mode: every channel is connected to the built-in provider simulator.
    pub simulated: bool,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTest {
    pub ok: bool,
    /// The account's name as the provider knows it, or why the test failed, in plain words.
    pub message: String,
}
