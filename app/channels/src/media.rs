//! Fetching a contact's file from the provider, for the inbox to show it. Each adapter says
//! how: the request for it (with the account's credentials where the provider wants them),
//! and, where the provider first answers only with where the file is (WhatsApp's media URL,
//! Telegram's file path), the request that follows from that answer. No I/O here.

use crate::http::{join, segment, Headers, HttpRequest, Method};
use crate::inbound::MediaSource;
use crate::json::str_at;
use crate::outbound::{Account, ApiAuth};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use serde_json::Value;

/// Files larger than this are not passed through (the provider's own app still has them).
pub const MAX_MEDIA_BYTES: u64 = 32 * 1024 * 1024;

/// What the first answer was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Follow {
    /// The answer is the file.
    File,
    /// The answer says where the file is: fetch this next.
    Then(HttpRequest),
    /// The answer says neither; why, in plain words.
    Fail(String),
}

fn get(url: String, headers: Headers) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url,
        headers,
        body: vec![],
    }
}

/// A URL from a verified webhook, fetched as is (Meta's CDN links carry their own signature).
/// Only http(s): anything else is not a file we fetch.
pub(crate) fn plain(source: &MediaSource) -> Option<HttpRequest> {
    match source {
        MediaSource::Url { url } if is_http(url) => Some(get(url.clone(), Headers::new())),
        _ => None,
    }
}

fn is_http(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// Twilio media resources need the account's Basic auth; the credentials go only to the
/// account's own API host, never to another URL a message might name.
pub(crate) fn twilio(source: &MediaSource, account: &Account) -> Option<HttpRequest> {
    let MediaSource::Url { url } = source else {
        return None;
    };
    if !is_http(url) {
        return None;
    }
    let base = account.api_base.trim_end_matches('/');
    let own_host = url.starts_with(&format!("{base}/"));
    let mut headers = Headers::new();
    if let (true, ApiAuth::Basic { username, password }) = (own_host, &account.auth) {
        headers.insert(
            "Authorization",
            format!(
                "Basic {}",
                STANDARD.encode(format!("{username}:{password}"))
            ),
        );
    }
    Some(get(url.clone(), headers))
}

fn bearer(account: &Account) -> Headers {
    let mut headers = Headers::new();
    if let ApiAuth::Bearer { token } | ApiAuth::AccessTokenQuery { token } = &account.auth {
        headers.insert("Authorization", format!("Bearer {token}"));
    }
    headers
}

/// WhatsApp Cloud: `GET /{media-id}` answers `{"url": …}`; the file is at that URL, with the
/// same token.
pub(crate) fn whatsapp(source: &MediaSource, account: &Account) -> Option<HttpRequest> {
    match source {
        MediaSource::MediaId { id } => Some(get(
            join(&account.api_base, &format!("/{}", segment(id))),
            bearer(account),
        )),
        // Twilio's WhatsApp numbers send URLs; handled by the Twilio adapter.
        _ => None,
    }
}

pub(crate) fn whatsapp_follow(first: &[u8], account: &Account) -> Follow {
    let json: Value = serde_json::from_slice(first).unwrap_or(Value::Null);
    match str_at(&json, &["url"]) {
        Some(url) if is_http(&url) => Follow::Then(get(url, bearer(account))),
        _ => Follow::Fail("WhatsApp did not say where the file is.".into()),
    }
}

fn bot_token(account: &Account) -> Option<&str> {
    match &account.auth {
        ApiAuth::BotToken { token } => Some(token),
        _ => None,
    }
}

/// Telegram: `getFile` answers the file's path; the file is at `/file/bot{token}/{path}`.
pub(crate) fn telegram(source: &MediaSource, account: &Account) -> Option<HttpRequest> {
    let MediaSource::TelegramFile { file_id, .. } = source else {
        return None;
    };
    let token = bot_token(account)?;
    let query = crate::http::encode_form([("file_id", file_id.as_str())]);
    Some(get(
        join(
            &account.api_base,
            &format!("/bot{}/getFile?{query}", segment(token)),
        ),
        Headers::new(),
    ))
}

pub(crate) fn telegram_follow(first: &[u8], account: &Account) -> Follow {
    let json: Value = serde_json::from_slice(first).unwrap_or(Value::Null);
    let (Some(path), Some(token)) = (str_at(&json, &["result", "file_path"]), bot_token(account))
    else {
        return Follow::Fail(
            "Telegram did not say where the file is (it may be over 20 MB).".into(),
        );
    };
    if path.contains("..") || path.starts_with('/') {
        return Follow::Fail("Telegram named an odd file path.".into());
    }
    let path: Vec<String> = path.split('/').map(segment).collect();
    Follow::Then(get(
        join(
            &account.api_base,
            &format!("/file/bot{}/{}", segment(token), path.join("/")),
        ),
        Headers::new(),
    ))
}
