//! Graph API calls and errors shared by WhatsApp Cloud, Messenger, Page comments and Instagram
//! (channels.md §2.6). Logic keys on the numeric `code`, never on titles or messages.

use crate::http::{encode_form, join, Headers, HttpRequest, Method, CONTENT_FORM, CONTENT_JSON};
use crate::inbound::{FailureKind, ProviderError};
use crate::json::{int_of, str_at, str_of};
use crate::outbound::{retry_after, Account, ApiAuth, SendError, SendOutcome};
use serde_json::Value;
use switchboard_domain::conversation::Channel;

pub(crate) enum GraphBody {
    Json(Value),
    Form(Vec<(&'static str, String)>),
    Empty,
}

/// Builds `{method} {api_base}{path}` with the account's Graph token (Bearer header or the
/// documented `access_token` query parameter).
pub(crate) fn graph_request(
    account: &Account,
    method: Method,
    path: &str,
    body: GraphBody,
) -> Result<HttpRequest, SendError> {
    let mut url = join(&account.api_base, path);
    let mut headers = Headers::new();
    match &account.auth {
        ApiAuth::Bearer { token } => headers.insert("Authorization", format!("Bearer {token}")),
        ApiAuth::AccessTokenQuery { token } => {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encode_form([("access_token", token.as_str())]));
        }
        ApiAuth::Basic { .. } | ApiAuth::BotToken { .. } => {
            return Err(SendError::Misconfigured(
                "Graph API calls need a Bearer or access_token credential",
            ))
        }
    }
    let body = match body {
        GraphBody::Json(v) => {
            headers.insert("Content-Type", CONTENT_JSON);
            serde_json::to_vec(&v).unwrap_or_default()
        }
        GraphBody::Form(f) => {
            headers.insert("Content-Type", CONTENT_FORM);
            encode_form(f.iter().map(|(k, v)| (*k, v.as_str()))).into_bytes()
        }
        GraphBody::Empty => Vec::new(),
    };
    Ok(HttpRequest {
        method,
        url,
        headers,
        body,
    })
}

fn window_reason(channel: Channel) -> &'static str {
    match channel {
        Channel::Whatsapp => "The customer's 24-hour WhatsApp window has closed; send an approved template.",
        Channel::Instagram => "The customer's 24-hour Instagram window has closed; a person can still answer within 7 days of their last message.",
        _ => "The customer's 24-hour Messenger window has closed; a person can still answer within 7 days of their last message.",
    }
}

/// Maps a Graph error code (plus Messenger's `error_subcode`, which Messenger still sends) to
/// a plain-words reason. Also used for WhatsApp `failed` statuses' `errors[0]`.
pub fn graph_error(
    channel: Channel,
    code: i64,
    subcode: Option<i64>,
    message: Option<&str>,
    details: Option<&str>,
) -> ProviderError {
    use FailureKind::*;
    let (kind, reason, retryable): (FailureKind, String, bool) = match (code, subcode) {
        (131047, _) | (10, Some(2018278)) => (OutsideWindow, window_reason(channel).into(), false),
        (0 | 190, _) => (Auth, "The access token was rejected or has expired; an administrator must reconnect the channel.".into(), false),
        (551, _) => (Undeliverable, "This person isn't available right now (they may have blocked the Page or left).".into(), false),
        (10 | 200..=299, _) => (Permission, "Our app lacks the permission for this; an administrator must check the app's permissions.".into(), false),
        (4 | 613 | 80007 | 130429, _) => (RateLimited, "The provider's rate limit was reached; the message will be retried.".into(), true),
        (131048, _) => (RateLimited, "WhatsApp is limiting this number because of spam reports; the message will be retried later.".into(), true),
        (131056, _) => (RateLimited, "Too many messages to this customer in a short time; the message will be retried.".into(), true),
        (131026, _) => (Undeliverable, "This number can't receive WhatsApp messages (not on WhatsApp, blocked us, or an old app).".into(), false),
        (132000, _) => (BadRequest, "The template's parameters don't match the approved template.".into(), false),
        (100, _) => (BadRequest, format!("The provider rejected a parameter of this message{}.", suffix(details.or(message))), false),
        _ => (Unknown, format!("Provider error {code}{}.", suffix(details.or(message))), false),
    };
    ProviderError {
        code: code.to_string(),
        kind,
        reason,
        retryable,
    }
}

fn suffix(s: Option<&str>) -> String {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => format!(": {}", s.trim_end_matches('.')),
        None => String::new(),
    }
}

/// Classifies a Graph response. `id_of` extracts the new id from a success body (WhatsApp
/// `messages[0].id`, Send API `message_id`, comment `id`); bodies without one (delete, typing,
/// `{"success": true}`) are still accepted.
pub(crate) fn read_graph_response(
    channel: Channel,
    status: u16,
    headers: &Headers,
    body: &[u8],
    id_of: fn(&Value) -> Option<String>,
) -> SendOutcome {
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return SendOutcome::Accepted {
            provider_message_id: id_of(&json),
        };
    }
    let err = json.get("error").cloned().unwrap_or(Value::Null);
    let code = int_of(&err, "code");
    if status >= 500 {
        return SendOutcome::Retry {
            after: retry_after(headers),
            code: code.map(|c| c.to_string()),
        };
    }
    match code {
        Some(code) => {
            let e = graph_error(
                channel,
                code,
                int_of(&err, "error_subcode"),
                str_of(&err, "message").as_deref(),
                str_at(&err, &["error_data", "details"]).as_deref(),
            );
            if e.retryable || status == 429 {
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
        None if status == 429 => SendOutcome::Retry {
            after: retry_after(headers),
            code: None,
        },
        None if status == 401 => {
            let e = graph_error(channel, 190, None, None, None);
            SendOutcome::Permanent {
                code: status.to_string(),
                kind: e.kind,
                reason: e.reason,
            }
        }
        None => SendOutcome::Permanent {
            code: status.to_string(),
            kind: FailureKind::BadRequest,
            reason: format!("The provider refused the message (HTTP {status})."),
        },
    }
}
