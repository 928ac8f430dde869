//! The requests and frames the widget and the inbox use.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Clone)]
pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Chat {
    pub token: String,
    pub conversation_id: String,
    pub last_seq: u64,
}

impl Server {
    pub fn new(base: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(10_000)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }

    pub async fn call(
        &self,
        endpoint: &str,
        cookie: Option<&str>,
        args: Value,
    ) -> Result<Value, String> {
        let mut req = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .json(&args);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.map_err(|e| format!("{endpoint}: {e}"))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{endpoint}: HTTP {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{endpoint}: {e}"))
    }

    /// Signs in through the login form's server function; returns the session cookie.
    pub async fn login(&self, email: &str, password: &str) -> Result<String, String> {
        let res = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("switchboard_session="))
            .map(|c| c.split(';').next().unwrap_or(c).to_string())
            .ok_or_else(|| format!("login {email}: HTTP {} and no session cookie", res.status()))
    }

    pub async fn start_chat(&self, name: &str, email: &str) -> Result<Chat, String> {
        let chat = self
            .call(
                "visitor/start",
                None,
                json!({"name": name, "email": email, "phone": "", "message": "bench start", "client_msg_id": uuid::Uuid::new_v4()}),
            )
            .await?;
        let seqs = chat["messages"].as_array().map(|m| {
            m.iter()
                .filter_map(|m| m["seq"].as_u64())
                .max()
                .unwrap_or(0)
        });
        Ok(Chat {
            token: chat["token"].as_str().ok_or("no token")?.to_string(),
            conversation_id: chat["conversation_id"]
                .as_str()
                .ok_or("no conversation id")?
                .to_string(),
            last_seq: seqs.unwrap_or(0),
        })
    }

    fn ws_base(&self) -> String {
        self.base
            .replacen("http://", "ws://", 1)
            .replacen("https://", "wss://", 1)
    }

    pub async fn socket(&self, path: &str, cookie: Option<&str>) -> Result<Ws, String> {
        let mut req = format!("{}{path}", self.ws_base())
            .into_client_request()
            .map_err(|e| e.to_string())?;
        if let Some(c) = cookie {
            req.headers_mut()
                .insert("cookie", c.parse().map_err(|_| "bad cookie")?);
        }
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        wait_for(&mut ws, &[r#""type":"welcome""#]).await?;
        Ok(ws)
    }

    /// A visitor's socket as the widget opens it: the token in the first frame.
    pub async fn visitor_socket(&self, token: &str) -> Result<Ws, String> {
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("{}/ws/visitor", self.ws_base()))
                .await
                .map_err(|e| format!("/ws/visitor: {e}"))?;
        ws.send(Message::text(
            json!({"type": "hello", "token": token}).to_string(),
        ))
        .await
        .map_err(|e| e.to_string())?;
        wait_for(&mut ws, &[r#""type":"welcome""#]).await?;
        Ok(ws)
    }
}

/// Reads frames until one contains every needle (20 s bound).
pub async fn wait_for(ws: &mut Ws, needles: &[&str]) -> Result<(), String> {
    let read = async {
        while let Some(frame) = ws.next().await {
            if let Message::Text(t) = frame.map_err(|e| e.to_string())? {
                let s = t.as_str();
                if needles.iter().all(|n| s.contains(n)) {
                    return Ok(());
                }
                if s.starts_with(r#"{"type":"error""#) {
                    return Err(format!("server error: {s}"));
                }
            }
        }
        Err(format!("closed waiting for {needles:?}"))
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .map_err(|_| format!("timeout waiting for {needles:?}"))?
}

pub async fn subscribe(ws: &mut Ws, conversation_id: &str, after_seq: u64) -> Result<(), String> {
    let frame =
        json!({"type": "subscribe", "conversation_id": conversation_id, "after_seq": after_seq});
    ws.send(Message::text(frame.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    wait_for(ws, &[r#""type":"synced""#, conversation_id]).await
}
