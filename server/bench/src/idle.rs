//! Idle sockets: what one costs the server while it only keeps its heartbeat.

use crate::client::{subscribe, Server};
use crate::procfs;
use crate::Args;
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub async fn run(args: &Args) -> Result<bool, String> {
    let server = Server::new(&args.str("url", "http://127.0.0.1:3000"))?;
    let n: usize = args.num("sockets", 1000)?;
    let pid: Option<u32> = args
        .0
        .get("pid")
        .map(|p| p.parse().map_err(|_| "--pid is a process id"))
        .transpose()?;
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let mut chats = Vec::with_capacity(n);
    for i in 0..n {
        chats.push(
            server
                .start_chat(
                    &format!("Idle {i}"),
                    &format!("idle{i}.{}@example.com", &run_id[..8]),
                )
                .await?,
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = pid.and_then(procfs::rss_kib);
    let mut sockets = Vec::with_capacity(n);
    for chat in &chats {
        let mut ws = server.visitor_socket(&chat.token).await?;
        subscribe(&mut ws, &chat.conversation_id, chat.last_seq).await?;
        sockets.push(ws);
    }
    // Settle, as idle widgets do (a heartbeat, nothing else).
    for ws in sockets.iter_mut() {
        ws.send(Message::text(r#"{"type":"ping"}"#))
            .await
            .map_err(|e| e.to_string())?;
    }
    for ws in sockets.iter_mut() {
        let _ = tokio::time::timeout(Duration::from_secs(5), ws.next()).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = pid.and_then(procfs::rss_kib);
    let per_socket = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / n as f64),
        _ => None,
    };
    eprintln!(
        "idle: {n} sockets open{}",
        per_socket
            .map(|k| format!("; server memory {k:.1} KiB per socket"))
            .unwrap_or_default()
    );
    println!(
        "{}",
        serde_json::json!({"mode": "idle", "sockets": n, "kib_per_socket": per_socket})
    );
    Ok(true)
}
