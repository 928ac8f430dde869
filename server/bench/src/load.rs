//! Load: visitors write as the widget does (a `send` frame on their socket, or with
//! `--send http` through `visitor/send`), receivers listen on their sockets.

use crate::client::{subscribe, Server, Ws};
use crate::procfs;
use crate::Args;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use tokio_tungstenite::tungstenite::Message;

/// Requests one visitor has in flight at most, like a browser.
const IN_FLIGHT: usize = 6;

#[derive(Default)]
struct Tally {
    /// Receipts per message id.
    received: Mutex<HashMap<u64, u32>>,
    latencies_ns: Mutex<Vec<u64>>,
    misrouted: AtomicU64,
    sent: AtomicU64,
    errors: AtomicU64,
    last_receipt_ns: AtomicU64,
}

struct Conversation {
    token: String,
    id: String,
    after_seq: u64,
    cookie: Option<String>,
}

async fn prepare(server: &Server, args: &Args, n: usize) -> Result<Vec<Conversation>, String> {
    let password = args.str("password", "switchboard");
    let admin = server
        .login(&args.str("admin", "admin@demo.test"), &password)
        .await?;
    // No routing timer may fire during a run; chats wait for the agent who takes them.
    let mut settings = server
        .call("admin/settings", Some(&admin), json!({}))
        .await?;
    settings["queue_timeout_secs"] = json!(3600);
    settings["mode"] = json!("broadcast");
    server
        .call(
            "admin/settings/save",
            Some(&admin),
            json!({"settings": settings}),
        )
        .await?;
    let mut cookies = vec![];
    for email in args
        .str("agents", "agent1@demo.test,agent2@demo.test")
        .split(',')
    {
        cookies.push(server.login(email.trim(), &password).await?);
    }
    let run = uuid::Uuid::new_v4().simple().to_string();
    let limit = Arc::new(Semaphore::new(16));
    let mut tasks = vec![];
    for i in 0..n {
        let (server, limit, cookie, run) = (
            server.clone(),
            limit.clone(),
            cookies[i % cookies.len()].clone(),
            run.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = limit.acquire().await.map_err(|e| e.to_string())?;
            let chat = server
                .start_chat(
                    &format!("Bench {i}"),
                    &format!("bench{i}.{}@example.com", &run[..8]),
                )
                .await?;
            let summary = server
                .call(
                    "inbox/accept",
                    Some(&cookie),
                    json!({"conversation_id": chat.conversation_id}),
                )
                .await?;
            let after_seq = summary["last_seq"].as_u64().unwrap_or(chat.last_seq);
            Ok::<_, String>(Conversation {
                token: chat.token,
                id: chat.conversation_id,
                after_seq,
                cookie: Some(cookie),
            })
        }));
    }
    let mut out = vec![];
    for t in tasks {
        out.push(t.await.map_err(|e| e.to_string())??);
    }
    Ok(out)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1e6
}

/// Reads one receiver socket: message frames of this run, with their latency.
async fn receive(
    mut ws: Ws,
    conversation_id: String,
    start: Instant,
    tally: Arc<Tally>,
    stop: tokio_util_like::Stop,
) {
    let mut heartbeat = tokio::time::interval(Duration::from_secs(15));
    loop {
        let frame = tokio::select! {
            _ = stop.wait() => return,
            _ = heartbeat.tick() => {
                let _ = ws.send(Message::text(r#"{"type":"ping"}"#)).await;
                continue;
            }
            f = ws.next() => f,
        };
        let Some(Ok(Message::Text(text))) = frame else {
            return;
        };
        if !text.as_str().starts_with(r#"{"type":"message""#) {
            continue;
        }
        let now = start.elapsed().as_nanos() as u64;
        let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
            continue;
        };
        let m = &v["message"];
        let mut parts = m["body"].as_str().unwrap_or("").split(' ');
        if parts.next() != Some("bench") {
            continue;
        }
        let (Some(id), Some(due)) = (
            parts.next().and_then(|s| s.parse::<u64>().ok()),
            parts.next().and_then(|s| s.parse::<u64>().ok()),
        ) else {
            continue;
        };
        if m["conversation_id"].as_str() != Some(conversation_id.as_str()) {
            tally.misrouted.fetch_add(1, Ordering::Relaxed);
        }
        *tally.received.lock().unwrap().entry(id).or_default() += 1;
        tally
            .latencies_ns
            .lock()
            .unwrap()
            .push(now.saturating_sub(due));
        tally.last_receipt_ns.fetch_max(now, Ordering::Relaxed);
    }
}

/// A tiny stop signal shared by the receivers.
mod tokio_util_like {
    use std::sync::Arc;
    use tokio::sync::watch;

    #[derive(Clone)]
    pub struct Stop(Arc<watch::Sender<bool>>, watch::Receiver<bool>);

    impl Stop {
        pub fn new() -> Self {
            let (tx, rx) = watch::channel(false);
            Stop(Arc::new(tx), rx)
        }

        pub fn stop(&self) {
            let _ = self.0.send(true);
        }

        pub async fn wait(&self) {
            let mut rx = self.1.clone();
            let _ = rx.wait_for(|v| *v).await;
        }
    }
}

pub async fn run(args: &Args) -> Result<bool, String> {
    let server = Server::new(&args.str("url", "http://127.0.0.1:3000"))?;
    let n: usize = args.num("conversations", 100)?;
    let rate: f64 = args.num("rate", 1000.0)?;
    let duration: f64 = args.num("duration", 20.0)?;
    let drain: f64 = args.num("drain", 5.0)?;
    let body_bytes: usize = args.num("body-bytes", 64)?;
    let pid: Option<u32> = args
        .0
        .get("pid")
        .map(|p| p.parse().map_err(|_| "--pid is a process id"))
        .transpose()?;
    let over_socket = match args.str("send", "socket").as_str() {
        "socket" => true,
        "http" => false,
        other => return Err(format!("--send socket|http, not {other:?}")),
    };
    let to_agent = match args.str("receiver", "agent").as_str() {
        "agent" => true,
        "visitor" => false,
        other => return Err(format!("--receiver agent|visitor, not {other:?}")),
    };
    if n == 0 || rate <= 0.0 || duration <= 0.0 {
        return Err("conversations, rate and duration must be positive".into());
    }

    let t0 = Instant::now();
    let conversations = prepare(&server, args, n).await?;
    eprintln!(
        "prepared {n} accepted conversations in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let tally = Arc::new(Tally::default());
    let stop = tokio_util_like::Stop::new();
    let start = Instant::now();
    let mut receivers = vec![];
    let mut queues = vec![];
    let mut senders = vec![];
    for c in &conversations {
        let mut ws = if to_agent {
            server.socket("/ws/agent", c.cookie.as_deref()).await?
        } else {
            server.visitor_socket(&c.token).await?
        };
        subscribe(&mut ws, &c.id, c.after_seq).await?;
        receivers.push(tokio::spawn(receive(
            ws,
            c.id.clone(),
            start,
            tally.clone(),
            stop.clone(),
        )));
        // The visitor keeps its own socket open too, as the widget does (and writes on it).
        let mut own = server.visitor_socket(&c.token).await?;
        subscribe(&mut own, &c.id, c.after_seq).await?;
        let (mut own_tx, mut own_rx) = own.split();
        let refusals = tally.clone();
        receivers.push(tokio::spawn(async move {
            while let Some(Ok(frame)) = own_rx.next().await {
                if let Message::Text(t) = frame {
                    if t.contains(r#""type":"send_failed""#) {
                        refusals.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
        let (tx, rx) = mpsc::unbounded_channel::<(u64, u64)>();
        queues.push(tx);
        if over_socket {
            let (tally, id, filler) = (tally.clone(), c.id.clone(), "x".repeat(body_bytes));
            let mut rx = rx;
            senders.push(tokio::spawn(async move {
                while let Some((msg, due)) = rx.recv().await {
                    let frame = json!({
                        "type": "send", "conversation_id": id,
                        "client_msg_id": uuid::Uuid::new_v4(), "body": format!("bench {msg} {due} {filler}"),
                    });
                    match own_tx.send(Message::Text(frame.to_string().into())).await {
                        Ok(()) => tally.sent.fetch_add(1, Ordering::Relaxed),
                        Err(_) => tally.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
            continue;
        }
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        for _ in 0..IN_FLIGHT {
            let (rx, server, tally, token, id) = (
                rx.clone(),
                server.clone(),
                tally.clone(),
                c.token.clone(),
                c.id.clone(),
            );
            let filler = "x".repeat(body_bytes);
            senders.push(tokio::spawn(async move {
                loop {
                    let next = rx.lock().await.recv().await;
                    let Some((msg, due)) = next else { return };
                    let args = json!({
                        "token": token, "conversation_id": id,
                        "client_msg_id": uuid::Uuid::new_v4(), "body": format!("bench {msg} {due} {filler}"),
                    });
                    match server.call("visitor/send", None, args).await {
                        Ok(_) => tally.sent.fetch_add(1, Ordering::Relaxed),
                        Err(_) => tally.errors.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
    }

    let cpu_before = pid.and_then(procfs::cpu_secs);
    let total = (rate * duration).round() as u64;
    let run_start = start.elapsed();
    let interval_ns = 1e9 / rate;
    for i in 0..total {
        let due = run_start + Duration::from_nanos((i as f64 * interval_ns) as u64);
        tokio::time::sleep_until(tokio::time::Instant::from_std(start + due)).await;
        let _ = queues[(i as usize) % n].send((i, due.as_nanos() as u64));
    }
    drop(queues);
    // Every request answered (bounded), then the stragglers delivered.
    let give_up = Instant::now() + Duration::from_secs_f64(drain + 60.0);
    for s in senders {
        let left = give_up.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, s).await;
    }
    let sent = tally.sent.load(Ordering::Relaxed);
    let drain_until = Instant::now() + Duration::from_secs_f64(drain);
    while Instant::now() < drain_until && (tally.received.lock().unwrap().len() as u64) < sent {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cpu_after = pid.and_then(procfs::cpu_secs);
    stop.stop();
    for r in receivers {
        r.abort();
    }

    let received = tally.received.lock().unwrap();
    let distinct = received.len() as u64;
    let duplicates: u64 = received
        .values()
        .map(|c| (*c as u64).saturating_sub(1))
        .sum();
    let lost = sent.saturating_sub(distinct);
    let misrouted = tally.misrouted.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    let mut lat = tally.latencies_ns.lock().unwrap().clone();
    lat.sort_unstable();
    let elapsed = (Duration::from_nanos(tally.last_receipt_ns.load(Ordering::Relaxed)) - run_start)
        .as_secs_f64()
        .max(duration);
    let achieved = distinct as f64 / elapsed;
    let cpu_us = match (cpu_before, cpu_after) {
        (Some(b), Some(a)) if distinct > 0 => Some((a - b) / distinct as f64 * 1e6),
        _ => None,
    };
    let (p50, p99, max) = (
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().map(|m| *m as f64 / 1e6).unwrap_or(0.0),
    );
    eprintln!(
        "load: {n} conversations, offered {rate:.0} msg/s for {duration:.0} s -> achieved {achieved:.0} msg/s; \
         latency p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.1} ms; sent {sent}, received {distinct}, lost {lost}, \
         duplicated {duplicates}, misrouted {misrouted}, failed sends {errors}{}",
        cpu_us.map(|c| format!("; server CPU {c:.0} µs per message")).unwrap_or_default()
    );
    println!(
        "{}",
        json!({
            "mode": "load", "receiver": if to_agent { "agent" } else { "visitor" }, "send": if over_socket { "socket" } else { "http" }, "conversations": n,
            "offered_rate": rate, "achieved_rate": achieved, "duration_s": duration,
            "sent": sent, "received": distinct, "lost": lost, "duplicates": duplicates, "misrouted": misrouted, "errors": errors,
            "p50_ms": p50, "p99_ms": p99, "max_ms": max, "cpu_us_per_msg": cpu_us,
        })
    );
    Ok(lost == 0 && duplicates == 0 && misrouted == 0 && errors == 0)
}
