//! Visitor tokens (hardening item 5): a start retry needs the widget's nonce, nobody sees the
//! other side's client message ids, tokens expire and are renewed in use, an agent can sign a
//! visitor out, and the token travels in the socket's first frame. SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::*;
use uuid::Uuid;

const SECRET: &str = "a-test-secret-of-at-least-32-characters";

fn form(email: &str, client_msg_id: Uuid, nonce: Option<&str>) -> Value {
    let mut body = json!({
        "name": "Ada", "email": email, "phone": "", "message": "my order?",
        "client_msg_id": client_msg_id,
    });
    if let Some(n) = nonce {
        body["start_nonce"] = json!(n);
    }
    body
}

fn visitor_of(token: &str) -> Uuid {
    Uuid::parse_str(token.split('.').nth(1).expect("a token")).unwrap()
}

#[tokio::test]
async fn a_start_retry_returns_the_token_only_to_the_widget_that_began_it() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let nonce = start_nonce(&server).await;
        let id = Uuid::new_v4();
        let email = format!("ada-{}@example.com", Uuid::new_v4().simple());
        let first: Value = call_ok(
            &http(),
            &server,
            "visitor/start",
            form(&email, id, Some(&nonce)),
        )
        .await;
        // The widget's own retry (a lost answer): the same chat, the same visitor.
        let again: Value = call_ok(
            &http(),
            &server,
            "visitor/start",
            form(&email, id, Some(&nonce)),
        )
        .await;
        assert_eq!(
            again["conversation_id"], first["conversation_id"],
            "{backend}"
        );
        assert_eq!(
            visitor_of(again["token"].as_str().unwrap()),
            visitor_of(first["token"].as_str().unwrap()),
            "{backend}"
        );
        // Someone who knows the first message's id and the email (any agent does): refused,
        // without a nonce, with their own, or with a made-up one.
        let theirs = start_nonce(&server).await;
        for (what, nonce) in [
            ("no nonce", None),
            ("their own nonce", Some(theirs.as_str())),
        ] {
            let (status, body) =
                call(&http(), &server, "visitor/start", form(&email, id, nonce)).await;
            assert_eq!(status, 422, "{backend}: {what}: {body}");
            assert_eq!(
                body["Invalid"]["code"], "start_id_taken",
                "{backend}: {what}"
            );
            assert!(body.get("token").is_none());
        }
        let made_up = format!("{}x", &nonce[..nonce.len() - 1]);
        let (status, body) = call(
            &http(),
            &server,
            "visitor/start",
            form(&email, id, Some(&made_up)),
        )
        .await;
        assert_eq!(status, 422, "{backend}: {body}");
        assert_eq!(body["Invalid"]["code"], "start_expired", "{backend}");
        server.stop().await;
    }
}

#[tokio::test]
async fn each_side_sees_only_its_own_client_message_ids() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Ada", "hello").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let token = chat["token"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &a.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let mut agent_ws = a.socket(&server).await;
        subscribe(&mut agent_ws, &conv, 0).await;
        let mut visitor_ws = visitor_socket(&server, &token).await;
        subscribe(&mut visitor_ws, &conv, 0).await;

        let visitor_id = Uuid::new_v4();
        let _: Value = call_ok(&http(), &server, "visitor/send", json!({
            "token": token, "conversation_id": conv, "client_msg_id": visitor_id, "body": "from Ada"
        })).await;
        let agent_id = Uuid::new_v4();
        let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": agent_id, "body": "from the agent", "internal": false
        })).await;
        let body_of = |m: &Value| m["body"].as_str().unwrap_or_default().to_string();
        let mut seen_by_agent = vec![];
        let mut seen_by_visitor = vec![];
        while seen_by_agent.len() < 2 {
            let m = next_message(&mut agent_ws).await;
            seen_by_agent.push((body_of(&m), m["client_msg_id"].clone()));
        }
        while seen_by_visitor.len() < 2 {
            let m = next_message(&mut visitor_ws).await;
            seen_by_visitor.push((body_of(&m), m["client_msg_id"].clone()));
        }
        assert_eq!(
            seen_by_agent,
            [
                ("from Ada".into(), Value::Null),
                ("from the agent".into(), json!(agent_id))
            ],
            "{backend}: live, agents"
        );
        assert_eq!(
            seen_by_visitor,
            [
                ("from Ada".into(), json!(visitor_id)),
                ("from the agent".into(), Value::Null)
            ],
            "{backend}: live, the visitor"
        );
        // History and replay too.
        let page: Value = call_ok(
            &a.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": conv}),
        )
        .await;
        for m in page["page"]["messages"].as_array().unwrap() {
            if m["sender"]["kind"] == "visitor" {
                assert!(
                    m["client_msg_id"].is_null(),
                    "{backend}: agents' history: {m}"
                );
            }
        }
        let resumed: Value =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        for m in resumed["messages"].as_array().unwrap() {
            if m["sender"]["kind"] != "visitor" {
                assert!(
                    m["client_msg_id"].is_null(),
                    "{backend}: the visitor's history: {m}"
                );
            }
        }
        let mut replay = visitor_socket(&server, &token).await;
        for m in subscribe(&mut replay, &conv, 0).await {
            if m["message"]["sender"]["kind"] == "agent" {
                assert!(
                    m["message"]["client_msg_id"].is_null(),
                    "{backend}: replay: {m}"
                );
            }
        }
        server.stop().await;
    }
}

#[tokio::test]
async fn tokens_expire_after_30_days_and_are_renewed_while_in_use() {
    use app::widget::token;
    for (backend, url) in databases().await {
        let server = TestServer::start_configured(&url, |c| c.secret = Some(SECRET.into())).await;
        let chat = start_chat(&server, "Ada", "hello").await;
        let visitor = visitor_of(chat["token"].as_str().unwrap());
        let now = switchboard_engine::now();
        let day = 24 * 3600 * 1000;

        // 31 days old: expired; resume offers a new chat, the socket closes, sending is refused.
        let old = token::issue(SECRET.as_bytes(), visitor, now - 31 * day);
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": old})).await;
        assert_eq!(resumed, None, "{backend}: an expired token resumed");
        let (status, _) = call(&http(), &server, "visitor/send", json!({
            "token": old, "conversation_id": chat["conversation_id"], "client_msg_id": Uuid::new_v4(), "body": "x"
        })).await;
        assert_eq!(status, 401, "{backend}");
        let mut ws = connect_ws(&server.ws_url("/ws/visitor"), None)
            .await
            .unwrap();
        send_frame(&mut ws, json!({"type": "hello", "token": old})).await;
        assert_closed_with(&mut ws, 4401).await;

        // 10 days old: works, and resuming hands out a fresh one.
        let aging = token::issue(SECRET.as_bytes(), visitor, now - 10 * day);
        let resumed: Value =
            call_ok(&http(), &server, "visitor/resume", json!({"token": aging})).await;
        assert_eq!(
            resumed["conversation_id"], chat["conversation_id"],
            "{backend}"
        );
        let renewed = resumed["token"].as_str().unwrap();
        let t = token::verify(SECRET.as_bytes(), renewed, now + 1000).expect("genuine");
        assert_eq!(t.visitor_id, visitor);
        assert!(
            t.issued_at >= now,
            "{backend}: not renewed: issued {}",
            t.issued_at
        );
        server.stop().await;
    }
}

async fn assert_closed_with(ws: &mut Socket, code: u16) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the socket closes");
        match frame {
            Some(Ok(Message::Close(Some(f)))) => {
                assert_eq!(u16::from(f.code), code, "{}", f.reason);
                return;
            }
            Some(Ok(Message::Close(None))) | None => panic!("closed without code {code}"),
            Some(Ok(_)) => continue,
            Some(Err(e)) => panic!("socket error instead of close {code}: {e}"),
        }
    }
}

#[tokio::test]
async fn an_agent_signs_a_visitor_out_and_every_widget_of_theirs_closes() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Ada", "hello").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let token = chat["token"].as_str().unwrap().to_string();
        // Two devices: the token resumed elsewhere.
        let other: Value =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        let other = other["token"].as_str().unwrap().to_string();
        let mut phone = visitor_socket(&server, &token).await;
        subscribe(&mut phone, &conv, 0).await;
        let mut laptop = visitor_socket(&server, &other).await;

        let _: Value = call_ok(
            &a.http,
            &server,
            "inbox/sign-out-visitor",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_closed_with(&mut phone, 4401).await;
        assert_closed_with(&mut laptop, 4401).await;
        for t in [&token, &other] {
            let resumed: Option<Value> =
                call_ok(&http(), &server, "visitor/resume", json!({"token": t})).await;
            assert_eq!(resumed, None, "{backend}: a revoked token resumed");
            let (status, _) = call(&http(), &server, "visitor/send", json!({
                "token": t, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "x"
            })).await;
            assert_eq!(status, 401, "{backend}");
        }
        // Agents see why; the visitor never does.
        let page: Value = call_ok(
            &a.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": conv}),
        )
        .await;
        let last = page["page"]["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["visibility"], "internal", "{backend}: {last}");
        assert!(last["body"]
            .as_str()
            .unwrap()
            .contains("signed the visitor out"));
        // The same person starts again as a new visitor.
        let again = start_chat(&server, "Ada", "me again").await;
        let mut fresh = visitor_socket(&server, again["token"].as_str().unwrap()).await;
        subscribe(&mut fresh, again["conversation_id"].as_str().unwrap(), 0).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn a_visitor_socket_without_a_good_first_frame_is_closed() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    for first in [
        json!({"type": "subscribe", "conversation_id": Uuid::new_v4(), "after_seq": 0}),
        json!({"type": "hello", "token": "v2.0.0.AAAA"}),
    ] {
        let mut ws = connect_ws(&server.ws_url("/ws/visitor"), None)
            .await
            .unwrap();
        send_frame(&mut ws, first).await;
        assert_closed_with(&mut ws, 4401).await;
    }
    server.stop().await;
}
