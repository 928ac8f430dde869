//! Domain events: every change to a conversation is one named event, published to the
//! realtime hub (and, later, to channel adapters and reports) after its transaction commits.

use crate::conversation::ConversationSummary;
use crate::message::Message;
use crate::routing::Presence;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DomainEvent {
    ConversationStarted { summary: ConversationSummary },
    MessageAppended { message: Message, summary: ConversationSummary },
    /// Routing put it in the shared queue (or back there).
    ConversationQueued { summary: ConversationSummary },
    /// Time-based routing offered it to one agent.
    ConversationOffered { summary: ConversationSummary },
    /// An agent took it (start chat, accept, hold) or replied to it.
    ConversationAssigned { summary: ConversationSummary },
    /// A timer ran out on it: the offer lapsed, or the queue gave up.
    ConversationMissed { summary: ConversationSummary, agent: Option<Uuid> },
    ConversationDeclined { summary: ConversationSummary, agent: Uuid },
    ConversationTransferred { summary: ConversationSummary, from: Uuid, to: Uuid },
    ParticipantInvited { summary: ConversationSummary, agent: Uuid },
    ConversationClosed { summary: ConversationSummary },
    ConversationReopened { summary: ConversationSummary },
    /// An agent's presence changed.
    PresenceChanged { agent: Uuid, presence: Presence },
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
    pub fn summary(&self) -> Option<&ConversationSummary> {
        match self {
            DomainEvent::ConversationStarted { summary }
            | DomainEvent::MessageAppended { summary, .. }
            | DomainEvent::ConversationQueued { summary }
            | DomainEvent::ConversationOffered { summary }
            | DomainEvent::ConversationAssigned { summary }
            | DomainEvent::ConversationMissed { summary, .. }
            | DomainEvent::ConversationDeclined { summary, .. }
            | DomainEvent::ConversationTransferred { summary, .. }
            | DomainEvent::ParticipantInvited { summary, .. }
            | DomainEvent::ConversationClosed { summary }
            | DomainEvent::ConversationReopened { summary } => Some(summary),
            DomainEvent::PresenceChanged { .. } => None,
        }
    }

    /// The event's name, as serialized (for logs and listeners).
    pub fn name(&self) -> &'static str {
        match self {
            DomainEvent::ConversationStarted { .. } => "conversation_started",
            DomainEvent::MessageAppended { .. } => "message_appended",
            DomainEvent::ConversationQueued { .. } => "conversation_queued",
            DomainEvent::ConversationOffered { .. } => "conversation_offered",
            DomainEvent::ConversationAssigned { .. } => "conversation_assigned",
            DomainEvent::ConversationMissed { .. } => "conversation_missed",
            DomainEvent::ConversationDeclined { .. } => "conversation_declined",
            DomainEvent::ConversationTransferred { .. } => "conversation_transferred",
            DomainEvent::ParticipantInvited { .. } => "participant_invited",
            DomainEvent::ConversationClosed { .. } => "conversation_closed",
            DomainEvent::ConversationReopened { .. } => "conversation_reopened",
            DomainEvent::PresenceChanged { .. } => "presence_changed",
        }
    }

    pub fn conversation_id(&self) -> Option<Uuid> {
        self.summary().map(|s| s.id)
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
