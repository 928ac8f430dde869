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
    /// Offered to one agent (time-based routing), who must accept before the deadline.
    Offered,
    /// An agent is handling it.
    Open,
    /// Done; kept in history, reopened when the contact writes again.
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Queued => "queued",
            ConversationStatus::Offered => "offered",
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Offered, Self::Open, Self::Closed].into_iter().find(|c| c.as_str() == s)
    }
}

/// Something that happened to a conversation that may move its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Routing offered it to one agent.
    Offered,
    /// The offer lapsed or was declined: back to routing.
    OfferWithdrawn,
    /// An agent accepted it (Start chat, Accept, Put on hold) or replied to it.
    AgentEngaged,
    /// The contact wrote a message.
    ContactWrote,
    /// An agent closed it (or the queue gave up on it and made it a lead).
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("This conversation is already closed.")]
    AlreadyClosed,
    #[error("This conversation is closed; it reopens when the contact writes again.")]
    ClosedForAgents,
    #[error("Another agent already took this chat.")]
    AlreadyTaken,
    #[error("This chat is not waiting for an agent.")]
    NotWaiting,
}

/// The status state machine. Pure: the caller persists the result (with a conditional
/// update, so that of two racing agents exactly one wins).
pub fn transition(
    from: ConversationStatus,
    change: StatusChange,
) -> Result<ConversationStatus, TransitionError> {
    use ConversationStatus as S;
    use StatusChange as C;
    match (from, change) {
        (S::Queued, C::Offered) => Ok(S::Offered),
        (S::Offered, C::OfferWithdrawn) => Ok(S::Queued),
        (S::Open, C::Offered | C::OfferWithdrawn) => Err(TransitionError::AlreadyTaken),
        (S::Queued, C::OfferWithdrawn) | (S::Offered, C::Offered) => Err(TransitionError::NotWaiting),
        (S::Closed, C::Offered | C::OfferWithdrawn) => Err(TransitionError::AlreadyClosed),
        (S::Queued | S::Offered | S::Open, C::AgentEngaged) => Ok(S::Open),
        (S::Closed, C::AgentEngaged) => Err(TransitionError::ClosedForAgents),
        // A closed conversation comes back to routing with its whole history.
        (S::Closed, C::ContactWrote) => Ok(S::Queued),
        (s, C::ContactWrote) => Ok(s),
        (S::Queued | S::Offered | S::Open, C::Closed) => Ok(S::Closed),
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
    /// Time-based routing: who must accept it now.
    pub offered_to: Option<Uuid>,
    pub offered_to_name: Option<String>,
    /// When the running queue or acceptance timer fires.
    pub deadline: Option<Millis>,
    /// The queue timer ran out before anyone took it.
    pub missed: bool,
    /// An offline lead rather than a live chat.
    pub lead: bool,
    pub queued_at: Millis,
    /// Agents who let it lapse or declined it; it is not offered (or shown queued) to them again.
    pub passed_by: Vec<Uuid>,
    /// Agents in the room.
    pub participants: Vec<Participant>,
    /// Moves on with every change; of two summaries of one conversation the higher is newer.
    pub revision: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
        [Self::Owner, Self::Invited].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: Uuid,
    pub name: String,
    pub role: ParticipantRole,
}

impl ConversationSummary {
    /// Whether an agent works this chat: its assignee, its current offer, or invited in.
    pub fn involves(&self, agent: Uuid) -> bool {
        self.assignee_id == Some(agent) || self.offered_to == Some(agent) || self.participants.iter().any(|p| p.id == agent)
    }

    /// Whether it belongs in an agent's shared queue: waiting, and not passed on by them.
    pub fn queued_for(&self, agent: Uuid) -> bool {
        self.status == ConversationStatus::Queued && !self.lead && !self.passed_by.contains(&agent)
    }
}

/// The newest revision seen of each conversation. Summaries are published after commit by
/// whichever task made the change, so an older one can arrive after a newer one; a client
/// admits a summary only if it is at least as new as what it has seen.
#[derive(Debug, Clone, Default)]
pub struct SummaryRevisions(std::collections::HashMap<Uuid, u64>);

impl SummaryRevisions {
    /// Whether this summary is current; records it if so. An equal revision is admitted (the
    /// same state again, or a re-read).
    pub fn admit(&mut self, summary: &ConversationSummary) -> bool {
        let seen = self.0.entry(summary.id).or_insert(0);
        if summary.revision < *seen {
            return false;
        }
        *seen = summary.revision;
        true
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

impl ConversationSummary {
    /// `read_seq` is the last sequence this agent has seen in this conversation.
    pub fn display_status(&self, read_seq: u64) -> DisplayStatus {
        match self.status {
            ConversationStatus::Closed => DisplayStatus::Closed,
            ConversationStatus::Queued | ConversationStatus::Offered => DisplayStatus::Waiting,
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
    fn offers_are_accepted_or_withdrawn_and_races_have_one_winner() {
        assert_eq!(transition(Queued, StatusChange::Offered), Ok(Offered));
        assert_eq!(transition(Offered, StatusChange::AgentEngaged), Ok(Open));
        assert_eq!(transition(Offered, StatusChange::OfferWithdrawn), Ok(Queued));
        assert_eq!(transition(Offered, StatusChange::Offered), Err(TransitionError::NotWaiting));
        assert_eq!(transition(Queued, StatusChange::OfferWithdrawn), Err(TransitionError::NotWaiting));
        // The loser of a race sees the winner's state.
        assert_eq!(transition(Open, StatusChange::Offered), Err(TransitionError::AlreadyTaken));
        assert_eq!(transition(Closed, StatusChange::Offered), Err(TransitionError::AlreadyClosed));
        assert_eq!(transition(Offered, StatusChange::Closed), Ok(Closed));
        assert_eq!(summary(Offered, Some(SenderKind::Visitor), 1).display_status(1), DisplayStatus::Waiting);
    }

    #[test]
    fn names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        for s in [Queued, Offered, Open, Closed] {
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
            offered_to: None,
            offered_to_name: None,
            deadline: None,
            missed: false,
            lead: false,
            queued_at: 0,
            passed_by: vec![],
            participants: vec![],
            revision: 1,
        }
    }

    #[test]
    fn an_older_summary_never_replaces_a_newer_one() {
        let mut seen = SummaryRevisions::default();
        let mut offered = summary(Offered, Some(SenderKind::Visitor), 1);
        offered.revision = 3;
        let mut queued = summary(Queued, Some(SenderKind::Visitor), 1);
        queued.revision = 2;
        assert!(seen.admit(&offered));
        assert!(!seen.admit(&queued), "published later, but older");
        assert!(seen.admit(&offered), "the same state again is fine");
        let mut other = queued.clone();
        other.id = Uuid::from_u128(9);
        assert!(seen.admit(&other), "revisions are per conversation");
        queued.revision = 4;
        assert!(seen.admit(&queued));
    }

    #[test]
    fn queue_and_engagement_membership() {
        let me = Uuid::from_u128(1);
        let mut s = summary(Queued, Some(SenderKind::Visitor), 1);
        assert!(s.queued_for(me));
        s.passed_by.push(me);
        assert!(!s.queued_for(me), "declined: hidden from my queue");
        assert!(s.queued_for(Uuid::from_u128(2)));
        assert!(!s.involves(me));
        s.status = Offered;
        s.offered_to = Some(me);
        assert!(s.involves(me) && !s.queued_for(Uuid::from_u128(2)));
        s.offered_to = None;
        s.participants.push(Participant { id: me, name: "A".into(), role: ParticipantRole::Invited });
        assert!(s.involves(me));
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
