//! What the visitor's widget gets from the server.

use serde::{Deserialize, Serialize};
use switchboard_domain::{BotSettings, ConversationStatus, Message, WaitEstimate};
use uuid::Uuid;

/// What the widget needs to show a visitor their conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitorChat {
    pub token: String,
    pub conversation_id: Uuid,
    pub contact_name: String,
    pub status: ConversationStatus,
    /// The conversation's revision when `status` was read (newer status frames win).
    pub revision: u64,
    /// The latest public messages, in seq order.
    pub messages: Vec<Message>,
    /// Whether older public messages exist before the first of `messages`.
    pub has_older: bool,
    /// Channels the visitor can move this chat to (Switch to SMS…).
    #[serde(default)]
    pub switch_to: Vec<switchboard_domain::Channel>,
    /// The phone number the visitor gave, to offer when they switch.
    #[serde(default)]
    pub phone: Option<String>,
    /// Where a chat switch stands, if one is under way or can still be reverted.
    #[serde(default)]
    pub switch: Option<SwitchView>,
}

/// What the widget shows before a chat: the chatbot, and whether anyone is Online.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetSetup {
    pub bot: Option<BotSettings>,
    pub agents_online: bool,
    /// For the start: ties a retried start to this widget (see `visitor/start`).
    pub start_nonce: String,
}

/// Where a waiting visitor stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueInfo {
    pub status: ConversationStatus,
    /// 1 is next; none once an agent has it.
    pub position: Option<usize>,
    pub estimate: Option<WaitEstimate>,
    pub missed: bool,
}

/// Where the visitor's chat switch stands (the widget polls it while one is under way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchView {
    /// The conversation's active channel now.
    pub active: switchboard_domain::Channel,
    /// The channel the chat moved (or is moving) to; none when it is where it started.
    pub to: Option<switchboard_domain::Channel>,
    /// The number, as dialled.
    pub address: Option<String>,
    /// The welcome is on its way.
    pub pending: bool,
    /// How long the visitor may still go back, in milliseconds.
    pub revert_ms_left: Option<i64>,
}
