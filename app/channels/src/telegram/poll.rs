//! Long polling (channels.md §6.4) for machines without a public URL: `getUpdates` with an
//! `offset` one past the last update handled, which also confirms everything before it.
//! The same Update objects as the webhook, parsed by [`parse_update`](super::parse_update).

use super::parse_update;
use crate::http::{join, segment, Headers, HttpRequest, Method, CONTENT_JSON};
use crate::inbound::Inbound;
use crate::json::{int_of, str_of};
use crate::outbound::{Account, ApiAuth, SendError};
use serde_json::{json, Value};
use std::time::Duration;

/// Longest wait the Bot API allows for one `getUpdates`.
pub const MAX_TIMEOUT_S: u32 = 50;

/// `POST {base}/bot<token>/getUpdates` waiting up to `timeout_s` for updates from `offset`.
pub fn get_updates(
    account: &Account,
    offset: Option<i64>,
    timeout_s: u32,
) -> Result<HttpRequest, SendError> {
    let ApiAuth::BotToken { token } = &account.auth else {
        return Err(SendError::Misconfigured("Telegram needs a bot token"));
    };
    if token.is_empty() {
        return Err(SendError::Misconfigured("Telegram bot token is empty"));
    }
    let mut body = json!({"timeout": timeout_s.min(MAX_TIMEOUT_S), "allowed_updates": ["message"]});
    if let (Some(offset), Some(o)) = (offset, body.as_object_mut()) {
        o.insert("offset".into(), json!(offset));
    }
    let mut headers = Headers::new();
    headers.insert("Content-Type", CONTENT_JSON);
    Ok(HttpRequest {
        method: Method::Post,
        url: join(
            &account.api_base,
            &format!("/bot{}/getUpdates", segment(token)),
        ),
        headers,
        body: serde_json::to_vec(&body).unwrap_or_default(),
    })
}

/// What one `getUpdates` answer means.
#[derive(Debug, Clone, PartialEq)]
pub enum Polled {
    /// The updates (possibly none) and the offset that confirms them, for the next call.
    Updates {
        events: Vec<Inbound>,
        next_offset: Option<i64>,
    },
    /// A webhook is set, or another poller runs (409): polling can't work until that changes.
    Conflict { description: String },
    /// Wait and try again (429 with `retry_after`, 5xx).
    Retry { after: Option<Duration> },
    /// The token is wrong or revoked (401/404): nothing will work until it is fixed.
    Unauthorized { description: String },
}

/// Reads a `getUpdates` answer; `account` is our bot's id.
pub fn read_updates(status: u16, body: &[u8], account: &str) -> Polled {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let description = str_of(&v, "description").unwrap_or_default();
    if (200..300).contains(&status) && v.get("ok").and_then(Value::as_bool) == Some(true) {
        let updates = v
            .get("result")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut events = Vec::with_capacity(updates.len());
        let mut last = None;
        for u in &updates {
            let Some(id) = int_of(u, "update_id") else {
                continue;
            };
            last = Some(last.map_or(id, |l: i64| l.max(id)));
            events.push(parse_update(u, id, account.to_string()));
        }
        return Polled::Updates {
            events,
            next_offset: last.map(|l| l + 1),
        };
    }
    match status {
        409 => Polled::Conflict { description },
        401 | 404 => Polled::Unauthorized { description },
        429 => Polled::Retry {
            after: v
                .get("parameters")
                .and_then(|p| int_of(p, "retry_after"))
                .and_then(|s| u64::try_from(s).ok())
                .map(Duration::from_secs),
        },
        _ => Polled::Retry { after: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inbound::InboundEvent;

    fn bot() -> Account {
        Account::new(
            "7000000001",
            "https://api.telegram.org",
            ApiAuth::BotToken {
                token: "7000000001:AAE-x".into(),
            },
        )
    }

    #[test]
    fn the_request_asks_from_the_offset_and_waits() {
        let r = get_updates(&bot(), Some(43), 90).unwrap();
        assert_eq!(
            r.url,
            "https://api.telegram.org/bot7000000001:AAE-x/getUpdates"
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            json!({"offset": 43, "timeout": 50, "allowed_updates": ["message"]})
        );
        let first: Value =
            serde_json::from_slice(&get_updates(&bot(), None, 25).unwrap().body).unwrap();
        assert!(first.get("offset").is_none());
    }

    #[test]
    fn updates_come_with_the_offset_that_confirms_them() {
        let user = super::super::fake::User {
            id: 42,
            first_name: "Linus".into(),
            username: None,
        };
        let body = json!({"ok": true, "result": [
            super::super::fake::text_update(41, &user, 7, 1_700_000_000, "one"),
            super::super::fake::text_update(42, &user, 8, 1_700_000_001, "two"),
        ]});
        let Polled::Updates {
            events,
            next_offset,
        } = read_updates(200, body.to_string().as_bytes(), "7000000001")
        else {
            panic!()
        };
        assert_eq!(next_offset, Some(43));
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].key.as_str(), "telegram:7000000001:42");
        assert!(
            matches!(&events[0].event, InboundEvent::Message(m) if m.text.as_deref() == Some("one"))
        );
        let empty = read_updates(200, br#"{"ok":true,"result":[]}"#, "1");
        assert_eq!(
            empty,
            Polled::Updates {
                events: vec![],
                next_offset: None
            }
        );
    }

    #[test]
    fn conflicts_limits_and_bad_tokens_are_told_apart() {
        let conflict = br#"{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}"#;
        assert!(
            matches!(read_updates(409, conflict, "1"), Polled::Conflict { description } if description.contains("webhook is active"))
        );
        let limited = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#;
        assert_eq!(
            read_updates(429, limited, "1"),
            Polled::Retry {
                after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            read_updates(
                401,
                br#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
                "1"
            ),
            Polled::Unauthorized { .. }
        ));
        assert_eq!(
            read_updates(502, b"<html>bad gateway</html>", "1"),
            Polled::Retry { after: None }
        );
    }
}
