//! Builders for realistic Twilio webhooks, signed exactly as Twilio signs them, for test fakes
//! and the demo simulator. Parameters are emitted sorted by name, like channels.md's fixture.

use super::signature::{sign, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use crate::http::{encode_form, Headers, WebhookRequest, CONTENT_FORM};
use std::collections::BTreeMap;

/// An inbound message (SMS, MMS, or WhatsApp when the addresses carry `whatsapp:`).
#[derive(Debug, Clone, Default)]
pub struct InboundMessage {
    pub account_sid: String,
    pub message_sid: String,
    /// Sender, e.g. `+15005550006` or `whatsapp:+15005550006`.
    pub from: String,
    /// Our number, e.g. `+15005550001` or `whatsapp:+14155238886`.
    pub to: String,
    pub body: String,
    /// `(MediaUrl, MediaContentType)` pairs.
    pub media: Vec<(String, String)>,
    /// WhatsApp only.
    pub profile_name: Option<String>,
    pub wa_id: Option<String>,
    /// Anything else (new params Twilio may add); signed like the rest.
    pub extra: Vec<(String, String)>,
}

impl InboundMessage {
    pub fn params(&self) -> Vec<(String, String)> {
        let mut p = BTreeMap::new();
        p.insert("AccountSid".to_string(), self.account_sid.clone());
        p.insert("Body".to_string(), self.body.clone());
        p.insert("From".to_string(), self.from.clone());
        p.insert("MessageSid".to_string(), self.message_sid.clone());
        p.insert("NumMedia".to_string(), self.media.len().to_string());
        p.insert("To".to_string(), self.to.clone());
        for (i, (url, ct)) in self.media.iter().enumerate() {
            p.insert(format!("MediaUrl{i}"), url.clone());
            p.insert(format!("MediaContentType{i}"), ct.clone());
        }
        if let Some(n) = &self.profile_name {
            p.insert("ProfileName".to_string(), n.clone());
        }
        if let Some(w) = &self.wa_id {
            p.insert("WaId".to_string(), w.clone());
        }
        for (k, v) in &self.extra {
            p.insert(k.clone(), v.clone());
        }
        p.into_iter().collect()
    }
}

/// A status callback (`MessageStatus`, `ErrorCode` on failure).
#[derive(Debug, Clone, Default)]
pub struct StatusCallback {
    pub account_sid: String,
    pub message_sid: String,
    /// Our number (status callbacks come `From` us).
    pub from: String,
    pub to: String,
    pub status: String,
    pub error_code: Option<String>,
}

impl StatusCallback {
    pub fn params(&self) -> Vec<(String, String)> {
        let mut p = BTreeMap::new();
        p.insert("AccountSid".to_string(), self.account_sid.clone());
        p.insert("ApiVersion".to_string(), "2010-04-01".to_string());
        p.insert("From".to_string(), self.from.clone());
        p.insert("MessageSid".to_string(), self.message_sid.clone());
        p.insert("MessageStatus".to_string(), self.status.clone());
        p.insert("SmsSid".to_string(), self.message_sid.clone());
        p.insert("SmsStatus".to_string(), self.status.clone());
        p.insert("To".to_string(), self.to.clone());
        if let Some(c) = &self.error_code {
            p.insert("ErrorCode".to_string(), c.clone());
        }
        p.into_iter().collect()
    }
}

/// The form body for `params`, in the given order.
pub fn form_body(params: &[(String, String)]) -> String {
    encode_form(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// A complete signed POST as Twilio would send it to `url`. A `#fragment` (connection
/// overrides) is dropped, as Twilio neither sends nor signs it.
pub fn signed_request(
    url: &str,
    auth_token: &str,
    params: &[(String, String)],
    idempotency_token: Option<&str>,
) -> WebhookRequest {
    let url = url.split('#').next().unwrap_or("");
    let mut headers = Headers::new();
    headers.insert("Content-Type", CONTENT_FORM);
    headers.insert(SIGNATURE_HEADER, sign(auth_token, url, params));
    if let Some(t) = idempotency_token {
        headers.insert(IDEMPOTENCY_HEADER, t);
    }
    WebhookRequest::post(url, headers, form_body(params).into_bytes())
}

/// A 201 Message resource as the Messages API returns it (for fakes).
pub fn message_created_json(
    sid: &str,
    account_sid: &str,
    from: &str,
    to: &str,
    body: &str,
    status: &str,
) -> String {
    serde_json::json!({
        "account_sid": account_sid, "api_version": "2010-04-01", "body": body,
        "date_created": "Tue, 09 May 2017 18:27:49 +0000", "date_sent": null,
        "date_updated": "Tue, 09 May 2017 18:27:49 +0000", "direction": "outbound-api",
        "error_code": null, "error_message": null, "from": from, "messaging_service_sid": null,
        "num_media": "0", "num_segments": "1", "price": null, "price_unit": "USD", "sid": sid,
        "status": status,
        "subresource_uris": {"media": format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json")},
        "to": to, "uri": format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json")
    })
    .to_string()
}

/// A Twilio error body.
pub fn error_json(code: u32, message: &str, status: u16) -> String {
    serde_json::json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}).to_string()
}
