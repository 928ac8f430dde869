//! Twilio inbound message and status-callback parsing (channels.md §1.1, §1.5). One request is
//! one event. There is no type field: a status callback is recognised by `MessageStatus`, media
//! by `MediaUrl{N}`, buttons by `ButtonPayload`, locations by `Latitude`/`Longitude`.

use super::errors::describe;
use crate::capabilities::AttachmentKind;
use crate::http::{decode_form, Method, WebhookRequest};
use crate::inbound::*;
use crate::webhook::WebhookError;
use std::collections::BTreeMap;
use switchboard_domain::conversation::Channel;

/// At most this many `MediaUrl{N}` are read (Twilio sends up to 10); bounds hostile input.
const MAX_MEDIA: usize = 20;

/// Splits a Twilio address into its channel and bare address: `whatsapp:+1…` is WhatsApp, a bare
/// number is SMS; other prefixes (`messenger:`, `rcs:`) are not handled through Twilio.
pub fn channel_of(address: &str) -> Result<(Channel, &str), &str> {
    match address.split_once(':') {
        None => Ok((Channel::Sms, address)),
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case("whatsapp") => {
            Ok((Channel::Whatsapp, rest))
        }
        Some((prefix, _)) => Err(prefix),
    }
}

/// Maps `MessageStatus` onto our ladder; `None` for statuses that aren't about our sends.
pub fn map_status(s: &str) -> Option<DeliveryStatus> {
    Some(match s.to_ascii_lowercase().as_str() {
        "queued" | "accepted" | "scheduled" | "sending" => DeliveryStatus::Queued,
        "sent" | "partially_delivered" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" | "undelivered" | "canceled" => DeliveryStatus::Failed,
        _ => return None,
    })
}

pub(crate) fn parse(req: &WebhookRequest) -> Result<Vec<Inbound>, WebhookError> {
    let pairs = match req.method {
        Method::Get => req.query_params(),
        Method::Post => {
            if req
                .headers
                .get("content-type")
                .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"))
            {
                return Err(WebhookError::MalformedBody("form"));
            }
            decode_form(&req.body)
        }
        Method::Delete | Method::Other => return Err(WebhookError::MethodNotAllowed),
    };
    let mut p: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        p.entry(k).or_insert(v);
    }
    let get = |k: &str| p.get(k).map(|s| s.as_str()).filter(|s| !s.is_empty());
    let sid = get("MessageSid")
        .or_else(|| get("SmsSid"))
        .or_else(|| get("SmsMessageSid"))
        .ok_or(WebhookError::MissingField("MessageSid"))?;
    let from = get("From").ok_or(WebhookError::MissingField("From"))?;
    let to = get("To").ok_or(WebhookError::MissingField("To"))?;

    if let Some(status) = get("MessageStatus") {
        // Status callbacks: we are `From`, the contact is `To`.
        let key = DedupeKey::new("twilio", &[sid, &status.to_ascii_lowercase()]);
        let (channel, account) = match channel_of(from) {
            Ok(c) => c,
            Err(prefix) => {
                return Ok(vec![ignored(
                    key,
                    Channel::Sms,
                    from,
                    Ignored::UnsupportedMessage {
                        kind: prefix.to_string(),
                    },
                )])
            }
        };
        let recipient = channel_of(to).map(|(_, a)| a.to_string()).ok();
        let event = match map_status(status) {
            None => InboundEvent::Ignored(Ignored::UnknownStatus {
                status: status.to_string(),
            }),
            Some(mapped) => InboundEvent::Status(StatusUpdate {
                provider_message_id: sid.to_string(),
                status: mapped,
                provider_status: status.to_string(),
                recipient,
                at_ms: None,
                error: get("ErrorCode").map(|c| {
                    describe(
                        c,
                        get("ErrorMessage").or_else(|| get("ChannelStatusMessage")),
                    )
                }),
            }),
        };
        return Ok(vec![Inbound {
            key,
            channel,
            account: account.to_string(),
            event,
        }]);
    }

    let key = DedupeKey::new("twilio", &[sid]);
    let (channel, sender) = match channel_of(from) {
        Ok(c) => c,
        Err(prefix) => {
            return Ok(vec![ignored(
                key,
                Channel::Sms,
                to,
                Ignored::UnsupportedMessage {
                    kind: prefix.to_string(),
                },
            )])
        }
    };
    let account = channel_of(to).map(|(_, a)| a).unwrap_or(to);

    let mut attachments = Vec::new();
    for i in 0..MAX_MEDIA {
        let Some(url) = get(&format!("MediaUrl{i}")) else {
            break;
        };
        let mime = get(&format!("MediaContentType{i}")).map(str::to_string);
        attachments.push(Attachment {
            kind: mime
                .as_deref()
                .map(AttachmentKind::from_mime)
                .unwrap_or(AttachmentKind::Other),
            mime,
            source: MediaSource::Url {
                url: url.to_string(),
            },
            caption: None,
            filename: None,
            size: None,
            sha256: None,
        });
    }
    let location = match (
        get("Latitude").and_then(parse_coord),
        get("Longitude").and_then(parse_coord),
    ) {
        (Some(latitude), Some(longitude)) => Some(Location {
            latitude,
            longitude,
            name: get("Label").map(str::to_string),
            address: get("Address").map(str::to_string),
        }),
        _ => None,
    };
    let text = get("Body")
        .or_else(|| get("ButtonText"))
        .map(str::to_string);
    let msg = ContactMessage {
        provider_message_id: sid.to_string(),
        from: Identity {
            address: sender.to_string(),
            display_name: get("ProfileName").map(str::to_string),
            username: None,
        },
        text,
        attachments,
        location,
        payload: get("ButtonPayload").map(str::to_string),
        sent_at_ms: None,
        reply_to: get("OriginalRepliedMessageSid").map(|s| ReplyContext::Message {
            provider_message_id: s.to_string(),
        }),
        comment: None,
    };
    Ok(vec![Inbound {
        key,
        channel,
        account: account.to_string(),
        event: InboundEvent::Message(msg),
    }])
}

fn parse_coord(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|f| f.is_finite())
}

fn ignored(key: DedupeKey, channel: Channel, account: &str, why: Ignored) -> Inbound {
    Inbound {
        key,
        channel,
        account: account.to_string(),
        event: InboundEvent::Ignored(why),
    }
}
