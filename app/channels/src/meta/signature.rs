//! Meta webhook security (channels.md §2.1–2.2), shared by WhatsApp Cloud, Messenger, Page
//! comments and Instagram: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`
//! and the GET `hub.mode=subscribe` handshake. The signature covers the raw bytes, so the body
//! must be captured before parsing: re-serialised JSON will not validate.

use crate::crypto::{ct_eq, hmac_sha256};
use crate::http::{Method, WebhookRequest};
use crate::webhook::{WebhookError, WebhookSecrets};
use subtle::ConstantTimeEq;

pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// The header value Meta would send for `body`: `sha256=` + lowercase hex.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(app_secret.as_bytes(), body))
    )
}

/// Verifies `X-Hub-Signature-256` over the raw body.
pub fn verify(req: &WebhookRequest, app_secret: &str) -> Result<(), WebhookError> {
    if req.method != Method::Post {
        return Err(WebhookError::MethodNotAllowed);
    }
    if app_secret.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let header = req
        .headers
        .get(SIGNATURE_HEADER)
        .ok_or(WebhookError::MissingSignature(SIGNATURE_HEADER))?
        .trim();
    let hex_part = header
        .strip_prefix("sha256=")
        .ok_or(WebhookError::MalformedSignature)?;
    let given = hex::decode(hex_part).map_err(|_| WebhookError::MalformedSignature)?;
    if given.len() != 32 {
        return Err(WebhookError::MalformedSignature);
    }
    let expected = hmac_sha256(app_secret.as_bytes(), &req.body);
    if bool::from(expected.ct_eq(&given)) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// The GET handshake: `hub.mode=subscribe`, `hub.verify_token` equal to ours → the raw
/// `hub.challenge` to answer with (200, text/plain); anything else is refused (403).
pub fn handshake(req: &WebhookRequest, secrets: &WebhookSecrets) -> Result<String, WebhookError> {
    if req.method != Method::Get {
        return Err(WebhookError::MethodNotAllowed);
    }
    let params = req.query_params();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let mode = get("hub.mode").ok_or(WebhookError::MissingParam("hub.mode"))?;
    if mode != "subscribe" {
        return Err(WebhookError::NotAHandshake);
    }
    let ours = secrets
        .verify_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or(WebhookError::NoSecret)?;
    let theirs = get("hub.verify_token").ok_or(WebhookError::MissingParam("hub.verify_token"))?;
    if !ct_eq(ours.as_bytes(), theirs.as_bytes()) {
        return Err(WebhookError::BadVerifyToken);
    }
    get("hub.challenge")
        .map(str::to_string)
        .ok_or(WebhookError::MissingParam("hub.challenge"))
}
