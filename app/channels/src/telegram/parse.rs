//! Telegram updates (channels.md §6.2): one update per webhook POST. New messages become
//! contact messages; every other update kind is acknowledged and ignored, typed.

use crate::capabilities::AttachmentKind;
use crate::http::{Method, WebhookRequest};
use crate::inbound::*;
use crate::json::{arr, bool_of, int_of, secs_to_ms, str_at, str_of, u64_of};
use crate::webhook::{WebhookError, WebhookSecrets};
use serde_json::Value;
use switchboard_domain::conversation::Channel;

/// Message fields that are content or metadata, not the "kind" of an unsupported message.
const META_FIELDS: &[&str] = &[
    "message_id",
    "from",
    "chat",
    "date",
    "sender_chat",
    "message_thread_id",
    "reply_to_message",
    "entities",
    "caption_entities",
    "via_bot",
    "author_signature",
    "forward_origin",
    "is_topic_message",
    "has_protected_content",
    "link_preview_options",
];

pub(crate) fn parse(
    req: &WebhookRequest,
    secrets: &WebhookSecrets,
) -> Result<Vec<Inbound>, WebhookError> {
    if req.method != Method::Post {
        return Err(WebhookError::MethodNotAllowed);
    }
    let v: Value =
        serde_json::from_slice(&req.body).map_err(|_| WebhookError::MalformedBody("json"))?;
    let update_id = int_of(&v, "update_id").ok_or(WebhookError::MissingField("update_id"))?;
    let account = secrets.account.clone().unwrap_or_default();
    Ok(vec![parse_update(&v, update_id, account)])
}

/// One Update object; `account` is our bot's id (Telegram doesn't include it).
pub fn parse_update(v: &Value, update_id: i64, account: String) -> Inbound {
    let key = DedupeKey::new("telegram", &[&account, &update_id.to_string()]);
    let mk = |event: InboundEvent| Inbound {
        key: key.clone(),
        channel: Channel::Telegram,
        account: account.clone(),
        event,
    };
    let Some(m) = v.get("message").filter(|m| m.is_object()) else {
        let kind = v
            .as_object()
            .and_then(|o| o.keys().find(|k| *k != "update_id").cloned())
            .unwrap_or_else(|| "empty".into());
        return mk(InboundEvent::Ignored(Ignored::TelegramUpdate { kind }));
    };
    if bool_of(m.get("from").unwrap_or(&Value::Null), "is_bot") {
        return mk(InboundEvent::Ignored(Ignored::FromBot));
    }
    let Some(chat_id) = str_at(m, &["chat", "id"]) else {
        return mk(InboundEvent::Ignored(Ignored::Malformed {
            detail: "message without chat.id".into(),
        }));
    };
    let from = m.get("from").cloned().unwrap_or(Value::Null);
    let name = [str_of(&from, "first_name"), str_of(&from, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let caption = str_of(m, "caption");
    let mut attachments = Vec::new();
    let file =
        |obj: &Value, kind: AttachmentKind, default_mime: Option<&str>| -> Option<Attachment> {
            Some(Attachment {
                kind,
                mime: str_of(obj, "mime_type").or(default_mime.map(str::to_string)),
                source: MediaSource::TelegramFile {
                    file_id: str_of(obj, "file_id")?,
                    unique_id: str_of(obj, "file_unique_id"),
                },
                caption: None,
                filename: str_of(obj, "file_name"),
                size: u64_of(obj, "file_size"),
                sha256: None,
            })
        };
    // `photo` holds several sizes; the last is the largest.
    if let Some(p) = arr(m, "photo").last() {
        attachments.extend(file(p, AttachmentKind::Image, Some("image/jpeg")));
    }
    // An animation also carries a `document` copy; take it once, as video.
    let kinds: [(&str, AttachmentKind, Option<&str>); 6] = [
        ("animation", AttachmentKind::Video, None),
        ("video", AttachmentKind::Video, None),
        ("video_note", AttachmentKind::Video, Some("video/mp4")),
        ("voice", AttachmentKind::Audio, Some("audio/ogg")),
        ("audio", AttachmentKind::Audio, None),
        ("sticker", AttachmentKind::Sticker, None),
    ];
    for (field, kind, mime) in kinds {
        if let Some(obj) = m.get(field).filter(|o| o.is_object()) {
            attachments.extend(file(obj, kind, mime));
        }
    }
    if m.get("animation").is_none() {
        if let Some(doc) = m.get("document").filter(|o| o.is_object()) {
            attachments.extend(file(doc, AttachmentKind::Document, None));
        }
    }
    if let (Some(first), Some(c)) = (attachments.first_mut(), caption.clone()) {
        first.caption = Some(c);
    }
    let location = m.get("location").and_then(|l| {
        let lat = l.get("latitude")?.as_f64().filter(|f| f.is_finite())?;
        let lon = l.get("longitude")?.as_f64().filter(|f| f.is_finite())?;
        Some(Location {
            latitude: lat,
            longitude: lon,
            name: None,
            address: None,
        })
    });
    let text = str_of(m, "text");
    if text.is_none() && attachments.is_empty() && location.is_none() {
        let kind = m
            .as_object()
            .and_then(|o| {
                o.keys()
                    .find(|k| !META_FIELDS.contains(&k.as_str()))
                    .cloned()
            })
            .unwrap_or_else(|| "empty".into());
        return mk(InboundEvent::Ignored(Ignored::UnsupportedMessage { kind }));
    }
    let msg = ContactMessage {
        provider_message_id: str_of(m, "message_id").unwrap_or_default(),
        from: Identity {
            address: chat_id,
            display_name: Some(name)
                .filter(|n| !n.is_empty())
                .or_else(|| str_at(m, &["chat", "title"])),
            username: str_of(&from, "username"),
        },
        text,
        attachments,
        location,
        payload: None,
        sent_at_ms: int_of(m, "date").and_then(secs_to_ms),
        reply_to: str_at(m, &["reply_to_message", "message_id"]).map(|id| ReplyContext::Message {
            provider_message_id: id,
        }),
        comment: None,
    };
    mk(InboundEvent::Message(msg))
}
