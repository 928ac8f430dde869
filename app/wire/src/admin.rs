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
    /// Demo mode: the channels not configured otherwise are connected to the built-in
    /// provider simulator.
    pub simulated: bool,
    /// The credentials, one section per provider, as the admin edits them.
    pub sections: Vec<ChannelSection>,
    /// Saved settings that could not be used (the server runs without them), in plain words.
    pub problem: Option<String>,
}

/// Where a setting's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// The server's environment: read-only here.
    Environment,
    /// Saved from this page.
    Saved,
    /// Demo mode's provider simulator.
    Simulator,
    /// Not set.
    Unset,
}

impl SettingSource {
    pub fn label(self) -> &'static str {
        match self {
            SettingSource::Environment => "Set by the environment",
            SettingSource::Saved => "Saved here",
            SettingSource::Simulator => "Simulator",
            SettingSource::Unset => "Not set",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SettingSource::Environment => "environment",
            SettingSource::Saved => "saved",
            SettingSource::Simulator => "simulator",
            SettingSource::Unset => "unset",
        }
    }
}

/// One provider's credentials on the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSection {
    /// `twilio`, `meta`, `whatsapp`, `facebook`, `telegram`.
    pub id: String,
    pub title: String,
    /// What it connects, in a sentence.
    pub about: String,
    pub fields: Vec<ChannelField>,
}

impl ChannelSection {
    /// Whether anything in it can be changed here (not everything comes from the environment).
    pub fn editable(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.source != SettingSource::Environment)
    }

    /// Whether some of it was saved here (and so can be removed).
    pub fn saved(&self) -> bool {
        self.fields.iter().any(|f| f.source == SettingSource::Saved)
    }
}

/// One setting: a secret's value is never sent, only its masked end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelField {
    /// The environment variable that can set it (`SWITCHBOARD_TWILIO_AUTH_TOKEN`).
    pub var: String,
    pub label: String,
    pub hint: String,
    pub secret: bool,
    /// Several lines (JSON).
    pub multiline: bool,
    /// A choice among these values, when not free text.
    pub choices: Vec<String>,
    /// The value; for a secret, only its end (empty when unset).
    pub value: String,
    pub source: SettingSource,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTest {
    pub ok: bool,
    /// The account's name as the provider knows it, or why the test failed, in plain words.
    pub message: String,
}
