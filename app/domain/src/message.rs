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
