//! Messenger and Instagram DM events (`entry[].messaging[]`, channels.md §3.1, §5.1): messages,
//! postbacks, echoes of our own sends, delivery/read receipts, reactions, deletions.

use crate::capabilities::AttachmentKind;
use crate::inbound::*;
use crate::json::{arr, bool_of, content_key, int_of, str_at, str_of};
use serde_json::Value;
use switchboard_domain::conversation::Channel;

/// Messaging event kinds we recognise but don't act on; anything else is reported by its key.
const ENVELOPE_KEYS: &[&str] = &["sender", "recipient", "timestamp"];

/// One `messaging[]` item → events. `prefix` namespaces dedupe keys (`messenger`, `instagram`).
pub(crate) fn parse_messaging(
    ev: &Value,
    entry_id: &str,
    channel: Channel,
    prefix: &str,
) -> Vec<Inbound> {
    let sender = str_at(ev, &["sender", "id"]).unwrap_or_default();
    let recipient = str_at(ev, &["recipient", "id"]);
    let at_ms = int_of(ev, "timestamp");
    let account = recipient
        .clone()
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| entry_id.to_string());
    let mk = |key: DedupeKey, account: String, event: InboundEvent| Inbound {
        key,
        channel,
        account,
        event,
    };

    if let Some(message) = ev.get("message").filter(|m| m.is_object()) {
        let mid = str_of(message, "mid");
        let key = |suffix: Option<&str>| match (&mid, suffix) {
            (Some(m), None) => DedupeKey::new(prefix, &[m]),
            (Some(m), Some(s)) => DedupeKey::new(prefix, &[m, s]),
            (None, _) => DedupeKey::new(prefix, &[&content_key(ev)]),
        };
        if bool_of(message, "is_echo") {
            // Echoes come "from" the Page/IG account to the contact.
            let ours = if sender.is_empty() {
                entry_id.to_string()
            } else {
                sender.clone()
            };
            let echo = Echo {
                provider_message_id: mid.clone().unwrap_or_default(),
                contact: recipient.clone(),
                app_id: str_of(message, "app_id"),
            };
            return vec![mk(key(Some("echo")), ours, InboundEvent::Echo(echo))];
        }
        if bool_of(message, "is_deleted") {
            return vec![mk(
                key(Some("deleted")),
                account,
                InboundEvent::MessageDeleted {
                    provider_message_id: mid.clone().unwrap_or_default(),
                },
            )];
        }
        if bool_of(message, "is_unsupported") {
            return vec![mk(
                key(None),
                account,
                InboundEvent::Ignored(Ignored::UnsupportedMessage {
                    kind: "unsupported".into(),
                }),
            )];
        }
        let attachments: Vec<Attachment> = arr(message, "attachments")
            .iter()
            .filter_map(attachment)
            .collect();
        let reply_to = match message.get("reply_to") {
            Some(r) if r.get("story").is_some() => Some(ReplyContext::Story {
                story_id: str_at(r, &["story", "id"]).unwrap_or_default(),
                url: str_at(r, &["story", "url"]),
            }),
            Some(r) => str_of(r, "mid").map(|m| ReplyContext::Message {
                provider_message_id: m,
            }),
            None => None,
        };
        let text = str_of(message, "text");
        if text.is_none() && attachments.is_empty() {
            return vec![mk(
                key(None),
                account,
                InboundEvent::Ignored(Ignored::UnsupportedMessage {
                    kind: "empty".into(),
                }),
            )];
        }
        let msg = ContactMessage {
            provider_message_id: mid.clone().unwrap_or_default(),
            from: Identity {
                address: sender,
                display_name: None,
                username: None,
            },
            text,
            attachments,
            location: None,
            payload: str_at(message, &["quick_reply", "payload"]),
            sent_at_ms: at_ms,
            reply_to,
            comment: None,
        };
        return vec![mk(key(None), account, InboundEvent::Message(msg))];
    }

    if let Some(pb) = ev.get("postback").filter(|p| p.is_object()) {
        let mid = str_of(pb, "mid");
        let key = match &mid {
            Some(m) => DedupeKey::new(prefix, &[m]),
            None => DedupeKey::new(prefix, &["postback", &content_key(ev)]),
        };
        let msg = ContactMessage {
            provider_message_id: mid.unwrap_or_default(),
            from: Identity {
                address: sender,
                display_name: None,
                username: None,
            },
            text: str_of(pb, "title"),
            attachments: vec![],
            location: None,
            payload: str_of(pb, "payload"),
            sent_at_ms: at_ms,
            reply_to: None,
            comment: None,
        };
        return vec![mk(key, account, InboundEvent::Message(msg))];
    }

    if let Some(d) = ev.get("delivery").filter(|d| d.is_object()) {
        let mids: Vec<String> = arr(d, "mids")
            .iter()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        if mids.is_empty() {
            return watermark(
                ev,
                d,
                &sender,
                account,
                channel,
                prefix,
                DeliveryStatus::Delivered,
                "delivery",
            );
        }
        return mids
            .into_iter()
            .map(|m| {
                let key = DedupeKey::new(prefix, &[&m, "delivered"]);
                let st = StatusUpdate {
                    provider_message_id: m,
                    status: DeliveryStatus::Delivered,
                    provider_status: "delivery".into(),
                    recipient: Some(sender.clone()),
                    at_ms,
                    error: None,
                };
                mk(key, account.clone(), InboundEvent::Status(st))
            })
            .collect();
    }

    if let Some(r) = ev.get("read").filter(|r| r.is_object()) {
        // Instagram reports reads per message (`read.mid`), Messenger by watermark.
        if let Some(m) = str_of(r, "mid") {
            let st = StatusUpdate {
                provider_message_id: m.clone(),
                status: DeliveryStatus::Read,
                provider_status: "read".into(),
                recipient: Some(sender),
                at_ms,
                error: None,
            };
            return vec![mk(
                DedupeKey::new(prefix, &[&m, "read"]),
                account,
                InboundEvent::Status(st),
            )];
        }
        return watermark(
            ev,
            r,
            &sender,
            account,
            channel,
            prefix,
            DeliveryStatus::Read,
            "read",
        );
    }

    if ev.get("reaction").is_some() {
        return vec![mk(
            DedupeKey::new(prefix, &["reaction", &content_key(ev)]),
            account,
            InboundEvent::Ignored(Ignored::Reaction),
        )];
    }

    let kind = ev
        .as_object()
        .and_then(|o| {
            o.keys()
                .find(|k| !ENVELOPE_KEYS.contains(&k.as_str()))
                .cloned()
        })
        .unwrap_or_else(|| "empty".to_string());
    vec![mk(
        DedupeKey::new(prefix, &[&kind, &content_key(ev)]),
        account,
        InboundEvent::Ignored(Ignored::UnknownEvent { kind }),
    )]
}

#[allow(clippy::too_many_arguments)]
fn watermark(
    ev: &Value,
    body: &Value,
    sender: &str,
    account: String,
    channel: Channel,
    prefix: &str,
    status: DeliveryStatus,
    what: &str,
) -> Vec<Inbound> {
    match int_of(body, "watermark") {
        Some(w) => vec![Inbound {
            key: DedupeKey::new(prefix, &[what, sender, &w.to_string()]),
            channel,
            account,
            event: InboundEvent::Watermark {
                contact: sender.to_string(),
                status,
                up_to_ms: w,
            },
        }],
        None => vec![Inbound {
            key: DedupeKey::new(prefix, &[what, &content_key(ev)]),
            channel,
            account,
            event: InboundEvent::Ignored(Ignored::Malformed {
                detail: format!("{what} without mids or watermark"),
            }),
        }],
    }
}

/// One `attachments[]` item; items without any URL are dropped (nothing to show or fetch).
fn attachment(a: &Value) -> Option<Attachment> {
    let ty = str_of(a, "type").unwrap_or_default();
    let payload = a.get("payload").cloned().unwrap_or(Value::Null);
    let url = str_of(&payload, "url").or_else(|| str_of(a, "url"))?;
    let kind = match ty.as_str() {
        "image" if payload.get("sticker_id").is_some() => AttachmentKind::Sticker,
        "image" => AttachmentKind::Image,
        "video" => AttachmentKind::Video,
        "audio" => AttachmentKind::Audio,
        "file" => AttachmentKind::Document,
        "story_mention" => AttachmentKind::StoryMention,
        "share" | "ig_post" | "ig_reel" | "reel" | "post" | "template" | "fallback" => {
            AttachmentKind::Share
        }
        _ => AttachmentKind::Other,
    };
    Some(Attachment {
        kind,
        mime: None,
        source: MediaSource::Url { url },
        caption: str_of(&payload, "title").or_else(|| str_of(a, "title")),
        filename: None,
        size: None,
        sha256: None,
    })
}
