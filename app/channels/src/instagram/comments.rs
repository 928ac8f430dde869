//! Instagram `comments` / `live_comments` changes (channels.md §5.2).

use crate::inbound::*;
use crate::json::{content_key, str_at, str_of};
use serde_json::Value;
use switchboard_domain::conversation::Channel;

const P: &str = "instagram";

/// One `changes[]` item of an Instagram entry. `time_ms` is the entry time, used as the
/// comment's time since the value carries none.
pub(crate) fn parse_change(change: &Value, ig_id: &str, time_ms: Option<i64>) -> Inbound {
    let mk = |key: DedupeKey, event: InboundEvent| Inbound {
        key,
        channel: Channel::Instagram,
        account: ig_id.to_string(),
        event,
    };
    let field = str_of(change, "field").unwrap_or_default();
    if field != "comments" && field != "live_comments" {
        return mk(
            DedupeKey::new(P, &[&field, &content_key(change)]),
            InboundEvent::Ignored(Ignored::UnknownField { field }),
        );
    }
    let value = change.get("value").cloned().unwrap_or(Value::Null);
    let Some(id) = str_of(&value, "id") else {
        return mk(
            DedupeKey::new(P, &["comment", &content_key(&value)]),
            InboundEvent::Ignored(Ignored::Malformed {
                detail: "comment without id".into(),
            }),
        );
    };
    let key = DedupeKey::new(P, &["comment", &id]);
    let from_id = str_at(&value, &["from", "id"]).unwrap_or_default();
    if from_id == ig_id {
        return mk(
            key,
            InboundEvent::Echo(Echo {
                provider_message_id: id,
                contact: None,
                app_id: None,
            }),
        );
    }
    let parent_id = str_of(&value, "parent_id");
    let msg = ContactMessage {
        provider_message_id: id.clone(),
        from: Identity {
            address: from_id,
            display_name: None,
            username: str_at(&value, &["from", "username"]),
        },
        text: str_of(&value, "text"),
        attachments: vec![],
        location: None,
        payload: None,
        sent_at_ms: time_ms,
        reply_to: None,
        comment: Some(CommentRef {
            post_id: str_at(&value, &["media", "id"]).unwrap_or_default(),
            comment_id: id,
            is_reply: parent_id.is_some(),
            parent_id,
            live: field == "live_comments",
        }),
    };
    mk(key, InboundEvent::Message(msg))
}
