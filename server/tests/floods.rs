//! Floods (hardening items 2 and 9): a visitor's message rate, and open sockets per agent, per
//! visitor and per client address. Clients on the server's own machine are not limited, so
//! these tests come from a documentation address through the trusted proxy header.

mod support;

use futures::StreamExt;
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use uuid::Uuid;

const FAR: &str = "203.0.113.9";
/// Another client address, not this machine's.
const ELSEWHERE: &str = "198.51.100.20";

async fn proxied(url: &str) -> TestServer {
    TestServer::start_configured(url, |c| {
        c.trusted_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    })
    .await
}

async fn send_from(
    server: &TestServer,
    ip: Option<&str>,
    token: &str,
    conv: &str,
) -> reqwest::Response {
    let mut req = http().post(server.url("/api/visitor/send"));
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", ip);
    }
    req.json(&json!({"token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "again"}))
        .send()
        .await
        .unwrap()
}

/// A socket opened through the proxy for `ip`: `Err(status)` when the upgrade is refused.
async fn ws_from(
    server: &TestServer,
    path: &str,
    ip: &str,
    cookie: Option<&str>,
) -> Result<Socket, u16> {
    let mut req = server.ws_url(path).into_client_request().unwrap();
    req.headers_mut()
        .insert("x-forwarded-for", ip.parse().unwrap());
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn a_visitor_writing_faster_than_anyone_types_is_slowed_down_on_http_and_socket() {
    let (_, url) = databases().await.remove(0);
    let server = proxied(&url).await;
    let chat = start_chat(&server, "Ada", "hello").await;
    let (token, conv) = (
        chat["token"].as_str().unwrap().to_string(),
        chat["conversation_id"].as_str().unwrap().to_string(),
    );
    // 20 at once, then two a second: a loop sending as fast as it can is stopped soon after
    // the 20th (how soon depends on how fast each write is).
    let mut accepted = 0;
    let res = loop {
        let res = send_from(&server, Some(FAR), &token, &conv).await;
        if res.status() != 200 {
            break res;
        }
        accepted += 1;
        assert!(accepted < 60, "never limited");
    };
    assert!(accepted >= 20, "limited after {accepted}");
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let body: Value = res.json().await.unwrap();
    assert!(body["RateLimited"].is_object(), "{body}");
    // The same visitor on a socket through the proxy: refused too, and told why.
    let mut ws = ws_from(&server, "/ws/visitor", FAR, None).await.unwrap();
    send_frame(&mut ws, json!({"type": "hello", "token": token})).await;
    assert_eq!(next_frame(&mut ws).await["type"], "welcome");
    // (Several, should the bucket have refilled a little meanwhile.)
    let ids: Vec<Uuid> = (0..6).map(|_| Uuid::new_v4()).collect();
    for id in &ids {
        send_frame(
            &mut ws,
            json!({"type": "send", "conversation_id": conv, "client_msg_id": id, "body": "flood"}),
        )
        .await;
    }
    let failed = next_of(&mut ws, "send_failed").await;
    assert!(
        ids.iter().any(|id| failed["client_msg_id"] == json!(id)),
        "{failed}"
    );
    assert!(failed["error"]["RateLimited"].is_object(), "{failed}");
    // Someone on the server's own machine (a health check, a benchmark) is not limited.
    assert_eq!(send_from(&server, None, &token, &conv).await.status(), 200);
    // Half a second later, one more is allowed.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(
        send_from(&server, Some(FAR), &token, &conv).await.status(),
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn open_sockets_are_capped_per_agent_per_visitor_and_per_address() {
    let (_, url) = databases().await.remove(0);
    let server = proxied(&url).await;

    // One agent: 20 sockets, the 21st refused (from any address but this machine's).
    let a = agent(&server, "agent1@demo.test").await;
    let cookie = a.cookie(&server);
    let mut held = vec![];
    for _ in 0..20 {
        held.push(
            ws_from(&server, "/ws/agent", ELSEWHERE, cookie.as_deref())
                .await
                .expect("room"),
        );
    }
    assert_eq!(
        ws_from(&server, "/ws/agent", ELSEWHERE, cookie.as_deref())
            .await
            .err(),
        Some(429),
        "a 21st agent socket"
    );
    // Tools on the server's own machine are not bounded.
    let local = a.socket(&server).await;
    drop(local);
    // One closes: room for another.
    drop(held.pop());
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if ws_from(&server, "/ws/agent", ELSEWHERE, cookie.as_deref())
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed socket's room never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(held);

    // One visitor: 20 sockets, the 21st closed with 1008 after its hello.
    let chat = start_chat(&server, "Ada", "hello").await;
    let token = chat["token"].as_str().unwrap();
    let mut tabs = vec![];
    for _ in 0..20 {
        let mut ws = ws_from(&server, "/ws/visitor", ELSEWHERE, None)
            .await
            .expect("room");
        send_frame(&mut ws, json!({"type": "hello", "token": token})).await;
        tabs.push(ws);
    }
    let mut extra = ws_from(&server, "/ws/visitor", ELSEWHERE, None)
        .await
        .expect("upgraded");
    send_frame(&mut extra, json!({"type": "hello", "token": token})).await;
    let closed = match tokio::time::timeout(std::time::Duration::from_secs(10), extra.next())
        .await
        .expect("closed")
    {
        Some(Ok(WsMessage::Close(Some(f)))) => u16::from(f.code),
        Some(Ok(WsMessage::Text(t))) => panic!("a 21st visitor socket was served: {t}"),
        other => panic!("{other:?}"),
    };
    assert_eq!(closed, 1008);
    drop(tabs);

    // One far address: 100 sockets, then 429 before anything is read.
    let mut far = vec![];
    for i in 0..100 {
        let other = start_chat(&server, &format!("Far {i}"), "hi").await;
        let mut ws = ws_from(&server, "/ws/visitor", FAR, None)
            .await
            .expect("room");
        send_frame(&mut ws, json!({"type": "hello", "token": other["token"]})).await;
        far.push(ws);
    }
    assert_eq!(
        ws_from(&server, "/ws/visitor", FAR, None).await.err(),
        Some(429)
    );
    assert_eq!(
        ws_from(&server, "/ws/agent", FAR, a.cookie(&server).as_deref())
            .await
            .err(),
        Some(429)
    );
    // Another address is not affected.
    assert!(ws_from(&server, "/ws/visitor", "198.51.100.4", None)
        .await
        .is_ok());
    server.stop().await;
}

async fn start_from(server: &TestServer, ip: &str, email: &str) -> (u16, Value) {
    let res = http()
        .post(server.url("/api/visitor/start"))
        .header("x-forwarded-for", ip)
        .json(
            &json!({"name": "Flo", "email": email, "phone": "", "message": "hi",
            "client_msg_id": Uuid::new_v4(), "start_nonce": start_nonce(server).await}),
        )
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn one_email_and_one_address_hold_only_so_many_open_chats() {
    for (backend, url) in databases().await {
        let secret = "floods-test-secret-of-32-characters-at-least";
        let configure = |c: &mut server::config::Config| {
            c.trusted_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
            c.secret = Some(secret.into());
        };
        let server = TestServer::start_configured(&url, configure).await;
        // Three open chats per email; the fourth is refused, saying why.
        for _ in 0..3 {
            assert_eq!(
                start_from(&server, FAR, "flo@example.com").await.0,
                200,
                "{backend}"
            );
        }
        let (status, body) = start_from(&server, FAR, "flo@example.com").await;
        assert_eq!(status, 422, "{backend}: {body}");
        assert_eq!(body["Invalid"]["code"], "too_many_open_chats", "{backend}");
        // Closing one makes room.
        let a = agent(&server, "agent1@demo.test").await;
        let rows: Vec<Value> = call_ok::<FolderPage>(
            &a.http,
            &server,
            "inbox/list",
            json!({"folder": "queued", "filter": list_filter()}),
        )
        .await
        .rows;
        let flo = rows
            .iter()
            .find(|r| r["summary"]["contact_email"] == "flo@example.com")
            .unwrap();
        let _: Value = call_ok(
            &a.http,
            &server,
            "inbox/close",
            json!({"conversation_id": flo["summary"]["id"]}),
        )
        .await;
        assert_eq!(
            start_from(&server, FAR, "flo@example.com").await.0,
            200,
            "{backend}"
        );
        // Another node (or a restart: the start rate begins afresh there) counts what is open
        // from this address in the database: 3 so far, 7 more make 10, then no more.
        server.stop().await;
        let server = TestServer::start_configured(&url, configure).await;
        for i in 0..7 {
            let (status, body) = start_from(&server, FAR, &format!("flo{i}@example.com")).await;
            assert_eq!(status, 200, "{backend}: {body}");
        }
        let (status, body) = start_from(&server, FAR, "someone.new@example.com").await;
        assert_eq!(status, 422, "{backend}: {body}");
        assert_eq!(body["Invalid"]["code"], "too_many_open_chats", "{backend}");
        assert_eq!(
            start_from(&server, "198.51.100.4", "someone.new@example.com")
                .await
                .0,
            200,
            "{backend}: another address"
        );
        server.stop().await;
    }
}
