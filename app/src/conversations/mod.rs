//! Conversations: the write model (start, append with seq and dedupe, close, reopen) and the
//! read models the widget and the inbox use. The service is server-only; the types are shared.

#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};
use switchboard_domain::{ConversationSummary, Message};

/// One inbox row for the signed-in agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    pub summary: ConversationSummary,
    /// How far this agent has read it.
    pub read_seq: u64,
}

/// A conversation opened in the inbox: its row and its whole history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub messages: Vec<Message>,
}
