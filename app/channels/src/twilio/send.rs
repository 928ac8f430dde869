//! Twilio Messages resource (channels.md §1.4): `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`,
//! Basic auth, form body. Templates go as `ContentSid` + `ContentVariables` (the only way to
//! write outside WhatsApp's 24 h window); `Body`/`MediaUrl` are omitted with them.

use super::errors::describe;
use crate::capabilities::Capabilities;
use crate::http::{encode_form, join, segment, Headers, HttpRequest, Method, CONTENT_FORM};
use crate::outbound::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use switchboard_domain::conversation::Channel;

/// E.164: `+` then 1–15 digits. Checked before sending to spare a 21211 round trip.
fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn build(
    caps: &Capabilities,
    out: &Outbound,
    account: &Account,
) -> Result<HttpRequest, SendError> {
    let ApiAuth::Basic { username, password } = &account.auth else {
        return Err(SendError::Misconfigured(
            "Twilio needs Basic auth (AccountSid or API key and secret)",
        ));
    };
    let prefix = if caps.channel == Channel::Whatsapp {
        "whatsapp:"
    } else {
        ""
    };
    let bare_to = out.to.strip_prefix("whatsapp:").unwrap_or(&out.to);
    if !is_e164(bare_to) {
        return Err(SendError::InvalidRecipient(out.to.clone()));
    }
    let to = format!("{prefix}{bare_to}");
    let from = format!(
        "{prefix}{}",
        account
            .address
            .strip_prefix("whatsapp:")
            .unwrap_or(&account.address)
    );

    let mut fields: Vec<(&str, String)> = vec![("To", to)];
    match &account.messaging_service_sid {
        Some(mg) => fields.push(("MessagingServiceSid", mg.clone())),
        None => fields.push(("From", from)),
    }
    match &out.content {
        OutboundContent::Text { body } => {
            check_window(caps, out)?;
            check_text(body, caps.max_text_chars)?;
            fields.push(("Body", body.clone()));
        }
        OutboundContent::Attachment {
            kind,
            url,
            mime,
            size,
            caption,
            ..
        } => {
            check_window(caps, out)?;
            check_attachment(caps, *kind, mime.as_deref(), *size, caption.as_deref())?;
            if let Some(c) = caption.as_ref().filter(|c| !c.is_empty()) {
                fields.push(("Body", c.clone()));
            }
            fields.push(("MediaUrl", url.clone()));
        }
        OutboundContent::Template {
            name, parameters, ..
        } if caps.templates => {
            if name.trim().is_empty() {
                return Err(SendError::InvalidTemplate);
            }
            fields.push(("ContentSid", name.clone()));
            if !parameters.is_empty() {
                let vars: serde_json::Map<String, Value> = parameters
                    .iter()
                    .enumerate()
                    .map(|(i, p)| ((i + 1).to_string(), Value::String(p.clone())))
                    .collect();
                fields.push(("ContentVariables", Value::Object(vars).to_string()));
            }
        }
        other => return Err(unsupported(caps, other)),
    }
    if let Some(cb) = &account.status_callback_url {
        fields.push(("StatusCallback", cb.clone()));
    }

    let sid = account.twilio_account_sid.as_deref().unwrap_or(username);
    if sid.is_empty() {
        return Err(SendError::Misconfigured("Twilio AccountSid is empty"));
    }
    let mut headers = Headers::new();
    headers.insert(
        "Authorization",
        format!(
            "Basic {}",
            STANDARD.encode(format!("{username}:{password}"))
        ),
    );
    headers.insert("Content-Type", CONTENT_FORM);
    headers.insert("Accept", "application/json");
    Ok(HttpRequest {
        method: Method::Post,
        url: join(
            &account.api_base,
            &format!("/2010-04-01/Accounts/{}/Messages.json", segment(sid)),
        ),
        headers,
        body: encode_form(fields.iter().map(|(k, v)| (*k, v.as_str()))).into_bytes(),
    })
}

/// 201 with the Message resource (`sid`) is accepted; 429/20429 and 5xx retry; error codes map
/// through [`describe`].
pub(crate) fn read_response(status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return SendOutcome::Accepted {
            provider_message_id: crate::json::str_of(&json, "sid"),
        };
    }
    let code = crate::json::str_of(&json, "code");
    let message = crate::json::str_of(&json, "message");
    if status == 429 || status >= 500 || code.as_deref() == Some("20429") {
        return SendOutcome::Retry {
            after: retry_after(headers),
            code,
        };
    }
    match code {
        Some(code) => {
            let e = describe(&code, message.as_deref());
            if e.retryable {
                SendOutcome::Retry {
                    after: retry_after(headers),
                    code: Some(e.code),
                }
            } else {
                SendOutcome::Permanent {
                    code: e.code,
                    kind: e.kind,
                    reason: e.reason,
                }
            }
        }
        None if status == 401 => {
            let e = describe("20003", None);
            SendOutcome::Permanent {
                code: status.to_string(),
                kind: e.kind,
                reason: e.reason,
            }
        }
        None => SendOutcome::Permanent {
            code: status.to_string(),
            kind: crate::inbound::FailureKind::BadRequest,
            reason: format!("Twilio refused the message (HTTP {status})."),
        },
    }
}
