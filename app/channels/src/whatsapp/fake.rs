//! Realistic WhatsApp Cloud API webhook bodies and API answers (channels.md §2.3–2.4), for
//! fakes and the simulator. Sign them with `meta::sign` / `meta::fake::signed_request`.

use serde_json::{json, Value};

/// The business side of a webhook: which WABA and phone number it reached.
#[derive(Debug, Clone)]
pub struct Business {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display_phone_number: String,
}

impl Business {
    fn metadata(&self) -> Value {
        json!({"display_phone_number": self.display_phone_number, "phone_number_id": self.phone_number_id})
    }

    /// A change carrying messages from one contact.
    pub fn messages_change(&self, wa_id: &str, profile_name: &str, messages: Vec<Value>) -> Value {
        json!({"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": self.metadata(),
            "contacts": [{"profile": {"name": profile_name}, "wa_id": wa_id}],
            "messages": messages}})
    }

    /// A change carrying status updates.
    pub fn statuses_change(&self, statuses: Vec<Value>) -> Value {
        json!({"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": self.metadata(), "statuses": statuses}})
    }

    /// A whole body: one entry holding `changes`.
    pub fn body(&self, changes: Vec<Value>) -> Value {
        json!({"object": "whatsapp_business_account", "entry": [{"id": self.waba_id, "changes": changes}]})
    }
}

/// `messages[]` item: text.
pub fn text(from: &str, wamid: &str, timestamp_s: i64, body: &str) -> Value {
    json!({"from": from, "id": wamid, "timestamp": timestamp_s.to_string(), "type": "text", "text": {"body": body}})
}

/// `messages[]` item: image (media id), optionally captioned.
pub fn image(
    from: &str,
    wamid: &str,
    timestamp_s: i64,
    media_id: &str,
    mime: &str,
    caption: Option<&str>,
) -> Value {
    let mut img = json!({"mime_type": mime, "sha256": "ZmFrZS1zaGEyNTY=", "id": media_id});
    if let (Some(c), Some(o)) = (caption, img.as_object_mut()) {
        o.insert("caption".into(), json!(c));
    }
    json!({"from": from, "id": wamid, "timestamp": timestamp_s.to_string(), "type": "image", "image": img})
}

/// `statuses[]` item; `error` = `(code, title)` for `failed`.
pub fn status(
    wamid: &str,
    status: &str,
    timestamp_s: i64,
    recipient: &str,
    error: Option<(i64, &str)>,
) -> Value {
    let mut s = json!({
        "id": wamid, "status": status, "timestamp": timestamp_s.to_string(), "recipient_id": recipient,
        "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
        "pricing": {"billable": true, "pricing_model": "CBP", "category": "service"}});
    if let (Some((code, title)), Some(o)) = (error, s.as_object_mut()) {
        o.insert("errors".into(), json!([{"code": code, "title": title, "message": title, "error_data": {"details": title}, "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]));
    }
    s
}

/// The 200 answer to a send.
pub fn send_success_json(to: &str, wamid: &str) -> String {
    json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}).to_string()
}
