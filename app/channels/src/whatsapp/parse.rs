//! WhatsApp Cloud API webhook entries (channels.md §2.3): `changes[].value` with `messages[]`,
//! `statuses[]` and `errors[]`, routed by `value.metadata.phone_number_id`.

use crate::capabilities::AttachmentKind;
use crate::inbound::*;
use crate::json::{arr, content_key, int_of, secs_to_ms, str_at, str_of, u64_of};
use crate::meta::graph_error;
use serde_json::Value;
use switchboard_domain::conversation::Channel;

const P: &str = "whatsapp";

fn f64_of(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

/// Maps a Cloud API status. `played` (voice) is unconfirmed; read as "read" since the contact
/// evidently opened it.
pub fn map_status(s: &str) -> Option<DeliveryStatus> {
    Some(match s {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" | "played" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        _ => return None,
    })
}

/// One `entry[]` item of a `whatsapp_business_account` body.
pub fn parse_entry(entry: &Value) -> Vec<Inbound> {
    let waba = str_of(entry, "id").unwrap_or_default();
    let mut out = Vec::new();
    for change in arr(entry, "changes") {
        let value = change.get("value").cloned().unwrap_or(Value::Null);
        let account =
            str_at(&value, &["metadata", "phone_number_id"]).unwrap_or_else(|| waba.clone());
        let mk = |key: DedupeKey, event: InboundEvent| Inbound {
            key,
            channel: Channel::Whatsapp,
            account: account.clone(),
            event,
        };
        let field = str_of(change, "field").unwrap_or_default();
        if field != "messages" {
            out.push(mk(
                DedupeKey::new(P, &[&field, &content_key(change)]),
                InboundEvent::Ignored(Ignored::UnknownField { field }),
            ));
            continue;
        }
        let contacts = arr(&value, "contacts");
        for m in arr(&value, "messages") {
            out.push(message(m, contacts, &mk));
        }
        for s in arr(&value, "statuses") {
            out.push(status(s, &mk));
        }
        for e in arr(&value, "errors") {
            let notice = Ignored::ProviderNotice {
                code: str_of(e, "code").unwrap_or_default(),
                message: str_of(e, "message")
                    .or_else(|| str_of(e, "title"))
                    .unwrap_or_default(),
            };
            out.push(mk(
                DedupeKey::new(P, &["error", &content_key(e)]),
                InboundEvent::Ignored(notice),
            ));
        }
    }
    out
}

fn message(
    m: &Value,
    contacts: &[Value],
    mk: &dyn Fn(DedupeKey, InboundEvent) -> Inbound,
) -> Inbound {
    let Some(id) = str_of(m, "id") else {
        return mk(
            DedupeKey::new(P, &[&content_key(m)]),
            InboundEvent::Ignored(Ignored::Malformed {
                detail: "message without id".into(),
            }),
        );
    };
    let key = DedupeKey::new(P, &[&id]);
    let from = str_of(m, "from").unwrap_or_default();
    let name = contacts
        .iter()
        .find(|c| str_of(c, "wa_id").as_deref() == Some(from.as_str()))
        .or(if contacts.len() == 1 {
            contacts.first()
        } else {
            None
        })
        .and_then(|c| str_at(c, &["profile", "name"]));
    let ty = str_of(m, "type").unwrap_or_default();
    let mut text = None;
    let mut payload = None;
    let mut attachments = Vec::new();
    let mut location = None;
    match ty.as_str() {
        "text" => text = str_at(m, &["text", "body"]),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let media = m.get(ty.as_str()).cloned().unwrap_or(Value::Null);
            let source = match (str_of(&media, "id"), str_of(&media, "url")) {
                (Some(id), _) => MediaSource::MediaId { id },
                (None, Some(url)) => MediaSource::Url { url },
                (None, None) => {
                    return mk(
                        key,
                        InboundEvent::Ignored(Ignored::Malformed {
                            detail: format!("{ty} without media id"),
                        }),
                    )
                }
            };
            let kind = match ty.as_str() {
                "image" => AttachmentKind::Image,
                "video" => AttachmentKind::Video,
                "audio" => AttachmentKind::Audio,
                "document" => AttachmentKind::Document,
                _ => AttachmentKind::Sticker,
            };
            attachments.push(Attachment {
                kind,
                mime: str_of(&media, "mime_type"),
                source,
                caption: str_of(&media, "caption"),
                filename: str_of(&media, "filename"),
                size: u64_of(&media, "file_size"),
                sha256: str_of(&media, "sha256"),
            });
        }
        "location" => {
            let l = m.get("location").cloned().unwrap_or(Value::Null);
            match (f64_of(&l, "latitude"), f64_of(&l, "longitude")) {
                (Some(latitude), Some(longitude)) => {
                    location = Some(Location {
                        latitude,
                        longitude,
                        name: str_of(&l, "name"),
                        address: str_of(&l, "address"),
                    })
                }
                _ => {
                    return mk(
                        key,
                        InboundEvent::Ignored(Ignored::Malformed {
                            detail: "location without coordinates".into(),
                        }),
                    )
                }
            }
        }
        "button" => {
            text = str_at(m, &["button", "text"]);
            payload = str_at(m, &["button", "payload"]);
        }
        "interactive" => {
            let i = m.get("interactive").cloned().unwrap_or(Value::Null);
            let reply = i
                .get("button_reply")
                .or_else(|| i.get("list_reply"))
                .cloned()
                .unwrap_or(Value::Null);
            text = str_of(&reply, "title");
            payload = str_of(&reply, "id");
            if text.is_none() && payload.is_none() {
                return mk(
                    key,
                    InboundEvent::Ignored(Ignored::UnsupportedMessage {
                        kind: "interactive".into(),
                    }),
                );
            }
        }
        "reaction" => return mk(key, InboundEvent::Ignored(Ignored::Reaction)),
        other => {
            return mk(
                key,
                InboundEvent::Ignored(Ignored::UnsupportedMessage {
                    kind: other.to_string(),
                }),
            )
        }
    }
    let msg = ContactMessage {
        provider_message_id: id,
        from: Identity {
            address: from,
            display_name: name,
            username: None,
        },
        text,
        attachments,
        location,
        payload,
        sent_at_ms: int_of(m, "timestamp").and_then(secs_to_ms),
        reply_to: str_at(m, &["context", "id"]).map(|id| ReplyContext::Message {
            provider_message_id: id,
        }),
        comment: None,
    };
    mk(key, InboundEvent::Message(msg))
}

fn status(s: &Value, mk: &dyn Fn(DedupeKey, InboundEvent) -> Inbound) -> Inbound {
    let id = str_of(s, "id").unwrap_or_default();
    let raw = str_of(s, "status").unwrap_or_default();
    if id.is_empty() {
        return mk(
            DedupeKey::new(P, &[&content_key(s)]),
            InboundEvent::Ignored(Ignored::Malformed {
                detail: "status without id".into(),
            }),
        );
    }
    let key = DedupeKey::new(P, &[&id, &raw]);
    let Some(mapped) = map_status(&raw) else {
        return mk(
            key,
            InboundEvent::Ignored(Ignored::UnknownStatus { status: raw }),
        );
    };
    let error = arr(s, "errors").first().map(|e| {
        graph_error(
            Channel::Whatsapp,
            int_of(e, "code").unwrap_or(-1),
            None,
            str_of(e, "message")
                .or_else(|| str_of(e, "title"))
                .as_deref(),
            str_at(e, &["error_data", "details"]).as_deref(),
        )
    });
    let st = StatusUpdate {
        provider_message_id: id,
        status: mapped,
        provider_status: raw,
        recipient: str_of(s, "recipient_id"),
        at_ms: int_of(s, "timestamp").and_then(secs_to_ms),
        error,
    };
    mk(key, InboundEvent::Status(st))
}
