//! Rows to domain values and back. Every enum-like column is parsed strictly: a value the
//! code does not know is reported as corrupt data, never read as some default.

use super::entities::{conversation, message};
use crate::error::EngineError;
use sea_orm::ActiveValue::Set;
use switchboard_domain::conversation::{ConversationState, Member};
use switchboard_domain::{
    Channel, ConversationStatus, Message, Presence, Sender, SenderKind, Visibility,
};

/// Parses a stored name with the domain's `parse`, or reports which column held what.
pub fn parse<T>(
    table: &str,
    column: &str,
    value: &str,
    f: fn(&str) -> Option<T>,
) -> Result<T, EngineError> {
    f(value).ok_or_else(|| EngineError::Corrupt(format!("{table}.{column} = {value:?}")))
}

fn count(table: &str, column: &str, v: i64) -> Result<u64, EngineError> {
    u64::try_from(v).map_err(|_| EngineError::Corrupt(format!("{table}.{column} = {v}")))
}

fn json<T: serde::de::DeserializeOwned>(
    table: &str,
    column: &str,
    value: &str,
) -> Result<T, EngineError> {
    serde_json::from_str(value).map_err(|e| EngineError::Corrupt(format!("{table}.{column}: {e}")))
}

pub fn status(value: &str) -> Result<ConversationStatus, EngineError> {
    parse("conversations", "status", value, ConversationStatus::parse)
}

pub fn channel(value: &str) -> Result<Channel, EngineError> {
    parse("conversations", "active_channel", value, Channel::parse)
}

pub fn presence(value: &str) -> Result<Presence, EngineError> {
    parse("accounts", "presence", value, Presence::parse)
}

pub fn state_of(row: &conversation::Model) -> Result<ConversationState, EngineError> {
    const T: &str = "conversations";
    Ok(ConversationState {
        id: row.id,
        contact_id: row.contact_id,
        status: status(&row.status)?,
        active_channel: channel(&row.active_channel)?,
        assignee: row.assignee_id,
        offered_to: row.offered_to,
        deadline: row.deadline,
        missed: row.missed,
        lead: row.lead,
        last_seq: count(T, "last_seq", row.last_seq)?,
        revision: count(T, "revision", row.revision)?,
        preview: row.preview.clone(),
        last_sender: row
            .last_sender
            .as_deref()
            .map(|s| parse(T, "last_sender", s, SenderKind::parse))
            .transpose()?,
        last_message_at: row.last_message_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        queued_at: row.queued_at,
        accepted_at: row.accepted_at,
        first_response_at: row.first_response_at,
        closed_at: row.closed_at,
        members: json::<Vec<Member>>(T, "members", &row.members)?,
        passed_by: json(T, "passed_by", &row.passed_by)?,
        post: row.post_id,
        switch: row
            .switch
            .as_deref()
            .map(|j| json(T, "switch", j))
            .transpose()?,
    })
}

/// The whole row for a state (every column set: the write replaces the row).
pub fn row_of(s: &ConversationState) -> conversation::ActiveModel {
    conversation::ActiveModel {
        id: Set(s.id),
        contact_id: Set(s.contact_id),
        status: Set(s.status.as_str().into()),
        active_channel: Set(s.active_channel.as_str().into()),
        assignee_id: Set(s.assignee),
        last_seq: Set(s.last_seq as i64),
        preview: Set(s.preview.clone()),
        last_sender: Set(s.last_sender.map(|k| k.as_str().to_string())),
        last_message_at: Set(s.last_message_at),
        created_at: Set(s.created_at),
        updated_at: Set(s.updated_at),
        closed_at: Set(s.closed_at),
        offered_to: Set(s.offered_to),
        deadline: Set(s.deadline),
        missed: Set(s.missed),
        lead: Set(s.lead),
        queued_at: Set(s.queued_at),
        accepted_at: Set(s.accepted_at),
        first_response_at: Set(s.first_response_at),
        revision: Set(s.revision as i64),
        members: Set(serde_json::to_string(&s.members).unwrap_or_else(|_| "[]".into())),
        passed_by: Set(serde_json::to_string(&s.passed_by).unwrap_or_else(|_| "[]".into())),
        post_id: Set(s.post),
        switch: Set(s
            .switch
            .as_ref()
            .and_then(|sw| serde_json::to_string(sw).ok())),
        // Not the domain's: written once at a web start.
        visitor_id: sea_orm::ActiveValue::NotSet,
    }
}

/// The columns that changed between two states of a conversation (the row's id stays set for
/// the filter): fewer columns to write, and fewer indexes for the database to update.
pub fn changes_of(
    before: &ConversationState,
    after: &ConversationState,
) -> conversation::ActiveModel {
    use sea_orm::ActiveValue::NotSet;
    let full = row_of(after);
    let old = row_of(before);
    macro_rules! diff {
        ($($f:ident),*) => {
            conversation::ActiveModel {
                $($f: if full.$f == old.$f { NotSet } else { full.$f.clone() },)*
            }
        };
    }
    let mut changes = diff!(
        id,
        contact_id,
        status,
        active_channel,
        assignee_id,
        last_seq,
        preview,
        last_sender,
        last_message_at,
        created_at,
        updated_at,
        closed_at,
        offered_to,
        deadline,
        missed,
        lead,
        queued_at,
        accepted_at,
        first_response_at,
        revision,
        members,
        passed_by,
        post_id,
        switch,
        visitor_id
    );
    changes.id = NotSet;
    changes
}

pub fn message_of(row: message::Model) -> Result<Message, EngineError> {
    const T: &str = "messages";
    Ok(Message {
        id: row.id,
        conversation_id: row.conversation_id,
        seq: count(T, "seq", row.seq)?,
        sender: Sender {
            kind: parse(T, "sender_kind", &row.sender_kind, SenderKind::parse)?,
            id: row.sender_id,
            name: row.sender_name,
        },
        body: row.body,
        visibility: parse(T, "visibility", &row.visibility, Visibility::parse)?,
        channel: parse(T, "channel", &row.channel, Channel::parse)?,
        client_msg_id: row.client_msg_id,
        created_at: row.created_at,
        delivery: match row.delivery_status {
            None => None,
            Some(status) => Some(switchboard_domain::Delivery {
                status: parse(
                    T,
                    "delivery_status",
                    &status,
                    switchboard_domain::DeliveryStatus::parse,
                )?,
                reason: row.delivery_reason,
            }),
        },
        reply_to: match (row.reply_to_comment, row.reply_private) {
            (Some(comment_id), Some(private)) => Some(switchboard_domain::ReplyTo {
                comment_id,
                private,
            }),
            (None, None) => None,
            (c, p) => {
                return Err(EngineError::Corrupt(format!(
                    "messages {}: reply_to_comment {c:?} with reply_private {p:?}",
                    row.id
                )))
            }
        },
        template: match row.template {
            None => None,
            Some(json) => {
                Some(serde_json::from_str(&json).map_err(|e| {
                    EngineError::Corrupt(format!("messages.template {}: {e}", row.id))
                })?)
            }
        },
        removed: row.removed.unwrap_or(false),
        altered: row
            .altered
            .as_deref()
            .map(|a| parse(T, "altered", a, switchboard_domain::Altered::parse))
            .transpose()?,
        attachment: match row.attachment {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|e| {
                EngineError::Corrupt(format!("messages.attachment {}: {e}", row.id))
            })?),
        },
    })
}

pub fn message_row(m: &Message) -> message::ActiveModel {
    message::ActiveModel {
        id: Set(m.id),
        conversation_id: Set(m.conversation_id),
        seq: Set(m.seq as i64),
        sender_kind: Set(m.sender.kind.as_str().into()),
        sender_id: Set(m.sender.id),
        sender_name: Set(m.sender.name.clone()),
        body: Set(m.body.clone()),
        visibility: Set(m.visibility.as_str().into()),
        channel: Set(m.channel.as_str().into()),
        client_msg_id: Set(m.client_msg_id),
        created_at: Set(m.created_at),
        delivery_status: Set(m.delivery.as_ref().map(|d| d.status.as_str().to_string())),
        delivery_reason: Set(m.delivery.as_ref().and_then(|d| d.reason.clone())),
        provider_message_id: Set(None),
        address: Set(None),
        reply_to_comment: Set(m.reply_to.as_ref().map(|r| r.comment_id.clone())),
        reply_private: Set(m.reply_to.as_ref().map(|r| r.private)),
        template: Set(m
            .template
            .as_ref()
            .map(|t| serde_json::to_string(t).unwrap_or_default())),
        removed: Set(m.removed.then_some(true)),
        attachment: Set(m
            .attachment
            .as_ref()
            .map(|a| serde_json::to_string(a).unwrap_or_default())),
        media_source: Set(None),
        altered: Set(m.altered.map(|a| a.as_str().to_string())),
    }
}

/// How an event is kept in the conversation log. A message is stored once, in `messages`:
/// its `message_appended` event names it by its seq instead of copying it (the copy was half
/// of what a message wrote). Every other event is kept as the domain serializes it.
pub fn event_payload(event: &switchboard_domain::conversation::Event) -> String {
    use switchboard_domain::conversation::Event;
    match event {
        Event::MessageAppended { message } => serde_json::to_string(&MessageRef {
            message_seq: message.seq,
        }),
        other => serde_json::to_string(other),
    }
    .unwrap_or_default()
}

/// The payload of a `message_appended` event: the message's seq in its conversation. (Rows
/// written by earlier versions hold the whole event, and still decode as such.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageRef {
    pub message_seq: u64,
}

impl MessageRef {
    /// The reference a stored payload holds, if it is one.
    pub fn of(kind: &str, payload: &str) -> Option<MessageRef> {
        (kind == "message_appended")
            .then(|| serde_json::from_str(payload).ok())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_stored_values_are_errors_not_defaults() {
        assert!(matches!(status("queued"), Ok(ConversationStatus::Queued)));
        let err = status("pending").unwrap_err();
        assert!(
            matches!(&err, EngineError::Corrupt(m) if m.contains("conversations.status") && m.contains("pending")),
            "{err}"
        );
        assert!(channel("fax").is_err());
        assert!(presence("busy").is_err());
        assert!(count("t", "c", -1).is_err());
    }

    #[test]
    fn a_message_event_is_stored_as_a_reference_to_its_message() {
        use switchboard_domain::conversation::Event;
        let message = Message {
            id: uuid::Uuid::from_u128(7),
            conversation_id: uuid::Uuid::from_u128(1),
            seq: 42,
            sender: Sender {
                kind: SenderKind::Visitor,
                id: None,
                name: "Ada".into(),
            },
            body: "a long body that must not be copied into the log".into(),
            visibility: Visibility::Public,
            channel: Channel::Web,
            client_msg_id: None,
            created_at: 5,
            delivery: None,
            reply_to: None,
            template: None,
            removed: false,
            altered: None,
            attachment: None,
        };
        let appended = Event::MessageAppended { message };
        let stored = event_payload(&appended);
        assert_eq!(stored, r#"{"message_seq":42}"#);
        assert_eq!(
            MessageRef::of("message_appended", &stored),
            Some(MessageRef { message_seq: 42 })
        );
        // An old row (the whole event) is not a reference; nor is another kind's payload.
        let whole = serde_json::to_string(&appended).unwrap();
        assert_eq!(MessageRef::of("message_appended", &whole), None);
        assert_eq!(MessageRef::of("reopened", &stored), None);
        assert_eq!(
            event_payload(&Event::Reopened),
            serde_json::to_string(&Event::Reopened).unwrap()
        );
    }
}
