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
