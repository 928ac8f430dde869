//! Cross-site request refusal for the agents' surface. A browser sends the page's `Origin` with
//! every POST and every websocket upgrade (and `Sec-Fetch-Site` with every request), so a
//! request a foreign page made the agent's browser send is recognised and refused before the
//! session cookie is trusted: state-changing requests (anything but GET and HEAD) and the
//! agent socket's upgrade must come from our own origin, which is the `Host` the request was
//! sent to or the configured public URL. Clients that are not browsers send no `Origin` and
//! are not a cross-site risk. The widget's endpoints and socket take any origin by design and
//! never pass through here.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Our origins: the configured public URL's.
#[derive(Clone)]
pub struct Origins {
    public: Arc<str>,
}

impl Origins {
    pub fn new(public_url: &str) -> Self {
        Self {
            public: Arc::from(origin_of(public_url)),
        }
    }

    /// Whether the request may act with the agent's session.
    fn allows(&self, method: &Method, path: &str, headers: &HeaderMap) -> bool {
        let upgrade = path == "/ws/agent";
        if !upgrade && matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            Some(origin) => {
                let origin = origin.trim_end_matches('/').to_ascii_lowercase();
                origin == *self.public
                    || own_origin(headers, &origin).is_some_and(|own| own == origin)
            }
            // No Origin: not a browser's cross-site request, unless the browser says so.
            None => !matches!(
                headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
                Some("cross-site" | "same-site")
            ),
        }
    }
}

/// `scheme://host[:port]` of a URL, lowercased.
fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// The origin the request was addressed to, in the scheme `origin` names (TLS may end at a
/// proxy).
fn own_origin(headers: &HeaderMap, origin: &str) -> Option<String> {
    let host = headers
        .get(header::HOST)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let scheme = origin.split_once("://")?.0;
    matches!(scheme, "http" | "https").then(|| format!("{scheme}://{host}"))
}

pub async fn same_origin(State(origins): State<Origins>, req: Request, next: Next) -> Response {
    if origins.allows(req.method(), req.uri().path(), req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
    (
        StatusCode::FORBIDDEN,
        axum::Json(switchboard_wire::ApiError::Forbidden),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_our_own_pages_act_with_the_session() {
        let o = Origins::new("https://chat.example.com/");
        let post =
            |h: &[(&'static str, &str)]| o.allows(&Method::POST, "/api/inbox/close", &headers(h));
        assert!(post(&[
            ("host", "10.0.0.5:3000"),
            ("origin", "https://chat.example.com")
        ]));
        assert!(post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ]));
        assert!(
            post(&[("host", "127.0.0.1:3000")]),
            "no Origin: not a browser"
        );
        assert!(post(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(!post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://evil.example")
        ]));
        assert!(!post(&[("host", "127.0.0.1:3000"), ("origin", "null")]));
        assert!(!post(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3001")
        ]));
        assert!(!post(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "cross-site")
        ]));
        // Reading is not acting; the agent socket's upgrade is.
        let get = |path, h: &[(&'static str, &str)]| o.allows(&Method::GET, path, &headers(h));
        assert!(get("/inbox", &[("origin", "https://evil.example")]));
        assert!(!get(
            "/ws/agent",
            &[("host", "a:1"), ("origin", "https://evil.example")]
        ));
        assert!(get(
            "/ws/agent",
            &[("host", "a:1"), ("origin", "http://a:1")]
        ));
    }
}
