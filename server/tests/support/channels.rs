//! Helpers for the channel tests: webhooks posted as the provider would, and the inbox read
//! back as an admin sees it.

use super::*;
use serde_json::{json, Value};
use std::time::Duration;
use switchboard_channels::WebhookRequest;
use uuid::Uuid;

/// The URL providers call (behind a proxy): Twilio signs over it, not our loopback address.
pub const PUBLIC: &str = "https://switchboard.example";

/// Posts a webhook as the provider would, to our loopback address.
pub async fn deliver_webhook(server: &TestServer, req: &WebhookRequest) -> (u16, String) {
    let path = req.url.strip_prefix(PUBLIC).expect("a public URL");
    let method = if req.method == switchboard_channels::Method::Get {
        reqwest::Method::GET
    } else {
        reqwest::Method::POST
    };
    let mut b = http().request(method, server.url(path));
    for (k, v) in req.headers.iter() {
        b = b.header(k, v);
    }
    let res = b
        .body(req.body.clone())
        .send()
        .await
        .expect("webhook request");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

/// The inbox rows on a channel (every folder), as an admin sees them.
pub async fn rows_on(a: &AgentClient, server: &TestServer, channel: &str) -> Vec<Value> {
    let mut rows = vec![];
    for folder in ["queued", "engaged", "history", "leads"] {
        let got: Vec<Value> = call_ok::<FolderPage>(&a.http, server, "inbox/list", json!({"folder": folder, "filter": {"scope": {"kind": "all"}, "unread_only": false, "channel": channel}})).await.rows;
        rows.extend(got);
    }
    rows
}

/// Waits until there are `n` conversations on `channel` and returns their rows.
pub async fn rows_until(
    a: &AgentClient,
    server: &TestServer,
    channel: &str,
    n: usize,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = rows_on(a, server, channel).await;
        assert!(rows.len() <= n, "more than {n} on {channel}: {rows:#?}");
        if rows.len() == n {
            return rows;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} conversations on {channel} never arrived: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for the one conversation on `channel` and returns its id.
pub async fn conversation_on(a: &AgentClient, server: &TestServer, channel: &str) -> String {
    rows_until(a, server, channel, 1).await[0]["summary"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn messages(a: &AgentClient, server: &TestServer, conv: &str) -> Vec<Value> {
    let detail: Value = call_ok(
        &a.http,
        server,
        "inbox/conversation",
        json!({"conversation_id": conv}),
    )
    .await;
    detail["page"]["messages"].as_array().unwrap().clone()
}

/// Waits until the conversation's messages satisfy `pred`.
pub async fn messages_until(
    a: &AgentClient,
    server: &TestServer,
    conv: &str,
    what: &str,
    pred: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let m = messages(a, server, conv).await;
        if pred(&m) {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not reached; messages: {m:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn bodies(m: &[Value]) -> Vec<&str> {
    m.iter().map(|m| m["body"].as_str().unwrap()).collect()
}

pub async fn reply(a: &AgentClient, server: &TestServer, conv: &str, body: &str) -> Value {
    call_ok(&a.http, server, "inbox/send", json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": body, "internal": false})).await
}

pub fn delivery_of<'a>(messages: &'a [Value], id: &Value) -> &'a Value {
    &messages
        .iter()
        .find(|m| &m["id"] == id)
        .expect("the message")["delivery"]
}

/// An agent deletes the contact's comment with this text from its post; returns the comment
/// and the messages once it shows deleted.
pub async fn delete_comment(
    a: &AgentClient,
    server: &TestServer,
    conv: &str,
    text: &str,
) -> (Value, Vec<Value>) {
    let comment = messages(a, server, conv)
        .await
        .into_iter()
        .find(|m| m["body"] == text)
        .unwrap_or_else(|| panic!("no comment {text:?}"));
    let _: Value = call_ok(
        &a.http,
        server,
        "inbox/delete-comment",
        json!({"conversation_id": conv, "message_id": comment["id"]}),
    )
    .await;
    let m = messages_until(a, server, conv, "comment removed", |m| {
        m.iter()
            .any(|x| x["id"] == comment["id"] && x["removed"] == true)
    })
    .await;
    (comment, m)
}
