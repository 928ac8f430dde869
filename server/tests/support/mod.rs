//! Test harness: real Switchboard servers on ephemeral ports, over SQLite and PostgreSQL.
//!
//! Every test runs once per database backend. SQLite always; PostgreSQL when
//! `TEST_POSTGRES_URL` points at a server (each test gets its own fresh database).
//! With `SWITCHBOARD_REQUIRE_POSTGRES=1` (as in CI) a missing PostgreSQL fails the run
//! instead of silently testing less.
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use sea_orm::{ConnectionTrait, Database};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use server::config::{Config, Mode};

pub mod channels;
pub mod providers;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

pub const PASSWORD: &str = "switchboard";

/// Fresh, empty databases to run a test against: one per backend.
pub async fn databases() -> Vec<(String, String)> {
    let dir = std::env::temp_dir().join(format!("switchboard-test-{}", Uuid::new_v4().simple()));
    let mut out = vec![(
        "sqlite".to_string(),
        format!("sqlite://{}/test.db", dir.display()),
    )];
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let name = format!("sb_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(format!("{base}/postgres"))
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            out.push(("postgres".to_string(), format!("{base}/{name}")));
        }
        _ if std::env::var("SWITCHBOARD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("SWITCHBOARD_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set")
        }
        _ => eprintln!("note: TEST_POSTGRES_URL not set; testing SQLite only"),
    }
    out
}

/// Something serving Switchboard at an address: an in-process `TestServer` or a separate
/// server process (`nodes.rs`).
pub trait Endpoint {
    fn addr(&self) -> SocketAddr;

    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr(), path)
    }

    fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{}", self.addr(), path)
    }
}

impl Endpoint for TestServer {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Every server function that takes arguments, by endpoint (as `/api/<endpoint>`).
pub const SERVER_FUNCTIONS: &[&str] = &[
    "inbox/list",
    "inbox/accept",
    "inbox/decline",
    "inbox/transfer",
    "inbox/invite",
    "inbox/presence",
    "inbox/agents",
    "inbox/setup",
    "inbox/search",
    "inbox/conversation",
    "inbox/history",
    "inbox/send",
    "inbox/send-file",
    "inbox/ask-switch",
    "inbox/contact-channels",
    "inbox/reply-channel",
    "inbox/reconnect",
    "inbox/delete-comment",
    "inbox/channel-status",
    "inbox/send-template",
    "inbox/answer-comment",
    "inbox/close",
    "inbox/read",
    "inbox/contact-card",
    "inbox/merge-candidates",
    "inbox/merge-contacts",
    "inbox/contact-conversations",
    "inbox/sign-out-visitor",
    "canned/list",
    "canned/save",
    "canned/delete",
    "canned/use",
    "admin/settings/save",
    "admin/agents/create",
    "admin/agents/update",
    "visitor/start",
    "visitor/leave-message",
    "visitor/send",
    "visitor/resume",
    "visitor/history",
    "visitor/queue",
    "visitor/switch",
    "visitor/switch-revert",
    "visitor/switch-status",
];

pub struct TestServer {
    pub addr: SocketAddr,
    pub db_url: String,
    running: Option<server::Running>,
}

impl TestServer {
    pub async fn start(db_url: &str) -> Self {
        Self::start_on(db_url, "127.0.0.1:0").await
    }

    pub async fn start_production(db_url: &str) -> Self {
        Self::launch(db_url, "127.0.0.1:0", Mode::Production).await
    }

    /// Starts on a given address (to restart "the same" server on its old port).
    pub async fn start_on(db_url: &str, addr: &str) -> Self {
        Self::launch(db_url, addr, Mode::Demo).await
    }

    /// Starts with these provider channels connected.
    pub async fn start_with_channels(
        db_url: &str,
        channels: server::channels::ChannelConfig,
    ) -> Self {
        Self::launch_with(db_url, "127.0.0.1:0", Mode::Demo, |c| c.channels = channels).await
    }

    /// Starts with the configuration changed by `change`.
    pub async fn start_configured(db_url: &str, change: impl FnOnce(&mut Config)) -> Self {
        Self::launch_with(db_url, "127.0.0.1:0", Mode::Demo, change).await
    }

    async fn launch(db_url: &str, addr: &str, mode: Mode) -> Self {
        Self::launch_with(db_url, addr, mode, |_| {}).await
    }

    async fn launch_with(
        db_url: &str,
        addr: &str,
        mode: Mode,
        change: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = Config::from_env().expect("config");
        config.database_url = db_url.to_string();
        // Nodes on one database share its files, as they would share a bucket.
        config.files = std::env::temp_dir()
            .join(format!(
                "switchboard-files-{}",
                Uuid::new_v5(&Uuid::NAMESPACE_URL, db_url.as_bytes()).simple()
            ))
            .display()
            .to_string();
        config.mode = mode;
        config.secret = None;
        change(&mut config);
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let running = server::start(&config, listener)
            .await
            .expect("server starts");
        TestServer {
            addr: running.addr,
            db_url: db_url.to_string(),
            running: Some(running),
        }
    }

    /// Where `/metrics` answers when it has an address of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.running.as_ref()?.metrics_addr
    }

    /// Stops the server abruptly, like a crash: connections drop, and nothing of it (workers,
    /// timers, kept-alive connections) runs afterwards.
    pub async fn stop(mut self) -> (SocketAddr, String) {
        if let Some(r) = self.running.take() {
            r.kill().await;
        }
        (self.addr, self.db_url.clone())
    }

    /// Stops the server as SIGTERM does: sockets get a close frame, requests finish.
    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Calls a JSON server function; returns status and body.
pub async fn call(
    client: &reqwest::Client,
    server: &impl Endpoint,
    endpoint: &str,
    args: Value,
) -> (u16, Value) {
    let (status, text) = post_raw(client, server, endpoint, &args.to_string()).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Posts `body` as it is (well-formed or not) to a JSON server function; returns status and
/// the body's text.
pub async fn post_raw(
    client: &reqwest::Client,
    server: &impl Endpoint,
    endpoint: &str,
    body: &str,
) -> (u16, String) {
    let res = client
        .post(server.url(&format!("/api/{endpoint}")))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.text().await.unwrap_or_default())
}

pub async fn call_ok<T: DeserializeOwned>(
    client: &reqwest::Client,
    server: &impl Endpoint,
    endpoint: &str,
    args: Value,
) -> T {
    let (status, body) = call(client, server, endpoint, args).await;
    assert_eq!(status, 200, "{endpoint} failed: {body}");
    serde_json::from_value(body).expect("response shape")
}

/// Signs in through the real login form endpoint; the client keeps the session cookie.
pub async fn login(
    client: &reqwest::Client,
    server: &impl Endpoint,
    email: &str,
    password: &str,
) -> u16 {
    client
        .post(server.url("/api/auth/login"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("login request")
        .status()
        .as_u16()
}

/// A signed-in agent: an HTTP client with its session cookie.
pub struct AgentClient {
    pub http: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl AgentClient {
    pub fn anonymous() -> Self {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { http, jar }
    }

    /// The Cookie header this client would send to `server`.
    pub fn cookie(&self, server: &impl Endpoint) -> Option<String> {
        use reqwest::cookie::CookieStore;
        self.jar
            .cookies(&server.url("/").parse().unwrap())
            .map(|h| h.to_str().unwrap().to_string())
    }

    pub async fn socket(&self, server: &impl Endpoint) -> Socket {
        let mut ws = connect_ws(&server.ws_url("/ws/agent"), self.cookie(server).as_deref())
            .await
            .expect("agent socket");
        let welcome = next_frame(&mut ws).await;
        assert_eq!(welcome["type"], "welcome");
        assert_eq!(welcome["role"], "agent");
        ws
    }
}

pub async fn agent(server: &impl Endpoint, email: &str) -> AgentClient {
    let a = AgentClient::anonymous();
    let status = login(&a.http, server, email, PASSWORD).await;
    assert!(status == 200 || status == 302, "login as {email}: {status}");
    a
}

/// A visitor socket as the widget opens it: the token in the first frame.
pub async fn visitor_socket(server: &impl Endpoint, token: &str) -> Socket {
    let mut ws = connect_ws(&server.ws_url("/ws/visitor"), None)
        .await
        .expect("visitor socket");
    send_frame(&mut ws, json!({"type": "hello", "token": token})).await;
    let welcome = next_frame(&mut ws).await;
    assert_eq!(welcome["role"], "visitor", "{welcome}");
    ws
}

/// A message as the side that did not write it gets it: without its client's id.
pub fn seen_by_the_other_side(message: &Value) -> Value {
    let mut m = message.clone();
    m["client_msg_id"] = Value::Null;
    m
}

/// A start nonce, as the widget gets it with its configuration.
pub async fn start_nonce(server: &impl Endpoint) -> String {
    let setup: Value = call_ok(&http(), server, "visitor/config", json!({})).await;
    setup["start_nonce"].as_str().expect("a nonce").to_string()
}

/// Starts a visitor chat as the widget does; returns the whole `VisitorChat` JSON.
pub async fn start_chat(server: &impl Endpoint, name: &str, first: &str) -> Value {
    call_ok(
        &http(),
        server,
        "visitor/start",
        json!({
            "name": name,
            "email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
            "phone": "",
            "message": first,
            "client_msg_id": Uuid::new_v4(),
            "start_nonce": start_nonce(server).await,
        }),
    )
    .await
}

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect_ws(
    url: &str,
    cookie: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut req = url.into_client_request().unwrap();
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse().unwrap());
    }
    let (ws, _) = tokio_tungstenite::connect_async(req).await?;
    Ok(ws)
}

pub async fn send_frame(ws: &mut Socket, frame: Value) {
    ws.send(WsMessage::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// The next JSON frame, failing the test after 10 s.
pub async fn next_frame(ws: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10s")
            .expect("socket open")
            .expect("frame");
        if let WsMessage::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The next frame that is not a status frame (routing's status updates come whenever they
/// commit).
pub async fn next_frame_but_status(ws: &mut Socket) -> Value {
    loop {
        let f = next_frame(ws).await;
        if f["type"] != "status" {
            return f;
        }
    }
}

/// Frames until one of type `until` (inclusive).
pub async fn frames_until(ws: &mut Socket, until: &str) -> Vec<Value> {
    let mut out = vec![];
    loop {
        let f = next_frame(ws).await;
        let done = f["type"] == until;
        out.push(f);
        if done {
            return out;
        }
    }
}

/// Waits for the next `message` frame, skipping others.
pub async fn next_message(ws: &mut Socket) -> Value {
    loop {
        let f = next_frame(ws).await;
        if f["type"] == "message" {
            return f["message"].clone();
        }
    }
}

/// The next frame of type `kind`, skipping others.
pub async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let f = next_frame(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
}

/// Follows a conversation from `after_seq`: the replay, up to and including `synced`.
pub async fn subscribe(ws: &mut Socket, conversation: &str, after_seq: u64) -> Vec<Value> {
    send_frame(
        ws,
        json!({"type": "subscribe", "conversation_id": conversation, "after_seq": after_seq}),
    )
    .await;
    frames_until(ws, "synced").await
}

/// Asserts nothing of type `kind` arrives within `ms`.
pub async fn assert_no_frame_of(ws: &mut Socket, kind: &str, ms: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => return,
            Ok(Some(Ok(WsMessage::Text(t)))) => {
                let f: Value = serde_json::from_str(t.as_str()).unwrap();
                assert_ne!(f["type"], kind, "unexpected frame: {f}");
            }
            Ok(_) => return,
        }
    }
}

pub fn seqs(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["message"]["seq"].as_u64().unwrap())
        .collect()
}

/// Whatever the server says a conversation is now (as an admin sees it).
pub async fn summary(a: &AgentClient, server: &impl Endpoint, conversation_id: &str) -> Value {
    let detail: Value = call_ok(
        &a.http,
        server,
        "inbox/conversation",
        json!({"conversation_id": conversation_id}),
    )
    .await;
    detail["summary"].clone()
}

/// Polls until `pred` holds for the conversation, failing after `secs`.
pub async fn wait_for(
    a: &AgentClient,
    server: &impl Endpoint,
    conversation_id: &str,
    secs: u64,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let s = summary(a, server, conversation_id).await;
        if pred(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached in {secs}s; last: {s}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Changes routing settings as an admin.
pub async fn configure(
    admin: &AgentClient,
    server: &impl Endpoint,
    change: impl FnOnce(&mut Value),
) {
    let mut settings: Value = call_ok(&admin.http, server, "admin/settings", json!({})).await;
    change(&mut settings);
    let _: Value = call_ok(
        &admin.http,
        server,
        "admin/settings/save",
        json!({"settings": settings}),
    )
    .await;
}

pub async fn set_presence(a: &AgentClient, server: &impl Endpoint, presence: &str) {
    let _: Value = call_ok(
        &a.http,
        server,
        "inbox/presence",
        json!({"presence": presence, "auto": false}),
    )
    .await;
}

pub async fn me(a: &AgentClient, server: &impl Endpoint) -> Value {
    let me: Option<Value> = call_ok(&a.http, server, "auth/me", json!({})).await;
    me.expect("signed in")
}

pub async fn agents(a: &AgentClient, server: &impl Endpoint) -> Vec<Value> {
    call_ok(&a.http, server, "inbox/agents", json!({})).await
}

/// One page of an inbox folder (`inbox/list`): its rows, and where the next page starts.
#[derive(Debug, serde::Deserialize)]
pub struct FolderPage {
    pub rows: Vec<Value>,
    pub next: Option<Value>,
}

pub fn list_filter() -> Value {
    json!({"scope": {"kind": "all"}, "unread_only": false, "channel": null})
}
