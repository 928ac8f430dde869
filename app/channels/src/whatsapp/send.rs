//! WhatsApp Cloud API sends (channels.md §2.4): `POST {graph}/{PHONE_NUMBER_ID}/messages`,
//! Bearer token, JSON. Free-form content only inside the 24 h customer-service window;
//! templates any time.

use crate::capabilities::{AttachmentKind, Capabilities};
use crate::http::{segment, HttpRequest, Method};
use crate::meta::{graph_request, GraphBody};
use crate::outbound::*;
use serde_json::{json, Map, Value};

fn base(to: &str, ty: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("messaging_product".into(), json!("whatsapp"));
    m.insert("recipient_type".into(), json!("individual"));
    m.insert("to".into(), json!(to));
    m.insert("type".into(), json!(ty));
    m
}

pub(crate) fn build(
    caps: &Capabilities,
    out: &Outbound,
    account: &Account,
) -> Result<HttpRequest, SendError> {
    // wa_ids are digits without `+`; accept an E.164 form too.
    let to = out.to.trim().trim_start_matches('+');
    if to.is_empty() || to.chars().any(char::is_whitespace) {
        return Err(SendError::InvalidRecipient(out.to.clone()));
    }
    let mut body = match &out.content {
        OutboundContent::Text { body } => {
            check_window(caps, out)?;
            check_text(body, caps.max_text_chars)?;
            let mut m = base(to, "text");
            m.insert("text".into(), json!({"preview_url": false, "body": body}));
            m
        }
        OutboundContent::Attachment {
            kind,
            url,
            mime,
            size,
            caption,
            filename,
        } => {
            check_window(caps, out)?;
            check_attachment(caps, *kind, mime.as_deref(), *size, caption.as_deref())?;
            let ty = match kind {
                AttachmentKind::Image => "image",
                AttachmentKind::Video => "video",
                AttachmentKind::Audio => "audio",
                AttachmentKind::Document => "document",
                AttachmentKind::Sticker => "sticker",
                other => return Err(SendError::AttachmentKindNotAllowed { kind: *other }),
            };
            let mut media = Map::new();
            media.insert("link".into(), json!(url));
            // Audio and stickers take no caption; documents also carry a file name.
            if let Some(c) = caption.as_ref().filter(|c| {
                !c.is_empty() && !matches!(kind, AttachmentKind::Audio | AttachmentKind::Sticker)
            }) {
                media.insert("caption".into(), json!(c));
            }
            if let Some(f) = filename
                .as_ref()
                .filter(|_| *kind == AttachmentKind::Document)
            {
                media.insert("filename".into(), json!(f));
            }
            let mut m = base(to, ty);
            m.insert(ty.into(), Value::Object(media));
            m
        }
        OutboundContent::Template {
            name,
            language,
            parameters,
        } => {
            if name.trim().is_empty() || language.trim().is_empty() {
                return Err(SendError::InvalidTemplate);
            }
            let mut t = Map::new();
            t.insert("name".into(), json!(name));
            t.insert("language".into(), json!({"code": language}));
            if !parameters.is_empty() {
                let params: Vec<Value> = parameters
                    .iter()
                    .map(|p| json!({"type": "text", "text": p}))
                    .collect();
                t.insert(
                    "components".into(),
                    json!([{"type": "body", "parameters": params}]),
                );
            }
            let mut m = base(to, "template");
            m.insert("template".into(), Value::Object(t));
            m
        }
        other => return Err(unsupported(caps, other)),
    };
    if let Some(id) = &out.reply_to {
        body.insert("context".into(), json!({"message_id": id}));
    }
    graph_request(
        account,
        Method::Post,
        &format!("/{}/messages", segment(&account.address)),
        GraphBody::Json(Value::Object(body)),
    )
}

/// Marks an inbound message as read (blue ticks). Response shape unconfirmed; any 2xx is fine.
pub fn mark_read(account: &Account, wamid: &str) -> Result<HttpRequest, SendError> {
    let body = json!({"messaging_product": "whatsapp", "status": "read", "message_id": wamid});
    graph_request(
        account,
        Method::Post,
        &format!("/{}/messages", segment(&account.address)),
        GraphBody::Json(body),
    )
}

/// `messages[0].id` of a send response.
pub(crate) fn id_of(v: &Value) -> Option<String> {
    v.get("messages")?
        .get(0)?
        .get("id")?
        .as_str()
        .map(str::to_string)
}
