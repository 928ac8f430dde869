//! Realistic Page `feed` webhook bodies (channels.md §4.1), for fakes and the simulator.

use serde_json::{json, Value};

/// A new comment (`verb: add`). `parent_id` defaults to the post for a top-level comment.
pub fn comment_change(
    post_id: &str,
    comment_id: &str,
    parent_id: Option<&str>,
    from_id: &str,
    from_name: &str,
    message: &str,
    created_time_s: i64,
) -> Value {
    json!({"field": "feed", "value": {
        "from": {"id": from_id, "name": from_name},
        "post": {"id": post_id, "status_type": "mobile_status_update", "is_published": true},
        "message": message, "post_id": post_id, "comment_id": comment_id,
        "parent_id": parent_id.unwrap_or(post_id), "created_time": created_time_s,
        "item": "comment", "verb": "add"}})
}

/// Another verb on an existing comment (`edited`, `remove`, `hide`, `unhide`).
pub fn comment_verb_change(
    post_id: &str,
    comment_id: &str,
    from_id: &str,
    verb: &str,
    message: Option<&str>,
    created_time_s: i64,
) -> Value {
    let mut v = json!({"from": {"id": from_id}, "post_id": post_id, "comment_id": comment_id, "created_time": created_time_s, "item": "comment", "verb": verb});
    if let (Some(m), Some(o)) = (message, v.as_object_mut()) {
        o.insert("message".into(), json!(m));
    }
    json!({"field": "feed", "value": v})
}

/// A `page` entry holding `changes`.
pub fn entry(page_id: &str, time_s: i64, changes: Vec<Value>) -> Value {
    json!({"id": page_id, "time": time_s, "changes": changes})
}
