//! Meta-side helpers for fakes and the simulator: the envelope, signing a body exactly as Meta
//! does, the GET handshake request, and Graph error bodies. Bodies are emitted as ASCII-escaped
//! JSON (channels.md §2.2) so the signature holds under either reading of the bytes.

use super::signature::{sign, SIGNATURE_HEADER};
use crate::http::{encode_form, Headers, Method, WebhookRequest, CONTENT_JSON};
use crate::json::to_ascii_json;
use serde_json::{json, Value};

/// `{"object": object, "entry": entries}`.
pub fn envelope(object: &str, entries: Vec<Value>) -> Value {
    json!({"object": object, "entry": entries})
}

/// The bytes a fake posts for `v`.
pub fn body_bytes(v: &Value) -> Vec<u8> {
    to_ascii_json(v)
}

/// A POST as Meta sends it: JSON body and `X-Hub-Signature-256` over exactly these bytes.
pub fn signed_request(url: &str, app_secret: &str, body: Vec<u8>) -> WebhookRequest {
    let mut headers = Headers::new();
    headers.insert("Content-Type", CONTENT_JSON);
    headers.insert(SIGNATURE_HEADER, sign(app_secret, &body));
    WebhookRequest::post(url, headers, body)
}

/// The GET subscription handshake Meta performs when a webhook URL is configured.
pub fn handshake_request(url: &str, verify_token: &str, challenge: &str) -> WebhookRequest {
    let q = encode_form([
        ("hub.mode", "subscribe"),
        ("hub.challenge", challenge),
        ("hub.verify_token", verify_token),
    ]);
    let sep = if url.contains('?') { '&' } else { '?' };
    WebhookRequest::new(Method::Get, format!("{url}{sep}{q}"))
}

/// A Graph error body (`{"error": {...}}`).
pub fn graph_error_json(code: i64, message: &str, details: Option<&str>) -> String {
    let mut err = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"});
    if let (Some(d), Some(obj)) = (details, err.as_object_mut()) {
        obj.insert(
            "error_data".into(),
            json!({"messaging_product": "whatsapp", "details": d}),
        );
    }
    json!({"error": err}).to_string()
}
