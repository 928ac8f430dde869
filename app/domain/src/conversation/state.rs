//! What the server keeps of a conversation, and where it belongs in the inbox.

use super::{Channel, ConversationStatus, ParticipantRole};
use crate::inbox::Folder;
use crate::message::SenderKind;
use crate::Millis;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An agent in a conversation's room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub agent: Uuid,
    pub role: ParticipantRole,
}

/// The state of one conversation: everything a decision needs and everything a command may
/// change. Stored as one row; `revision` moves on with every event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationState {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub status: ConversationStatus,
    pub active_channel: Channel,
    pub assignee: Option<Uuid>,
    /// Time-based routing: the agent who must accept it now.
    pub offered_to: Option<Uuid>,
    /// When the running queue or acceptance timer fires; none when no timer runs.
    pub deadline: Option<Millis>,
    /// The queue timer ran out before anyone took it.
    pub missed: bool,
    /// An offline lead rather than a live chat.
    pub lead: bool,
    /// The seq of the newest message (0 before the first).
    pub last_seq: u64,
    /// How many events this conversation has had.
    pub revision: u64,
    /// Text of the last public message, shortened for a list row.
    pub preview: String,
    pub last_sender: Option<SenderKind>,
    pub last_message_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub queued_at: Millis,
    pub accepted_at: Option<Millis>,
    pub first_response_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// Agents in the room, in the order they joined.
    pub members: Vec<Member>,
    /// The Page or Instagram post a comment conversation is about (its id among the posts
    /// the server knows); none for every other conversation. Never changes.
    pub post: Option<Uuid>,
    /// Agents who let it lapse or declined it in this round of routing.
    pub passed_by: Vec<Uuid>,
    /// The chat switch in progress (or the last one, while it can still be reverted).
    pub switch: Option<super::switch::ChannelSwitch>,
}

impl ConversationState {
    /// Where this conversation shows in inboxes (what fan-out routes by).
    pub fn placement(&self) -> Placement {
        Placement {
            status: self.status,
            lead: self.lead,
            channel: self.active_channel,
            post: self.post,
            contact_id: self.contact_id,
            involved: Placement::involving(
                self.assignee,
                self.offered_to,
                self.members.iter().map(|m| m.agent),
            ),
            passed_by: self.passed_by.clone(),
        }
    }
}

/// What decides who sees a conversation in their inbox: its folder, channel and the agents it
/// involves. Small enough to travel with every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub status: ConversationStatus,
    pub lead: bool,
    pub channel: Channel,
    /// The post a comment conversation is about.
    pub post: Option<Uuid>,
    pub contact_id: Uuid,
    /// Assignee, current offer and everyone in the room.
    pub involved: Vec<Uuid>,
    pub passed_by: Vec<Uuid>,
}

impl Placement {
    /// Everyone a chat involves, once each: its assignee, its current offer, the room.
    pub fn involving(
        assignee: Option<Uuid>,
        offered_to: Option<Uuid>,
        room: impl IntoIterator<Item = Uuid>,
    ) -> Vec<Uuid> {
        let mut involved: Vec<Uuid> = assignee.into_iter().chain(offered_to).collect();
        for agent in room {
            if !involved.contains(&agent) {
                involved.push(agent);
            }
        }
        involved
    }

    /// The one inbox folder this conversation is in.
    pub fn folder(&self) -> Folder {
        if self.lead {
            return Folder::Leads;
        }
        match self.status {
            ConversationStatus::Queued => Folder::Queued,
            ConversationStatus::Offered | ConversationStatus::Open => Folder::Engaged,
            ConversationStatus::Closed => Folder::History,
        }
    }

    pub fn involves(&self, agent: Uuid) -> bool {
        self.involved.contains(&agent)
    }

    /// Whether it is in this agent's shared queue: waiting, and not passed on by them.
    pub fn queued_for(&self, agent: Uuid) -> bool {
        self.folder() == Folder::Queued && !self.passed_by.contains(&agent)
    }
}
