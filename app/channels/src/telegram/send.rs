//! Telegram Bot API sends (channels.md §6.5): `POST {base}/bot<token>/<method>`, JSON bodies,
//! `{ok, result}` / `{ok: false, error_code, description, parameters}` answers.

use crate::capabilities::{AttachmentKind, Capabilities};
use crate::http::{join, segment, Headers, HttpRequest, Method, CONTENT_JSON};
use crate::inbound::FailureKind;
use crate::json::{int_of, str_at, str_of};
use crate::outbound::*;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// `chat_id` is an integer (may exceed 32 bits) or `@channelusername`.
fn chat_id(to: &str) -> Result<Value, SendError> {
    let t = to.trim();
    if let Ok(n) = t.parse::<i64>() {
        return Ok(json!(n));
    }
    if t.len() > 1 && t.starts_with('@') {
        return Ok(json!(t));
    }
    Err(SendError::InvalidRecipient(to.to_string()))
}

pub(crate) fn build(
    caps: &Capabilities,
    out: &Outbound,
    account: &Account,
) -> Result<HttpRequest, SendError> {
    let ApiAuth::BotToken { token } = &account.auth else {
        return Err(SendError::Misconfigured("Telegram needs a bot token"));
    };
    if token.is_empty() {
        return Err(SendError::Misconfigured("Telegram bot token is empty"));
    }
    let mut body = Map::new();
    body.insert("chat_id".into(), chat_id(&out.to)?);
    let method = match &out.content {
        OutboundContent::Text { body: text } => {
            check_text(text, caps.max_text_chars)?;
            body.insert("text".into(), json!(text));
            "sendMessage"
        }
        OutboundContent::Attachment {
            kind,
            url,
            mime,
            size,
            caption,
            ..
        } => {
            check_attachment(caps, *kind, mime.as_deref(), *size, caption.as_deref())?;
            let (method, field) = match kind {
                AttachmentKind::Image => ("sendPhoto", "photo"),
                AttachmentKind::Video => ("sendVideo", "video"),
                AttachmentKind::Audio => ("sendAudio", "audio"),
                AttachmentKind::Document => ("sendDocument", "document"),
                other => return Err(SendError::AttachmentKindNotAllowed { kind: *other }),
            };
            body.insert(field.into(), json!(url));
            if let Some(c) = caption.as_ref().filter(|c| !c.is_empty()) {
                body.insert("caption".into(), json!(c));
            }
            method
        }
        OutboundContent::Typing { on: true } => {
            body.insert("action".into(), json!("typing"));
            "sendChatAction"
        }
        other => return Err(unsupported(caps, other)),
    };
    if method != "sendChatAction" {
        if let Some(id) = out.reply_to.as_deref().and_then(|r| r.parse::<i64>().ok()) {
            body.insert("reply_parameters".into(), json!({"message_id": id}));
        }
    }
    let mut headers = Headers::new();
    headers.insert("Content-Type", CONTENT_JSON);
    Ok(HttpRequest {
        method: Method::Post,
        url: join(
            &account.api_base,
            &format!("/bot{}/{method}", segment(token)),
        ),
        headers,
        body: serde_json::to_vec(&Value::Object(body)).unwrap_or_default(),
    })
}

pub(crate) fn read_response(status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let ok = json.get("ok").and_then(Value::as_bool);
    if (200..300).contains(&status) && ok != Some(false) {
        return SendOutcome::Accepted {
            provider_message_id: str_at(&json, &["result", "message_id"]),
        };
    }
    let code = int_of(&json, "error_code")
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| *c >= 400)
        .unwrap_or(status);
    let description = str_of(&json, "description").unwrap_or_default();
    let params = json.get("parameters").cloned().unwrap_or(Value::Null);
    if code == 429 || status == 429 {
        let after = int_of(&params, "retry_after")
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
            .or_else(|| retry_after(headers));
        return SendOutcome::Retry {
            after,
            code: Some("429".into()),
        };
    }
    if code >= 500 || status >= 500 {
        return SendOutcome::Retry {
            after: retry_after(headers),
            code: Some(code.to_string()),
        };
    }
    if let Some(new_id) = str_of(&params, "migrate_to_chat_id") {
        return SendOutcome::Permanent {
            code: code.to_string(),
            kind: FailureKind::ChatMigrated,
            reason: format!(
                "The group became a supergroup; the conversation continues in chat {new_id}."
            ),
        };
    }
    let (kind, reason) = match code {
        401 | 404 => (
            FailureKind::Auth,
            "Telegram didn't accept the bot token; an administrator must check it.".to_string(),
        ),
        403 => (
            FailureKind::Blocked,
            "The customer blocked the bot or deleted their Telegram account.".to_string(),
        ),
        400 => (
            FailureKind::BadRequest,
            format!(
                "Telegram refused the message: {}.",
                description.trim_end_matches('.')
            ),
        ),
        _ => (
            FailureKind::Unknown,
            format!(
                "Telegram error {code}: {}.",
                description.trim_end_matches('.')
            ),
        ),
    };
    SendOutcome::Permanent {
        code: code.to_string(),
        kind,
        reason,
    }
}
