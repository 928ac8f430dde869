//! Hardening: what an attacker (or a broken client) sends gets a clear refusal, never a fault
//! of ours. On SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use support::*;

/// Raw bodies a broken client might send.
fn bodies() -> Vec<(&'static str, String)> {
    vec![
        ("empty object", "{}".into()),
        ("not json", "this is not json".into()),
        (
            "wrong types",
            json!({"conversation_id": 5, "query": [], "token": {}, "auto": "yes", "id": true})
                .to_string(),
        ),
        ("an array", "[1,2,3]".into()),
        (
            "bad uuid",
            json!({"conversation_id": "not-a-uuid", "contact_id": "x", "id": "x"}).to_string(),
        ),
        (
            "huge number",
            json!({"before_seq": 1e300, "after_seq": -1}).to_string(),
        ),
    ]
}

#[tokio::test]
async fn malformed_server_function_input_is_a_bad_request_never_a_fault() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let admin = agent(&server, "admin@demo.test").await;
        let mut faults = vec![];
        for endpoint in SERVER_FUNCTIONS {
            for (what, body) in bodies() {
                for (who, client) in [("anonymous", &http()), ("admin", &admin.http)] {
                    let (code, text) = post_raw(client, &server, endpoint, &body).await;
                    if code >= 500 {
                        faults.push(format!("{endpoint} ({what}, {who}): {code} {text}"));
                    }
                    if code == 400 {
                        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        assert!(v["BadRequest"].is_string(), "{endpoint} ({what}): {text}");
                    }
                }
            }
        }
        assert!(faults.is_empty(), "{backend}: {}", faults.join("\n"));
        server.stop().await;
    }
}

#[tokio::test]
async fn another_sites_page_cannot_act_with_an_agents_session() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    let admin = agent(&server, "admin@demo.test").await;
    let own = format!("http://{}", server.addr);
    let presence = |origin: Option<&'static str>,
                    fetch_site: Option<&'static str>,
                    content_type: &'static str| {
        let mut req = admin
            .http
            .post(server.url("/api/inbox/presence"))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(json!({"presence": "away", "auto": false}).to_string());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(s) = fetch_site {
            req = req.header("sec-fetch-site", s);
        }
        req
    };
    // A foreign page's POST (JSON, or text/plain to dodge a preflight) is refused.
    for (origin, site, ct) in [
        (
            Some("https://evil.example"),
            Some("cross-site"),
            "application/json",
        ),
        (
            Some("https://evil.example"),
            Some("cross-site"),
            "text/plain",
        ),
        (Some("null"), None, "application/json"),
        (None, Some("cross-site"), "application/json"),
    ] {
        let res = presence(origin, site, ct).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{origin:?} {site:?} {ct}");
    }
    let presence_now = || async {
        let id = me(&admin, &server).await["id"].clone();
        agents(&admin, &server)
            .await
            .into_iter()
            .find(|a| a["id"] == id)
            .unwrap()["presence"]
            .clone()
    };
    assert_eq!(presence_now().await, "online", "nothing changed");
    // Our own page's is served.
    let own_origin: &'static str = Box::leak(own.clone().into_boxed_str());
    let res = presence(Some(own_origin), Some("same-origin"), "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(presence_now().await, "away");
    // Signing in from a foreign page is refused too (login CSRF).
    let res = http()
        .post(server.url("/api/auth/login"))
        .header("origin", "https://evil.example")
        .form(&[("email", "admin@demo.test"), ("password", "switchboard")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // The agent socket: only from our origin.
    let cookie = admin.cookie(&server);
    let upgrade = |origin: &str| {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = server.ws_url("/ws/agent").into_client_request().unwrap();
        req.headers_mut()
            .insert("cookie", cookie.as_deref().unwrap().parse().unwrap());
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req
    };
    match tokio_tungstenite::connect_async(upgrade("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            assert_eq!(res.status().as_u16(), 403)
        }
        other => panic!(
            "a foreign page opened the agent socket: {:?}",
            other.map(|_| ())
        ),
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(upgrade(&own))
        .await
        .expect("own origin");
    assert_eq!(next_frame(&mut ws).await["role"], "agent");

    // The widget takes any origin, by design.
    let res = http()
        .post(server.url("/api/visitor/start"))
        .header("origin", "https://customer-site.example")
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"name": "Vi", "email": "vi@example.com", "phone": "", "message": "hi", "client_msg_id": uuid::Uuid::new_v4()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    server.stop().await;
}

/// Waits (10 s at most) for the socket to be closed with `code`, skipping other frames.
async fn closed_with(ws: &mut Socket, code: u16) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => {
                assert_eq!(u16::from(frame.code), code, "{frame:?}");
                return;
            }
            Ok(Some(Ok(Message::Close(None)))) | Ok(None) => panic!("closed without a code"),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("socket error: {e}"),
            Err(_) => panic!("still open after 10 s"),
        }
    }
}

/// The socket answers a ping: still open.
async fn still_open(ws: &mut Socket) {
    send_frame(ws, json!({"type": "ping"})).await;
    assert_eq!(next_of(ws, "pong").await["type"], "pong");
}

#[tokio::test]
async fn an_agents_sockets_close_when_they_sign_out_or_are_deactivated_on_every_node() {
    for (backend, url) in databases().await {
        let a = TestServer::start(&url).await;
        // On PostgreSQL the second browser uses another node: the closing crosses the bus.
        let b = if backend == "postgres" {
            Some(TestServer::start(&url).await)
        } else {
            None
        };
        let admin = agent(&a, "admin@demo.test").await;
        let laptop = agent(&a, "agent1@demo.test").await;
        let mut on_laptop = laptop.socket(&a).await;
        let phone = match &b {
            Some(b) => agent(b, "agent1@demo.test").await,
            None => agent(&a, "agent1@demo.test").await,
        };
        let mut on_phone = match &b {
            Some(b) => phone.socket(b).await,
            None => phone.socket(&a).await,
        };

        // Signing out on the laptop closes the laptop's socket only.
        let res = laptop
            .http
            .post(a.url("/api/auth/logout"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "{}",
            res.status()
        );
        closed_with(&mut on_laptop, 4401).await;
        still_open(&mut on_phone).await;

        // Deactivated by an admin: every socket of theirs closes, on the other node too, and
        // none opens again.
        let agent1 = agents(&admin, &a)
            .await
            .into_iter()
            .find(|x| x["email"] == "agent1@demo.test")
            .unwrap();
        let _: Value = call_ok(
            &admin.http,
            &a,
            "admin/agents/update",
            json!({"id": agent1["id"], "role": "agent", "capacity": 3, "active": false}),
        )
        .await;
        closed_with(&mut on_phone, 4401).await;
        let endpoint: &dyn Fn(&str) -> String = match &b {
            Some(b) => &|p| b.ws_url(p),
            None => &|p| a.ws_url(p),
        };
        let refused = connect_ws(
            &endpoint("/ws/agent"),
            phone.cookie(b.as_ref().unwrap_or(&a)).as_deref(),
        )
        .await;
        assert!(
            refused.is_err(),
            "{backend}: a deactivated agent opened a socket"
        );
        if let Some(b) = b {
            b.stop().await;
        }
        a.stop().await;
    }
}

#[tokio::test]
async fn names_with_direction_tricks_are_refused_and_refusals_never_echo_input_at_length() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    let start = |name: String, email: String| json!({"name": name, "email": email, "phone": "", "message": "hi", "client_msg_id": uuid::Uuid::new_v4()});
    // "Eve" followed by a right-to-left override: shown in the inbox it reads backwards.
    for name in ["Eve\u{202E}lyn", "Ada\nAdmin", "Bo\u{2066}b"] {
        let (code, body) = call(
            &http(),
            &server,
            "visitor/start",
            start(name.into(), "e@x.io".into()),
        )
        .await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("name_invalid")),
            "{name:?}: {body}"
        );
    }
    let long = format!("{}@", "x".repeat(100_000));
    let res = http()
        .post(server.url("/api/visitor/start"))
        .json(&start("Ada".into(), long))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let text = res.text().await.unwrap();
    assert!(text.len() < 400, "echoed {} bytes", text.len());
    assert!(text.contains("email_invalid"), "{text}");

    let admin = agent(&server, "admin@demo.test").await;
    let (code, body) = call(&admin.http, &server, "admin/agents/create", json!({
        "email": "new@demo.test", "name": "New\u{202E}gent", "password": "longpassword", "role": "agent", "capacity": 2
    })).await;
    assert_eq!(
        (code, body["Invalid"]["code"].as_str()),
        (422, Some("name_invalid")),
        "{body}"
    );
    server.stop().await;
}

async fn login_from(
    server: &TestServer,
    ip: Option<&str>,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let mut req = http()
        .post(server.url("/api/auth/login"))
        .header("accept", "application/json");
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", format!("10.9.8.7, {ip}"));
    }
    req.form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn start_from(server: &TestServer, ip: Option<&str>, n: usize) -> reqwest::Response {
    let mut req = http().post(server.url("/api/visitor/start"));
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", ip);
    }
    req.json(&json!({"name": format!("V{n}"), "email": format!("v{n}@example.com"), "phone": "", "message": "hi", "client_msg_id": uuid::Uuid::new_v4()}))
        .send()
        .await
        .unwrap()
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header")
}

#[tokio::test]
async fn password_guessing_and_chat_floods_are_limited_per_address_and_per_account() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start_configured(&url, |c| {
        c.trusted_ip_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    })
    .await;
    // One address guessing across accounts: 20 tries, then it waits.
    for i in 0..20 {
        let res = login_from(
            &server,
            Some("203.0.113.7"),
            &format!("nobody{i}@x.io"),
            "wrong-password",
        )
        .await;
        assert_eq!(res.status().as_u16(), 422, "try {i}");
    }
    let res = login_from(
        &server,
        Some("203.0.113.7"),
        "admin@demo.test",
        "switchboard",
    )
    .await;
    assert_eq!(res.status().as_u16(), 429);
    assert!((1..=6).contains(&retry_after(&res)));
    let body: Value = res.json().await.unwrap();
    assert!(body["RateLimited"]["retry_after_secs"].is_u64(), "{body}");
    // Another address is not held back by it.
    let res = login_from(
        &server,
        Some("203.0.113.8"),
        "admin@demo.test",
        "switchboard",
    )
    .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );

    // One account guessed from many addresses: five wrong passwords, then even the right one
    // waits; other accounts do not.
    for i in 0..5 {
        let res = login_from(
            &server,
            Some(&format!("198.51.100.{i}")),
            "agent1@demo.test",
            "wrong-password",
        )
        .await;
        assert_eq!(res.status().as_u16(), 422);
    }
    let res = login_from(
        &server,
        Some("198.51.100.99"),
        "agent1@demo.test",
        "switchboard",
    )
    .await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(retry_after(&res) > 200);
    let res = login_from(
        &server,
        Some("198.51.100.99"),
        "agent2@demo.test",
        "switchboard",
    )
    .await;
    assert!(res.status().is_success() || res.status().is_redirection());

    // Starting chats (or leaving messages): 10 per address, then it waits.
    for n in 0..10 {
        assert_eq!(
            start_from(&server, Some("192.0.2.1"), n)
                .await
                .status()
                .as_u16(),
            200,
            "chat {n}"
        );
    }
    let res = start_from(&server, Some("192.0.2.1"), 10).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(retry_after(&res) >= 1);
    assert_eq!(
        start_from(&server, Some("192.0.2.2"), 11)
            .await
            .status()
            .as_u16(),
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn a_deactivated_agents_chats_go_back_to_the_queue_and_the_visitor_is_told() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let admin = agent(&server, "admin@demo.test").await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Nell", "Still there?").await;
        let conv = chat["conversation_id"].as_str().unwrap();
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(summary(&admin, &server, conv).await["status"], "open");

        let id = me(&agent1, &server).await["id"].clone();
        let _: Value = call_ok(
            &admin.http,
            &server,
            "admin/agents/update",
            json!({"id": id, "role": "agent", "capacity": 3, "active": false}),
        )
        .await;
        let s = summary(&admin, &server, conv).await;
        assert_eq!(
            (s["status"].as_str(), &s["assignee_id"]),
            (Some("queued"), &Value::Null),
            "{backend}: {s}"
        );
        let page: Value = call_ok(
            &http(),
            &server,
            "visitor/history",
            json!({"token": chat["token"], "conversation_id": conv, "before_seq": 1000}),
        )
        .await;
        assert!(
            page["messages"].as_array().unwrap().iter().any(|m| {
                m["body"]
                    == "Alex Agent is no longer available. Another agent will be with you shortly."
            }),
            "{backend}: {page}"
        );
        // Another agent can take it.
        let agent2 = agent(&server, "agent2@demo.test").await;
        let _: Value = call_ok(
            &agent2.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        server.stop().await;
    }
}
