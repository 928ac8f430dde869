//! `/metrics`: off by default, behind its token on the public listener, or alone on a
//! private address; and what it counts as a chat goes by.

mod support;

use serde_json::json;
use server::config::Metrics;
use support::*;
use uuid::Uuid;

const TOKEN: &str = "metrics-token-for-tests";

async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let mut req = http().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("scrape");
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The value of the series `name{labels}` (labels as Prometheus writes them, in order).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn metrics_count_a_chat_behind_the_token() {
    for (db, url) in databases().await {
        let server = TestServer::start_configured(&url, |c| {
            c.metrics = Metrics {
                token: Some(TOKEN.into()),
                addr: None,
            }
        })
        .await;
        let metrics = server.url("/metrics");
        assert_eq!(scrape(&metrics, None).await.0, 401, "{db}: no token");
        assert_eq!(
            scrape(&metrics, Some("metrics-token-for-test")).await.0,
            401,
            "{db}: a wrong token"
        );

        // A visitor with the widget open writes; their socket gets it back.
        let chat = start_chat(&server, "Ada", "hello").await;
        let (token, conv) = (
            chat["token"].as_str().unwrap().to_string(),
            chat["conversation_id"].as_str().unwrap().to_string(),
        );
        let mut ws = visitor_socket(&server, &token).await;
        subscribe(&mut ws, &conv, 1).await;
        let (_, before) = scrape(&metrics, Some(TOKEN)).await;
        let _: serde_json::Value = call_ok(
            &http(),
            &server,
            "visitor/send",
            json!({"token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "anyone there?"}),
        )
        .await;
        let echoed = next_message(&mut ws).await;
        assert_eq!(echoed["body"], "anyone there?");

        let (status, text) = scrape(&metrics, Some(TOKEN)).await;
        assert_eq!(status, 200, "{db}");
        let stored = r#"switchboard_messages_stored_total{channel="web",sender="visitor"}"#;
        let delivered = r#"switchboard_messages_delivered_total{channel="web",to="visitor"}"#;
        let latency = r#"switchboard_delivery_seconds_count{to="visitor"}"#;
        // Counters are the process's: servers of other tests in this binary add to them.
        for series in [stored, delivered, latency] {
            let (was, is) = (value(&before, series).unwrap_or(0.0), value(&text, series));
            assert!(
                is.is_some_and(|is| is >= was + 1.0),
                "{db}: {series} went from {was} to {is:?}\n{text}"
            );
        }
        // The chat was routed by the reactor, after its start answered.
        let queued = r#"switchboard_routing_decisions_total{outcome="queued"}"#;
        let mut text = text;
        for _ in 0..50 {
            if value(&text, queued).is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            text = scrape(&metrics, Some(TOKEN)).await.1;
        }
        // Gauges are this server's own, even beside other servers in the process.
        let sockets = r#"switchboard_sockets_open{role="visitor"}"#;
        assert_eq!(value(&text, sockets), Some(1.0), "{db}: {sockets}\n{text}");
        for series in [
            queued,
            r#"switchboard_http_request_duration_seconds_count{method="POST",route="/api/visitor/send",status="2xx"}"#,
            r#"switchboard_http_request_duration_seconds_count{method="POST",route="/api/visitor/start",status="2xx"}"#,
        ] {
            assert!(
                value(&text, series).is_some_and(|v| v >= 1.0),
                "{db}: {series}\n{text}"
            );
        }
        for kind in switchboard_engine::metrics::JOB_KINDS {
            let series = format!(r#"switchboard_outbox_depth{{kind="{kind}"}}"#);
            assert!(value(&text, &series).is_some(), "{db}: {series}\n{text}");
        }
        // Labels name routes, never what a path or query carried.
        assert!(!text.contains(&token) && !text.contains(&conv), "{db}");
        server.stop().await;
    }
}

#[tokio::test]
async fn metrics_are_off_unless_configured_and_stay_off_the_public_listener_with_an_address() {
    let (_, url) = databases().await.remove(0);
    let off = TestServer::start(&url).await;
    assert_eq!(scrape(&off.url("/metrics"), Some(TOKEN)).await.0, 404);
    off.stop().await;

    let private = TestServer::start_configured(&url, |c| {
        c.metrics = Metrics {
            token: None,
            addr: Some("127.0.0.1:0".parse().unwrap()),
        }
    })
    .await;
    let addr = private.metrics_addr().expect("a metrics address");
    assert_eq!(scrape(&private.url("/metrics"), None).await.0, 404);
    let (status, text) = scrape(&format!("http://{addr}/metrics"), None).await;
    assert_eq!(status, 200);
    assert!(text.contains("switchboard_sockets_open"), "{text}");
    // Only /metrics there.
    assert_eq!(scrape(&format!("http://{addr}/healthz"), None).await.0, 404);
    private.stop().await;
    // Stopped means stopped: nothing answers on the metrics address.
    assert!(http()
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .is_err());
}
