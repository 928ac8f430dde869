//! Realistic Messenger webhook bodies (channels.md §3.1) and Send API answers, for fakes and
//! the simulator.

use serde_json::{json, Value};

/// A `messaging[]` text message from `psid` to `page_id`.
pub fn text_event(page_id: &str, psid: &str, mid: &str, timestamp_ms: i64, text: &str) -> Value {
    json!({"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": timestamp_ms,
           "message": {"mid": mid, "text": text}})
}

/// A `messaging[]` image attachment.
pub fn image_event(page_id: &str, psid: &str, mid: &str, timestamp_ms: i64, url: &str) -> Value {
    json!({"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": timestamp_ms,
           "message": {"mid": mid, "attachments": [{"type": "image", "payload": {"url": url}}]}})
}

/// An echo of a message the Page sent (sender = Page).
pub fn echo_event(
    page_id: &str,
    psid: &str,
    mid: &str,
    timestamp_ms: i64,
    app_id: &str,
    text: &str,
) -> Value {
    json!({"sender": {"id": page_id}, "recipient": {"id": psid}, "timestamp": timestamp_ms,
           "message": {"mid": mid, "is_echo": true, "app_id": app_id, "text": text}})
}

/// A delivery receipt.
pub fn delivery_event(page_id: &str, psid: &str, mids: &[&str], watermark_ms: i64) -> Value {
    json!({"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": watermark_ms,
           "delivery": {"mids": mids, "watermark": watermark_ms}})
}

/// A read receipt (watermark).
pub fn read_event(page_id: &str, psid: &str, watermark_ms: i64) -> Value {
    json!({"sender": {"id": psid}, "recipient": {"id": page_id}, "timestamp": watermark_ms, "read": {"watermark": watermark_ms}})
}

/// A `page` entry holding `messaging` events.
pub fn entry(page_id: &str, time_ms: i64, messaging: Vec<Value>) -> Value {
    json!({"id": page_id, "time": time_ms, "messaging": messaging})
}

/// A Send API success.
pub fn send_success_json(psid: &str, mid: &str) -> String {
    json!({"recipient_id": psid, "message_id": mid}).to_string()
}
