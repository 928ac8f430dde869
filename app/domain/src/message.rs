//! Messages: who sent them, who may see them, and what a valid body is.

use crate::conversation::Channel;
use crate::Millis;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const BODY_MAX_CHARS: usize = 4000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    Visitor,
    Agent,
    System,
}

impl SenderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderKind::Visitor => "visitor",
            SenderKind::Agent => "agent",
            SenderKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Visitor, Self::Agent, Self::System]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who may see a message. Internal notes (transfer comments, agent notes) never reach the
/// contact: the server filters them out of every visitor-facing read and push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Public, Self::Internal]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn visible_to_contact(self) -> bool {
        self == Visibility::Public
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub kind: SenderKind,
    /// The agent's account id; none for the contact and the system.
    pub id: Option<Uuid>,
    pub name: String,
}

/// Who reads a message: the team (agents) or the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Team,
    Contact,
}

impl Message {
    /// The message as `reader` gets it: the id its client chose stays with the side that
    /// wrote it (to match its own sends), and is nobody else's business.
    pub fn for_reader(mut self, reader: Reader) -> Self {
        let theirs = (self.sender.kind == SenderKind::Visitor) == (reader == Reader::Contact);
        if !theirs {
            self.client_msg_id = None;
        }
        self
    }
}

/// A stored message. `seq` is its place in the conversation: 1, 2, 3… with no gaps across
/// all visibilities, assigned when the message is written to the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub seq: u64,
    pub sender: Sender,
    pub body: String,
    pub visibility: Visibility,
    pub channel: Channel,
    /// The id the sending client chose; a retried send with the same id is stored once.
    pub client_msg_id: Option<Uuid>,
    pub created_at: Millis,
    /// How far an agent's message on a provider channel got; none for messages that need no
    /// delivery (the contact's own, web chat, internal notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// The comment an agent's message answers (Page and Instagram comments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// An approved template the message was sent as (WhatsApp outside its reply window); the
    /// body is the template's text as the contact reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateRef>,
    /// A contact's comment an agent deleted from the post.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
    /// The file the message carries (a contact's photo, a document…); the body names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// What the contact did to it since (edited, deleted, a comment hidden on its post).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub altered: Option<Altered>,
}

/// What a contact did to something they sent, as the provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ContactChange {
    /// They edited it; this is the text now.
    Edited {
        text: String,
    },
    /// They deleted it (a comment) or unsent it (a direct message): its text is dropped, as
    /// the providers ask.
    Withdrawn,
    /// The comment was hidden on the post (only its author and their friends see it).
    Hidden,
    Unhidden,
}

/// How a contact's message stands after their changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Altered {
    Edited,
    Withdrawn,
    Hidden,
}

impl Altered {
    pub fn as_str(self) -> &'static str {
        match self {
            Altered::Edited => "edited",
            Altered::Withdrawn => "withdrawn",
            Altered::Hidden => "hidden",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "edited" => Some(Altered::Edited),
            "withdrawn" => Some(Altered::Withdrawn),
            "hidden" => Some(Altered::Hidden),
            _ => None,
        }
    }

    /// What the inbox says of it.
    pub fn label(self) -> &'static str {
        match self {
            Altered::Edited => "Edited",
            Altered::Withdrawn => "Deleted by the contact",
            Altered::Hidden => "Hidden on the post",
        }
    }
}

impl Message {
    /// Applies a contact's change: the text and how the message stands now.
    pub fn alter(&mut self, change: &ContactChange) {
        match change {
            ContactChange::Edited { text } => {
                self.body = text.clone();
                if self.altered != Some(Altered::Hidden) {
                    self.altered = Some(Altered::Edited);
                }
            }
            ContactChange::Withdrawn => {
                self.body = String::new();
                self.attachment = None;
                self.altered = Some(Altered::Withdrawn);
            }
            ContactChange::Hidden => self.altered = Some(Altered::Hidden),
            ContactChange::Unhidden if self.altered == Some(Altered::Hidden) => self.altered = None,
            ContactChange::Unhidden => {}
        }
    }
}

/// What a message's file is, as the inbox shows it. The bytes stay with the provider (or our
/// store) and reach a browser only through the server, which checks who asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: MediaKind,
    pub filename: Option<String>,
    pub mime: Option<String>,
    pub size: Option<u64>,
}

impl Attachment {
    /// What the message says in lists and previews: its file name, else its kind.
    pub fn label(&self) -> String {
        match self
            .filename
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(name) => name.to_string(),
            None => self.kind.label().to_string(),
        }
    }
}

/// Kinds of file, for how to show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    /// Anything else (a shared post, a contact card…).
    Other,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
            MediaKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            MediaKind::Image,
            MediaKind::Video,
            MediaKind::Audio,
            MediaKind::Document,
            MediaKind::Sticker,
            MediaKind::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            MediaKind::Image => "Photo",
            MediaKind::Video => "Video",
            MediaKind::Audio => "Audio",
            MediaKind::Document => "Document",
            MediaKind::Sticker => "Sticker",
            MediaKind::Other => "File",
        }
    }

    /// Shown as a picture in the thread.
    pub fn is_picture(self) -> bool {
        matches!(self, MediaKind::Image | MediaKind::Sticker)
    }
}

/// A provider-approved message template and the values of its `{{1}}`, `{{2}}`… slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    pub name: String,
    pub language: String,
    pub parameters: Vec<String>,
}

/// An answer to a comment: public (under it) or private (a direct message to its author, once
/// per comment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyTo {
    pub comment_id: String,
    pub private: bool,
}

impl Message {
    /// Whether the contact wrote it (inbound) or the business did (outbound).
    pub fn direction(&self) -> Direction {
        match self.sender.kind {
            SenderKind::Visitor => Direction::Inbound,
            SenderKind::Agent | SenderKind::System => Direction::Outbound,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Delivery progress of a message sent through a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Failed,
    Delivered,
    Read,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        Self::Queued,
        Self::Sent,
        Self::Failed,
        Self::Delivered,
        Self::Read,
    ];

    /// Order for "forward only" updates (status callbacks arrive out of order). `Failed` ranks
    /// above `Sent` (it is the send's end) but below `Delivered`/`Read`: a receipt is stronger
    /// evidence than a failure report, and a late failure must not undo a read.
    pub fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Failed => 2,
            DeliveryStatus::Delivered => 3,
            DeliveryStatus::Read => 4,
        }
    }

    /// Whether moving from `self` to `next` goes forward.
    pub fn advances_to(self, next: DeliveryStatus) -> bool {
        next.rank() > self.rank()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Where a sent message stands, with the provider's reason in plain words when it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub status: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Delivery {
    pub fn queued() -> Self {
        Delivery {
            status: DeliveryStatus::Queued,
            reason: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MessageError {
    #[error("A message cannot be empty.")]
    Empty,
    #[error("A message can be at most {BODY_MAX_CHARS} characters (this one has {0}).")]
    TooLong(usize),
}

impl MessageError {
    /// A stable machine-readable name.
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::Empty => "message_empty",
            MessageError::TooLong(_) => "message_too_long",
        }
    }
}

/// A message text that passed validation: trimmed at both ends, not empty, not too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str) -> Result<Self, MessageError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(MessageError::Empty);
        }
        let n = text.chars().count();
        if n > BODY_MAX_CHARS {
            return Err(MessageError::TooLong(n));
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_and_bounded() {
        assert_eq!(
            MessageBody::parse("  hi\nthere \n").unwrap().as_str(),
            "hi\nthere"
        );
        assert_eq!(MessageBody::parse(" \n\t"), Err(MessageError::Empty));
        assert!(MessageBody::parse(&"ü".repeat(BODY_MAX_CHARS)).is_ok());
        assert_eq!(
            MessageBody::parse(&"ü".repeat(BODY_MAX_CHARS + 1)),
            Err(MessageError::TooLong(BODY_MAX_CHARS + 1))
        );
    }

    #[test]
    fn only_public_messages_reach_the_contact() {
        assert!(Visibility::Public.visible_to_contact());
        assert!(!Visibility::Internal.visible_to_contact());
    }

    #[test]
    fn kinds_round_trip() {
        for k in [SenderKind::Visitor, SenderKind::Agent, SenderKind::System] {
            assert_eq!(SenderKind::parse(k.as_str()), Some(k));
        }
        for v in [Visibility::Public, Visibility::Internal] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
    }
}
