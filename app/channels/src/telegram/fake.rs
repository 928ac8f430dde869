//! Realistic Telegram updates and Bot API answers (channels.md §6), for fakes and the simulator.

use super::SECRET_HEADER;
use crate::http::{Headers, WebhookRequest, CONTENT_JSON};
use serde_json::{json, Value};

/// A private-chat user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
}

impl User {
    fn from(&self) -> Value {
        json!({"id": self.id, "is_bot": false, "first_name": self.first_name, "username": self.username, "language_code": "en"})
    }
    fn chat(&self) -> Value {
        json!({"id": self.id, "first_name": self.first_name, "username": self.username, "type": "private"})
    }
}

/// A text message update.
pub fn text_update(update_id: i64, user: &User, message_id: i64, date_s: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": message_id, "from": user.from(), "chat": user.chat(), "date": date_s, "text": text}})
}

/// A photo update (two sizes, the last one largest), optionally captioned.
pub fn photo_update(
    update_id: i64,
    user: &User,
    message_id: i64,
    date_s: i64,
    file_id: &str,
    caption: Option<&str>,
) -> Value {
    let mut m = json!({"message_id": message_id, "from": user.from(), "chat": user.chat(), "date": date_s,
    "photo": [
        {"file_id": format!("{file_id}-small"), "file_unique_id": "AQADsmall", "file_size": 1200, "width": 90, "height": 90},
        {"file_id": file_id, "file_unique_id": "AQADlarge", "file_size": 48000, "width": 800, "height": 800}
    ]});
    if let (Some(c), Some(o)) = (caption, m.as_object_mut()) {
        o.insert("caption".into(), json!(c));
    }
    json!({"update_id": update_id, "message": m})
}

/// A POST as Telegram delivers it, with the secret token header.
pub fn signed_request(url: &str, secret_token: &str, update: &Value) -> WebhookRequest {
    let mut headers = Headers::new();
    headers.insert("Content-Type", CONTENT_JSON);
    headers.insert(SECRET_HEADER, secret_token);
    WebhookRequest::post(url, headers, serde_json::to_vec(update).unwrap_or_default())
}

/// `{"ok": true, "result": Message}` for a send.
pub fn sent_message_json(
    message_id: i64,
    bot_id: i64,
    chat_id: i64,
    date_s: i64,
    text: &str,
) -> String {
    json!({"ok": true, "result": {"message_id": message_id,
        "from": {"id": bot_id, "is_bot": true, "first_name": "ShopBot", "username": "shop_bot"},
        "chat": {"id": chat_id, "type": "private"}, "date": date_s, "text": text}})
    .to_string()
}

/// An error answer; `retry_after` adds `parameters.retry_after` (429).
pub fn error_json(code: u16, description: &str, retry_after: Option<u64>) -> String {
    match retry_after {
        Some(s) => json!({"ok": false, "error_code": code, "description": description, "parameters": {"retry_after": s}}),
        None => json!({"ok": false, "error_code": code, "description": description}),
    }
    .to_string()
}
