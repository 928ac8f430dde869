//! A conversation: one thread with one contact, over whichever channel is active now.

use crate::message::SenderKind;
use crate::Millis;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the contact is writing from. A conversation has one active channel at a time and the
/// active channel can change mid-thread (chat switch) without starting a new conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Web,
    Sms,
    Whatsapp,
    Messenger,
    PageComment,
    Instagram,
    Telegram,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Web,
        Channel::Sms,
        Channel::Whatsapp,
        Channel::Messenger,
        Channel::PageComment,
        Channel::Instagram,
        Channel::Telegram,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
            Channel::Messenger => "messenger",
            Channel::PageComment => "page_comment",
            Channel::Instagram => "instagram",
            Channel::Telegram => "telegram",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Web => "Web chat",
            Channel::Sms => "SMS",
            Channel::Whatsapp => "WhatsApp",
            Channel::Messenger => "Messenger",
            Channel::PageComment => "Page comment",
            Channel::Instagram => "Instagram",
            Channel::Telegram => "Telegram",
        }
    }
}

/// The lifecycle of a conversation as the server stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Waiting for an agent to pick it up.
    Queued,
    /// An agent is handling it.
    Open,
    /// Done; kept in history, reopened when the contact writes again.
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Queued => "queued",
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Open, Self::Closed].into_iter().find(|c| c.as_str() == s)
    }
}

/// Something that happened to a conversation that may move its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// An agent replied or accepted.
    AgentEngaged,
    /// The contact wrote a message.
    ContactWrote,
    /// An agent closed it.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("This conversation is already closed.")]
    AlreadyClosed,
    #[error("This conversation is closed; it reopens when the contact writes again.")]
    ClosedForAgents,
}

/// The status state machine. Pure: the caller persists the result.
pub fn transition(
    from: ConversationStatus,
    change: StatusChange,
) -> Result<ConversationStatus, TransitionError> {
    use ConversationStatus as S;
    use StatusChange as C;
    match (from, change) {
        (S::Queued | S::Open, C::AgentEngaged) => Ok(S::Open),
        (S::Closed, C::AgentEngaged) => Err(TransitionError::ClosedForAgents),
        // A closed conversation comes back to the queue with its whole history.
        (S::Closed, C::ContactWrote) => Ok(S::Queued),
        (s, C::ContactWrote) => Ok(s),
        (S::Queued | S::Open, C::Closed) => Ok(S::Closed),
        (S::Closed, C::Closed) => Err(TransitionError::AlreadyClosed),
    }
}

/// How the inbox colours a conversation (seed 004): incoming green, waiting orange,
/// answered blue, closed grey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisplayStatus {
    /// Accepted by an agent, the contact spoke last and the agent has read it.
    Incoming,
    /// Not accepted yet, or has messages the agent has not read.
    Waiting,
    /// The agent replied last.
    Answered,
    Closed,
}

impl DisplayStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DisplayStatus::Incoming => "incoming",
            DisplayStatus::Waiting => "waiting",
            DisplayStatus::Answered => "answered",
            DisplayStatus::Closed => "closed",
        }
    }
}

/// What an inbox row shows; pushed to agents whenever it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub status: ConversationStatus,
    pub active_channel: Channel,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub last_seq: u64,
    /// Text of the last public message, shortened for a list row.
    pub preview: String,
    pub last_sender: Option<SenderKind>,
    pub last_message_at: Millis,
    pub created_at: Millis,
}

pub const PREVIEW_CHARS: usize = 80;

/// Shortens a message body for a list row, on a character boundary.
pub fn preview_of(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        flat
    } else {
        let mut s: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
        s.push('…');
        s
    }
}

impl ConversationSummary {
    /// `read_seq` is the last sequence this agent has seen in this conversation.
    pub fn display_status(&self, read_seq: u64) -> DisplayStatus {
        match self.status {
            ConversationStatus::Closed => DisplayStatus::Closed,
            ConversationStatus::Queued => DisplayStatus::Waiting,
            ConversationStatus::Open => match self.last_sender {
                Some(SenderKind::Agent) => DisplayStatus::Answered,
                _ if read_seq < self.last_seq => DisplayStatus::Waiting,
                _ => DisplayStatus::Incoming,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationStatus::*;

    #[test]
    fn agent_engagement_opens_a_queued_conversation() {
        assert_eq!(transition(Queued, StatusChange::AgentEngaged), Ok(Open));
        assert_eq!(transition(Open, StatusChange::AgentEngaged), Ok(Open));
    }

    #[test]
    fn closing_is_final_until_the_contact_writes() {
        assert_eq!(transition(Open, StatusChange::Closed), Ok(Closed));
        assert_eq!(transition(Queued, StatusChange::Closed), Ok(Closed));
        assert_eq!(transition(Closed, StatusChange::Closed), Err(TransitionError::AlreadyClosed));
        assert_eq!(
            transition(Closed, StatusChange::AgentEngaged),
            Err(TransitionError::ClosedForAgents)
        );
        assert_eq!(transition(Closed, StatusChange::ContactWrote), Ok(Queued));
        assert_eq!(transition(Open, StatusChange::ContactWrote), Ok(Open));
    }

    #[test]
    fn names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for s in [Queued, Open, Closed] {
            assert_eq!(ConversationStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Channel::parse("fax"), None);
    }

    #[test]
    fn previews_are_flat_and_short() {
        assert_eq!(preview_of("hello\n  there"), "hello there");
        let long = "é".repeat(200);
        let p = preview_of(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS);
        assert!(p.ends_with('…'));
    }

    fn summary(status: ConversationStatus, last: Option<SenderKind>, last_seq: u64) -> ConversationSummary {
        ConversationSummary {
            id: Uuid::nil(),
            contact_id: Uuid::nil(),
            contact_name: "Ada".into(),
            contact_email: None,
            contact_phone: None,
            status,
            active_channel: Channel::Web,
            assignee_id: None,
            assignee_name: None,
            last_seq,
            preview: String::new(),
            last_sender: last,
            last_message_at: 0,
            created_at: 0,
        }
    }

    #[test]
    fn display_status_follows_seed_colours() {
        assert_eq!(summary(Queued, Some(SenderKind::Visitor), 1).display_status(1), DisplayStatus::Waiting);
        assert_eq!(summary(Open, Some(SenderKind::Agent), 2).display_status(0), DisplayStatus::Answered);
        assert_eq!(summary(Open, Some(SenderKind::Visitor), 3).display_status(2), DisplayStatus::Waiting);
        assert_eq!(summary(Open, Some(SenderKind::Visitor), 3).display_status(3), DisplayStatus::Incoming);
        assert_eq!(summary(Closed, Some(SenderKind::Agent), 3).display_status(3), DisplayStatus::Closed);
    }
}
