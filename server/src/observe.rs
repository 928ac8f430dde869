//! What the server tells its operators: one log line per request, and `/metrics` in the
//! Prometheus text format.
//!
//! `/metrics` is off unless configured: with `SWITCHBOARD_METRICS_TOKEN` it answers on the
//! public listener to `Authorization: Bearer <token>`; with `SWITCHBOARD_METRICS_ADDR` it
//! answers only on that address (a private interface), and there too asks for the token
//! when one is set. Without either, no recorder is installed and the engine's counters cost
//! nothing.

use crate::config::Metrics;
use app::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use subtle::ConstantTimeEq;
use switchboard_engine::metrics as m;

pub const HTTP_REQUEST_SECONDS: &str = "switchboard_http_request_duration_seconds";
pub const PATH: &str = "/metrics";

/// The process's recorder (one per process: servers started in one test process share it).
fn recorder() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), m::LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::error!(error = %e, "cannot install the metrics recorder");
                    None
                }
            }
        })
        .clone()
}

/// What `/metrics` needs: the recorder's handle and the token it asks for.
#[derive(Clone)]
pub struct Exporter {
    handle: PrometheusHandle,
    token: Option<Arc<str>>,
}

impl Exporter {
    /// Installs the recorder when metrics are configured.
    pub fn new(config: &Metrics) -> Option<Exporter> {
        if !config.enabled() {
            return None;
        }
        Some(Exporter {
            handle: recorder()?,
            token: config.token.as_deref().map(Arc::from),
        })
    }

    fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        given.as_bytes().ct_eq(token.as_bytes()).into()
    }
}

/// `GET /metrics`.
pub async fn scrape(
    State((exporter, state)): State<(Exporter, AppState)>,
    headers: HeaderMap,
) -> Response {
    if !exporter.allows(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a metrics token is needed\n",
        )
            .into_response();
    }
    let mut text = exporter.handle.render();
    match state.engine.gauges().await {
        Ok(gauges) => {
            if !text.is_empty() && !text.ends_with("\n\n") {
                text.push('\n');
            }
            text.push_str(&gauges.render());
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the gauges"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

/// The route a request took, as a label: the router's pattern (never the path itself, which
/// may carry ids or a token), else what kind of fallback answered it.
fn route_of(req: &Request) -> String {
    if let Some(p) = req.extensions().get::<MatchedPath>() {
        return p.as_str().to_string();
    }
    let path = req.uri().path();
    let kind = if path.starts_with("/pkg/") || path.starts_with("/assets/") {
        "static"
    } else if path.starts_with("/webhooks/") {
        "webhooks"
    } else {
        "unmatched"
    };
    kind.to_string()
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Every request: one log line (method, route, status, time; never the query string or a
/// body) and, when metrics are on, its duration by route.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let route = route_of(&req);
    let response = next.run(req).await;
    let elapsed = started.elapsed();
    let status = response.status();
    tracing::info!(
        target: "switchboard::http",
        method = %method,
        route = %route,
        status = status.as_u16(),
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    metrics::histogram!(
        HTTP_REQUEST_SECONDS,
        "method" => method.to_string(),
        "route" => route,
        "status" => status_class(status),
    )
    .record(elapsed.as_secs_f64());
    response
}

/// Log lines gathered in a buffer and written to standard error in batches: when 64 KiB have
/// gathered, and every 200 ms. At `info` a message makes two lines (its request and its
/// event); writing each to standard error as it was logged cost 6% more CPU per message, and
/// handing each to a writer thread 35% (a wake-up per line). A line may reach the terminal up
/// to 200 ms late, and a crash loses at most that much.
#[derive(Clone)]
pub struct BatchedStderr(Arc<std::sync::Mutex<std::io::BufWriter<std::io::Stderr>>>);

const LOG_BUFFER: usize = 64 * 1024;
const LOG_FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl BatchedStderr {
    /// The buffer, and a thread that flushes it periodically (for the process's life).
    pub fn start() -> BatchedStderr {
        let writer = BatchedStderr(Arc::new(std::sync::Mutex::new(
            std::io::BufWriter::with_capacity(LOG_BUFFER, std::io::stderr()),
        )));
        let flusher = writer.clone();
        let _ = std::thread::Builder::new()
            .name("log-flush".into())
            .spawn(move || loop {
                std::thread::sleep(LOG_FLUSH_EVERY);
                flusher.flush();
            });
        writer
    }

    /// Writes out what is buffered.
    pub fn flush(&self) {
        let mut buffer = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = std::io::Write::flush(&mut *buffer);
    }
}

impl std::io::Write for BatchedStderr {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).write(line)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // The periodic flush writes; a formatter's flush after each line must not.
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BatchedStderr {
    type Writer = BatchedStderr;
    fn make_writer(&'a self) -> BatchedStderr {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_counted_by_class() {
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::NOT_FOUND), "4xx");
        assert_eq!(status_class(StatusCode::BAD_GATEWAY), "5xx");
    }

    #[test]
    fn a_route_never_carries_the_path_itself() {
        let req = |path: &str| {
            Request::builder()
                .uri(path)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        assert_eq!(route_of(&req("/pkg/switchboard.wasm")), "static");
        assert_eq!(route_of(&req("/webhooks/telegram/abc")), "webhooks");
        assert_eq!(route_of(&req("/ws/visitor?token=secret")), "unmatched");
    }

    #[test]
    fn the_token_is_asked_for_when_set() {
        let exporter = |token: Option<&str>| Exporter {
            handle: PrometheusBuilder::new().build_recorder().handle(),
            token: token.map(Arc::from),
        };
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, v.parse().unwrap());
            h
        };
        let locked = exporter(Some("s3cret-s3cret-s3cret"));
        assert!(locked.allows(&with("Bearer s3cret-s3cret-s3cret")));
        assert!(!locked.allows(&with("Bearer s3cret")));
        assert!(!locked.allows(&HeaderMap::new()));
        assert!(exporter(None).allows(&HeaderMap::new()));
    }
}
