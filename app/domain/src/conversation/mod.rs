//! A conversation: one thread with one contact, over whichever channel is active now.
//!
//! `state` is what the server keeps of a conversation, `decide` is the one place that says
//! what a command does to it (events, follow-up work, or a typed refusal), and `evolve`
//! applies those events. Nothing here does I/O: time and ids are passed in.

mod decide;
mod state;
pub mod switch;

pub use decide::{
    decide, evolve, start, AgentRef, Author, Command, Decision, Event, NewConversation, Refusal,
    Started, Work,
};
pub use state::{ConversationState, Member, Placement};

use crate::message::SenderKind;
use serde::{Deserialize, Serialize};

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

    /// Whether messages to the contact go out through a provider's API (everything but the
    /// web widget, which reads them from our own socket).
    pub fn via_provider(self) -> bool {
        self != Channel::Web
    }

    /// Whether conversations on it can be about a post's comments.
    pub fn has_comments(self) -> bool {
        matches!(self, Channel::PageComment | Channel::Instagram)
    }

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
    /// Offered to one agent (time-based routing), who must accept before the deadline.
    Offered,
    /// An agent is handling it.
    Open,
    /// Done; kept in history, reopened when the contact writes again.
    Closed,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 4] =
        [Self::Queued, Self::Offered, Self::Open, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Queued => "queued",
            ConversationStatus::Offered => "offered",
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Waiting for an agent: in the queue or offered to one.
    pub fn is_waiting(self) -> bool {
        matches!(self, Self::Queued | Self::Offered)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantRole {
    Owner,
    Invited,
}

impl ParticipantRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantRole::Owner => "owner",
            ParticipantRole::Invited => "invited",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Owner, Self::Invited]
            .into_iter()
            .find(|r| r.as_str() == s)
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

    /// `read_seq` is the last sequence the viewing agent has seen.
    pub fn of(
        status: ConversationStatus,
        last_sender: Option<SenderKind>,
        last_seq: u64,
        read_seq: u64,
    ) -> Self {
        match status {
            ConversationStatus::Closed => DisplayStatus::Closed,
            ConversationStatus::Queued | ConversationStatus::Offered => DisplayStatus::Waiting,
            ConversationStatus::Open => match last_sender {
                Some(SenderKind::Agent) => DisplayStatus::Answered,
                _ if read_seq < last_seq => DisplayStatus::Waiting,
                _ => DisplayStatus::Incoming,
            },
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationStatus::*;

    #[test]
    fn names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for s in ConversationStatus::ALL {
            assert_eq!(ConversationStatus::parse(s.as_str()), Some(s));
        }
        for r in [ParticipantRole::Owner, ParticipantRole::Invited] {
            assert_eq!(ParticipantRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!(ConversationStatus::parse("Queued"), None, "names are exact");
    }

    #[test]
    fn previews_are_flat_and_short() {
        assert_eq!(preview_of("hello\n  there"), "hello there");
        let long = "é".repeat(200);
        let p = preview_of(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS);
        assert!(p.ends_with('…'));
    }

    #[test]
    fn display_status_follows_seed_colours() {
        use SenderKind::*;
        assert_eq!(
            DisplayStatus::of(Queued, Some(Visitor), 1, 1),
            DisplayStatus::Waiting
        );
        assert_eq!(
            DisplayStatus::of(Offered, Some(Visitor), 1, 1),
            DisplayStatus::Waiting
        );
        assert_eq!(
            DisplayStatus::of(Open, Some(Agent), 2, 0),
            DisplayStatus::Answered
        );
        assert_eq!(
            DisplayStatus::of(Open, Some(Visitor), 3, 2),
            DisplayStatus::Waiting
        );
        assert_eq!(
            DisplayStatus::of(Open, Some(Visitor), 3, 3),
            DisplayStatus::Incoming
        );
        assert_eq!(
            DisplayStatus::of(Closed, Some(Agent), 3, 3),
            DisplayStatus::Closed
        );
    }
}
