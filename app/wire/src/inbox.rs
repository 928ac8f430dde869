//! What the inbox shows: conversation rows, an opened conversation, colleagues, search hits,
//! and the compact live delta a new message sends instead of a whole row.

use serde::{Deserialize, Serialize};
use switchboard_domain::conversation::Placement;
use switchboard_domain::{
    Channel, ConversationStatus, DisplayStatus, Message, Millis, ParticipantRole, Presence,
    RoutingMode, SenderKind,
};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: Uuid,
    pub name: String,
    pub role: ParticipantRole,
}

/// An inbox row: what a list shows of one conversation.
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
    /// The post a comment conversation is about (see `InboxContext::posts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post: Option<Uuid>,
}

impl ConversationSummary {
    /// A conversation about comments on a post: answered publicly or privately, comments
    /// deletable.
    pub fn is_comment_thread(&self) -> bool {
        self.post.is_some()
    }

    pub fn placement(&self) -> Placement {
        Placement {
            status: self.status,
            lead: self.lead,
            channel: self.active_channel,
            post: self.post,
            contact_id: self.contact_id,
            involved: Placement::involving(
                self.assignee_id,
                self.offered_to,
                self.participants.iter().map(|p| p.id),
            ),
            passed_by: self.passed_by.clone(),
        }
    }

    /// `read_seq` is the last sequence this agent has seen in this conversation.
    pub fn display_status(&self, read_seq: u64) -> DisplayStatus {
        DisplayStatus::of(self.status, self.last_sender, self.last_seq, read_seq)
    }

    /// Whether the agent must accept it now (time-based routing).
    pub fn offered_to_me(&self, me: Uuid) -> bool {
        self.status == ConversationStatus::Offered && self.offered_to == Some(me)
    }

    /// Whether it waits for this agent to pick it up: in their queue, or offered to them.
    pub fn waiting_for(&self, me: Uuid) -> bool {
        self.placement().queued_for(me) || self.offered_to_me(me)
    }
}

/// What a new message changes on a row, sent to agents instead of the whole row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub conversation_id: Uuid,
    pub last_seq: u64,
    /// Set when the message is public (internal notes are no previews).
    pub preview: Option<String>,
    pub last_sender: Option<SenderKind>,
    pub last_message_at: Millis,
}

/// One inbox row for the signed-in agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxRow {
    pub summary: ConversationSummary,
    /// How far this agent has read it.
    pub read_seq: u64,
}

/// Where a folder page ended: the next page starts after this row. Folders are ordered by
/// `(last_message_at, id)`, newest first, so a row that moves up meanwhile is not seen twice
/// by paging (it arrives live instead) and rows with one time keep one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageCursor {
    pub last_message_at: Millis,
    pub id: Uuid,
}

impl PageCursor {
    /// The cursor for the page after this row.
    pub fn after(row: &ConversationSummary) -> Self {
        Self {
            last_message_at: row.last_message_at,
            id: row.id,
        }
    }
}

/// One page of an inbox folder (`inbox/list`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FolderPage {
    pub rows: Vec<InboxRow>,
    /// Where the next page starts; `None`: the folder ends with this page. With "Unread",
    /// rows read are left out after the page is cut, so a page may have fewer rows (even
    /// none) and still a next one.
    pub next: Option<PageCursor>,
}

/// A page of a conversation's messages, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// Whether there are messages before the first of this page.
    pub has_older: bool,
}

/// A conversation opened in the inbox: its row and its latest messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub page: MessagePage,
}

/// An agent as colleagues see them (transfer and invite targets, presence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: crate::auth::AgentRole,
    pub presence: Presence,
    pub capacity: u32,
    pub active_chats: u32,
    pub active: bool,
}

/// A contact found by quick search, with their latest conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactHit {
    pub contact_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub conversation: Option<ConversationSummary>,
}

/// What the inbox needs at start: colleagues and the idle time before automatic Away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxContext {
    pub agents: Vec<AgentInfo>,
    pub auto_away_secs: u32,
    pub mode: RoutingMode,
    /// Posts with comment conversations, most recently commented first (for the post filter).
    #[serde(default)]
    pub posts: Vec<PostInfo>,
    /// Channels a web chat can move to (an account is connected): "Ask to switch to SMS".
    #[serde(default)]
    pub switch_to: Vec<Channel>,
    /// Whether this agent reads colleagues' chats (admins always do): without, "All" and
    /// "Mine" are the same and the inbox offers neither.
    #[serde(default)]
    pub sees_colleagues: bool,
}

/// A Page or Instagram post that comment conversations are about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostInfo {
    pub id: Uuid,
    pub channel: Channel,
    /// The provider's post or media id.
    pub external_id: String,
    /// Where to see it, when the provider's id makes a link (Facebook posts).
    pub url: Option<String>,
    pub conversations: u64,
    pub last_comment_at: Millis,
}

impl PostInfo {
    /// "Facebook post …4567_8901" as a filter option names it.
    pub fn label(&self) -> String {
        let site = match self.channel {
            Channel::Instagram => "Instagram post",
            _ => "Facebook post",
        };
        let id = &self.external_id;
        let tail: String = {
            let chars: Vec<char> = id.chars().collect();
            if chars.len() > 12 {
                format!("…{}", chars[chars.len() - 10..].iter().collect::<String>())
            } else {
                id.clone()
            }
        };
        format!("{site} {tail}")
    }
}

/// What the composer needs to know about a conversation's channel: whether free text may go
/// now (and for how long), and the approved templates for when it may not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelStatus {
    pub channel: Channel,
    pub window: ReplyWindowState,
    pub templates: Vec<TemplateInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ReplyWindowState {
    /// No window on this channel (web chat, SMS, Telegram, comments).
    Unlimited,
    /// Free text may go until `closes_at`; `tag_only`: only as a person's answer with the
    /// human-agent tag (Messenger, Instagram after 24 hours).
    Open { closes_at: Millis, tag_only: bool },
    /// Free text can't go; `reason` in plain words, `templates` when a template still may.
    Closed { reason: String, templates: bool },
}

/// An approved template the agent can send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateInfo {
    pub name: String,
    pub language: String,
    /// Its text with `{{1}}`, `{{2}}`… where the parameters go.
    pub text: String,
    pub parameters: usize,
}

/// One way a conversation's contact is known (a chip over the room), the one replies go on
/// marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChannel {
    pub channel: Channel,
    /// As it reads: "+1 555 765 4321", a Telegram id, "Web chat".
    pub address: String,
    /// Replies go on it now.
    pub active: bool,
    /// Why replies cannot move to it, when they cannot (no account connected, a comment thread).
    pub unavailable: Option<String>,
}

/// One way a contact is known, as a contact card lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactIdentity {
    pub channel: Channel,
    /// As it reads: "+1 555 765 4321", a PSID, "Web chat".
    pub address: String,
}

/// A contact as the merge dialog reviews it, side by side with another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub identities: Vec<ContactIdentity>,
    pub conversations: u32,
    /// When they last wrote or were written to, in any conversation.
    pub last_active: Option<Millis>,
    pub created_at: Millis,
}

/// Another contact that may be the same person: they share a phone number or an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeCandidate {
    pub card: ContactCard,
    pub same_email: bool,
    pub same_phone: bool,
}
