//! Plain HTTP values: what a webhook handler hands us and what an adapter hands back to the
//! outbox. Keeping them as data (no client, no server types) is what lets every adapter be
//! tested byte-for-byte without a network and reused by fakes and the demo simulator.

use std::fmt;

/// The HTTP methods adapters read or produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Delete,
    /// Anything else a server may receive; adapters refuse it rather than guess.
    Other,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Other => "OTHER",
        }
    }

    /// Case-insensitive, because servers disagree on how they spell methods in logs and tests.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

/// Header list with case-insensitive lookup. Order and duplicates are kept because that is
/// what arrived on the wire; lookups return the first match.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// Appends a header (no replacement: HTTP allows repeats).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// First value whose name matches ignoring ASCII case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Redacts credentials so a request can be logged safely.
impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (k, v) in &self.0 {
            if k.eq_ignore_ascii_case("authorization") || k.to_ascii_lowercase().contains("secret")
            {
                list.entry(&(k, "<redacted>"));
            } else {
                list.entry(&(k, v));
            }
        }
        list.finish()
    }
}

/// A webhook exactly as it reached us. `url` is the full public URL the provider called,
/// query string included, because Twilio signs over it; behind a TLS-terminating proxy the
/// caller must rebuild it from `SWITCHBOARD_PUBLIC_URL`, not the internal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    pub method: Method,
    pub url: String,
    /// The raw query string (without `?`), used by the Meta GET handshake and Twilio GET hooks.
    pub query: String,
    pub headers: Headers,
    /// Raw body bytes, captured before any parsing: Meta signs these exact bytes.
    pub body: Vec<u8>,
}

impl WebhookRequest {
    /// Builds a request; the query string is taken from `url` (anything after `?`, before `#`).
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        let url = url.into();
        let query = query_of(&url).to_string();
        Self {
            method,
            url,
            query,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    pub fn post(url: impl Into<String>, headers: Headers, body: impl Into<Vec<u8>>) -> Self {
        let mut r = Self::new(Method::Post, url);
        r.headers = headers;
        r.body = body.into();
        r
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Decoded query parameters, in order.
    pub fn query_params(&self) -> Vec<(String, String)> {
        decode_form(self.query.as_bytes())
    }
}

/// The part of a URL after `?` and before `#` (empty when absent).
pub(crate) fn query_of(url: &str) -> &str {
    let no_fragment = url.split('#').next().unwrap_or("");
    match no_fragment.split_once('?') {
        Some((_, q)) => q,
        None => "",
    }
}

/// Decodes `application/x-www-form-urlencoded` bytes (`+` as space, percent escapes, lossy
/// UTF-8) the way providers' own SDKs do.
pub(crate) fn decode_form(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Encodes pairs as a form body, repeating names as given.
pub(crate) fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish()
}

/// Characters escaped inside one path segment. `:` stays literal so Telegram's
/// `bot<id>:<secret>` segment reads exactly like the Bot API documents it.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\');

/// Percent-encodes an id used as a path segment, so a hostile id can't change the path.
pub(crate) fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// Joins a configurable base URL (e.g. `https://graph.facebook.com/v25.0`) with a path that
/// starts with `/`, tolerating a trailing slash on the base.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// An outbound call, fully built: the outbox sends it as is and records the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Full URL, credentials in the query included where the provider wants them there.
    pub url: String,
    /// All headers, `Authorization` and `Content-Type` included.
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The `Content-Type` header, if the request has a body.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get("content-type")
    }

    /// The body as text (bodies we build are always UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A provider's answer to one of our calls, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn new(status: u16, headers: Headers, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers,
            body: body.into(),
        }
    }
}

pub const CONTENT_FORM: &str = "application/x-www-form-urlencoded";
pub const CONTENT_JSON: &str = "application/json";
