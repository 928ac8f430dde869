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
}

/// What the widget shows before a chat: the chatbot, and whether anyone is Online.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetSetup {
    pub bot: Option<BotSettings>,
    pub agents_online: bool,
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
