//! Domain events: every change to a conversation is one named event, published to the
//! realtime hub (and, later, to channel adapters and reports) after its transaction commits.

use crate::conversation::ConversationSummary;
use crate::message::Message;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DomainEvent {
    ConversationStarted { summary: ConversationSummary },
    MessageAppended { message: Message, summary: ConversationSummary },
    ConversationAssigned { summary: ConversationSummary },
    ConversationClosed { summary: ConversationSummary },
    ConversationReopened { summary: ConversationSummary },
}

/// Who an event may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Agents, and the contact of this conversation.
    Everyone,
    /// Agents only.
    Agents,
}

impl DomainEvent {
    pub fn summary(&self) -> &ConversationSummary {
        match self {
            DomainEvent::ConversationStarted { summary }
            | DomainEvent::MessageAppended { summary, .. }
            | DomainEvent::ConversationAssigned { summary }
            | DomainEvent::ConversationClosed { summary }
            | DomainEvent::ConversationReopened { summary } => summary,
        }
    }

    pub fn conversation_id(&self) -> Uuid {
        self.summary().id
    }

    /// The contact sees public messages and nothing of the inbox bookkeeping.
    pub fn audience(&self) -> Audience {
        match self {
            DomainEvent::MessageAppended { message, .. } if message.visibility.visible_to_contact() => {
                Audience::Everyone
            }
            _ => Audience::Agents,
        }
    }
}
