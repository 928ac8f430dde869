//! Realistic Instagram webhook bodies (channels.md §5.1–5.2): DMs, story replies, comments.

use serde_json::{json, Value};

/// A DM from `igsid` to our account.
pub fn dm_event(ig_id: &str, igsid: &str, mid: &str, timestamp_ms: i64, text: &str) -> Value {
    json!({"sender": {"id": igsid}, "recipient": {"id": ig_id}, "timestamp": timestamp_ms,
           "message": {"mid": mid, "text": text}})
}

/// A reply to one of our stories.
pub fn story_reply_event(
    ig_id: &str,
    igsid: &str,
    mid: &str,
    timestamp_ms: i64,
    text: &str,
    story_id: &str,
    story_url: &str,
) -> Value {
    json!({"sender": {"id": igsid}, "recipient": {"id": ig_id}, "timestamp": timestamp_ms,
           "message": {"mid": mid, "text": text, "reply_to": {"story": {"id": story_id, "url": story_url}}}})
}

/// A messaging entry.
pub fn messaging_entry(ig_id: &str, time_s: i64, messaging: Vec<Value>) -> Value {
    json!({"id": ig_id, "time": time_s, "messaging": messaging})
}

/// A `comments` change.
pub fn comment_change(
    comment_id: &str,
    igsid: &str,
    username: &str,
    text: &str,
    media_id: &str,
    parent_id: Option<&str>,
) -> Value {
    let mut v = json!({"id": comment_id, "from": {"id": igsid, "username": username}, "text": text,
                       "media": {"id": media_id, "media_product_type": "FEED"}});
    if let (Some(p), Some(o)) = (parent_id, v.as_object_mut()) {
        o.insert("parent_id".into(), json!(p));
    }
    json!({"field": "comments", "value": v})
}

/// A changes entry.
pub fn changes_entry(ig_id: &str, time_s: i64, changes: Vec<Value>) -> Value {
    json!({"id": ig_id, "time": time_s, "changes": changes})
}
