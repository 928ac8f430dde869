//! `X-Twilio-Signature` (channels.md §1.2): HMAC-SHA1 keyed with the Auth Token over the full
//! URL followed by the POST parameters sorted by name (name then decoded value, no
//! separators), Base64 with padding. Mirrors twilio-python's `RequestValidator`, including its
//! port quirk (the URL is accepted with or without the default port) and the JSON variant
//! (`bodySHA256` in the URL, no params).

use crate::crypto::{ct_eq, hmac_sha1, sha256_hex};
use crate::http::{decode_form, query_of, Method, WebhookRequest};
use crate::webhook::WebhookError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";
pub const IDEMPOTENCY_HEADER: &str = "I-Twilio-Idempotency-Token";

/// The exact string Twilio signs: URL, then each `name value` pair sorted by name (and by value
/// for repeated names), byte order.
pub fn signature_string(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    let mut s = String::from(url);
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    s
}

/// Signs like Twilio does, for fakes and the simulator. `params` are decoded values.
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    STANDARD.encode(hmac_sha1(
        auth_token.as_bytes(),
        signature_string(url, params).as_bytes(),
    ))
}

/// For JSON-bodied webhooks: the URL with `bodySHA256=<hex sha256 of body>` appended, which is
/// then signed with no params.
pub fn url_with_body_hash(url: &str, body: &[u8]) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}bodySHA256={}", sha256_hex(body))
}

/// The URL and, if the other form differs, the same URL with the default port added or removed.
pub(crate) fn port_variants(url: &str) -> Vec<String> {
    let mut out = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return out;
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => return out,
    };
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    // A port is a `:digits` suffix after any IPv6 `]`.
    let port_sep = hostport
        .rfind(':')
        .filter(|i| hostport.rfind(']').is_none_or(|b| *i > b));
    let other = match port_sep {
        Some(i) => {
            let (host, port) = hostport.split_at(i);
            if port.get(1..) == Some(default_port) {
                Some(format!("{scheme}://{userinfo}{host}{tail}"))
            } else {
                None
            }
        }
        None => Some(format!(
            "{scheme}://{userinfo}{hostport}:{default_port}{tail}"
        )),
    };
    if let Some(o) = other {
        out.push(o);
    }
    out
}

fn is_json(req: &WebhookRequest) -> bool {
    req.headers
        .get("content-type")
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/json"))
}

/// Verifies a Twilio webhook (inbound message or status callback). Extra, unknown params are
/// part of the signed string, so they validate as long as they were signed.
pub fn verify(req: &WebhookRequest, auth_token: &str) -> Result<(), WebhookError> {
    if auth_token.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let header = req
        .headers
        .get(SIGNATURE_HEADER)
        .ok_or(WebhookError::MissingSignature(SIGNATURE_HEADER))?
        .trim();
    match STANDARD.decode(header) {
        Ok(raw) if raw.len() == 20 => {}
        _ => return Err(WebhookError::MalformedSignature),
    }
    // The fragment (connection overrides) is never sent and never signed.
    let url = req.url.split('#').next().unwrap_or("");
    let params = match req.method {
        Method::Post
            if is_json(req)
                || query_of(url)
                    .split('&')
                    .any(|p| p.starts_with("bodySHA256=")) =>
        {
            let claimed = decode_form(query_of(url).as_bytes())
                .into_iter()
                .find(|(k, _)| k == "bodySHA256")
                .map(|(_, v)| v.to_ascii_lowercase())
                .unwrap_or_default();
            if !ct_eq(claimed.as_bytes(), sha256_hex(&req.body).as_bytes()) {
                return Err(WebhookError::BodyHashMismatch);
            }
            Vec::new()
        }
        Method::Post => decode_form(&req.body),
        Method::Get => Vec::new(),
        Method::Delete | Method::Other => return Err(WebhookError::MethodNotAllowed),
    };
    for candidate in port_variants(url) {
        let expected = sign(auth_token, &candidate, &params);
        if ct_eq(expected.as_bytes(), header.as_bytes()) {
            return Ok(());
        }
    }
    Err(WebhookError::BadSignature)
}
