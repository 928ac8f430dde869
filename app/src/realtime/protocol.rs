//! Frames on the websocket, as JSON text. Messages themselves are only ever written through
//! server functions; the socket delivers them, exactly once and in order.

use serde::{Deserialize, Serialize};
use switchboard_domain::{ConversationStatus, ConversationSummary, Message, Presence};
use uuid::Uuid;

/// Seconds between client heartbeats; the server drops a socket silent for three of them.
pub const HEARTBEAT_SECS: u64 = 15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Start (or resume) a conversation's stream: everything after `after_seq`, then live.
    Subscribe { conversation_id: Uuid, after_seq: u64 },
    Unsubscribe { conversation_id: Uuid },
    Ping,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome { role: Role },
    /// A message the receiver may see, in seq order, never twice on one socket.
    Message { message: Message },
    /// Replay for a subscription is complete up to `seq`; live messages follow.
    Synced { conversation_id: Uuid, seq: u64 },
    /// An inbox row changed (agents only).
    Conversation { summary: ConversationSummary },
    /// A conversation's status changed (what a contact may know of it). Frames can come
    /// out of order: the higher revision is the newer.
    Status { conversation_id: Uuid, status: ConversationStatus, revision: u64 },
    /// An agent's presence changed (agents only).
    Presence { agent: Uuid, presence: Presence },
    /// Something for this agent's attention: a chat offered, transferred or an invitation.
    Notice { conversation_id: Uuid, text: String },
    /// The server fell behind this socket: reload lists (subscriptions are replayed).
    Resync,
    Pong,
    Error { message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Visitor,
    Agent,
}
