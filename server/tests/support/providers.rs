//! A fake provider API (Twilio, Graph, Telegram) on a loopback port: records every call the
//! server makes and answers from a script (then from the default, a success in the
//! provider's own wire format). Dropping it stops it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// One call the server made.
#[derive(Debug, Clone)]
pub struct Got {
    pub method: String,
    /// Path and query.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Decoded `application/x-www-form-urlencoded` body (Twilio).
    pub fn form(&self) -> Vec<(String, String)> {
        url_decode_pairs(&self.body)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn url_decode_pairs(s: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(s.as_bytes()).into_owned().collect()
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Answer nothing for this long (the server's timeout fires first).
    Hang(Duration),
}

impl Answer {
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Answer::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    /// A file as a provider's file server gives it: its own type, no JSON.
    pub fn file(content_type: &str, body: impl Into<String>) -> Self {
        Answer::Reply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Self {
        match self {
            Answer::Reply {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Answer::Reply {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
}

type Fallback = Arc<dyn Fn(&Got) -> Answer + Send + Sync>;

#[derive(Clone)]
struct Shared {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    default: Fallback,
}

pub struct FakeProvider {
    pub url: String,
    shared: Shared,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeProvider {
    /// Starts a fake whose unscripted answers come from `default`.
    pub async fn start(default: impl Fn(&Got) -> Answer + Send + Sync + 'static) -> Self {
        let shared = Shared {
            got: Default::default(),
            script: Default::default(),
            default: Arc::new(default),
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake provider");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
        });
        FakeProvider {
            url,
            shared,
            stop,
            task: Some(task),
        }
    }

    /// The next calls get these answers, in order.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.script.lock().unwrap().extend(answers);
    }

    pub fn calls(&self) -> Vec<Got> {
        self.shared.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` calls arrived (at most `secs`), and returns them all.
    pub async fn wait_calls(&self, n: usize, secs: u64) -> Vec<Got> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let calls = self.calls();
            if calls.len() >= n {
                return calls;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the fake provider got {} calls in {secs}s, expected {n}: {calls:#?}",
                calls.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

async fn answer(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let got = Got {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    shared.got.lock().unwrap().push(got.clone());
    let scripted = shared.script.lock().unwrap().pop_front();
    match scripted.unwrap_or_else(|| (shared.default)(&got)) {
        Answer::Reply {
            status,
            headers,
            body,
        } => {
            let mut res = (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (k, v) in headers {
                res.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            res
        }
        Answer::Hang(d) => {
            tokio::time::sleep(d).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}
