//! Several Switchboard nodes on one PostgreSQL: separate server processes on loopback ports,
//! as behind any load balancer. Delivery across nodes, races across nodes, timers and
//! capacity with several nodes, a node killed mid-chat, a lost notification, SIGTERM, and
//! SQLite refusing a second node.

mod support;

use futures::StreamExt;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use support::*;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use uuid::Uuid;

/// A server process.
struct Node {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Endpoint for Node {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Node {
    fn spawn(db_url: &str, env: &[(&str, &str)]) -> Result<Node, String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
        cmd.env("DATABASE_URL", db_url)
            .env("SWITCHBOARD_ADDR", "127.0.0.1:0")
            .env("SWITCHBOARD_MODE", "demo")
            .env("SWITCHBOARD_PRESENCE_TTL_SECS", "3")
            .env(
                "RUST_LOG",
                "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn",
            )
            .env_remove("SWITCHBOARD_SECRET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let line = strip_ansi(&line);
                    if let Some(at) = line.find("listening on http://") {
                        let addr = line[at + "listening on http://".len()..]
                            .split_whitespace()
                            .next()
                            .unwrap_or("")
                            .to_string();
                        let _ = tx.send(Ok(addr));
                    }
                    log.lock().unwrap().push(line);
                }
                let _ = tx.send(Err(()));
            });
        }
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(addr)) => Ok(Node {
                child,
                addr: addr.parse().map_err(|e| format!("{addr}: {e}"))?,
                log,
            }),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                Err(log.lock().unwrap().join("\n"))
            }
        }
    }

    fn start(db_url: &str) -> Node {
        Self::spawn(db_url, &[]).unwrap_or_else(|log| panic!("node did not start:\n{log}"))
    }

    /// Like a pulled plug: SIGKILL, no goodbye.
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL database, or `None` (test skipped) when none is configured.
async fn postgres() -> Option<String> {
    let dbs = databases().await;
    let pg = dbs
        .into_iter()
        .find(|(b, _)| b == "postgres")
        .map(|(_, url)| url);
    if pg.is_none() {
        eprintln!("note: several nodes need PostgreSQL (TEST_POSTGRES_URL); skipped");
    }
    pg
}

/// Message frames until `n` have arrived (20 s bound), in arrival order.
async fn messages(ws: &mut Socket, n: usize) -> Vec<Value> {
    let mut out = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while out.len() < n {
        let f = tokio::time::timeout_at(deadline, next_message(ws))
            .await
            .expect("messages in time");
        out.push(f);
    }
    out
}

fn assert_in_order_once(msgs: &[Value], first_seq: u64, what: &str) {
    let seqs: Vec<u64> = msgs.iter().map(|m| m["seq"].as_u64().unwrap()).collect();
    let expected: Vec<u64> = (first_seq..first_seq + seqs.len() as u64).collect();
    assert_eq!(seqs, expected, "{what}: every message once, in order");
}

async fn event_counts(db_url: &str, conversation: &str) -> std::collections::HashMap<String, i64> {
    let db = Database::connect(db_url).await.unwrap();
    let rows = db
        .query_all(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT kind, COUNT(*) AS n FROM conversation_events WHERE conversation_id = $1 GROUP BY kind",
            [Uuid::parse_str(conversation).unwrap().into()],
        ))
        .await
        .unwrap();
    let out = rows
        .into_iter()
        .map(|r| {
            (
                r.try_get::<String>("", "kind").unwrap(),
                r.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect();
    db.close().await.unwrap();
    out
}

fn conv_of(chat: &Value) -> String {
    chat["conversation_id"].as_str().unwrap().to_string()
}

fn queued_view() -> Value {
    json!({"type": "view", "view": {"folder": "queued", "filter": list_filter()}})
}

#[tokio::test]
async fn a_visitor_on_one_node_and_an_agent_on_another_chat_live_both_ways() {
    let Some(db) = postgres().await else { return };
    let (a, b) = (Node::start(&db), Node::start(&db));
    let agent1 = agent(&b, "agent1@demo.test").await;
    let mut agent_ws = agent1.socket(&b).await;
    send_frame(&mut agent_ws, queued_view()).await;

    let chat = start_chat(&a, "Ada", "hello from node A").await;
    let conv = conv_of(&chat);
    let token = chat["token"].as_str().unwrap().to_string();
    // The row appears live on the other node.
    let row = loop {
        let f = next_frame(&mut agent_ws).await;
        if f["type"] == "conversation" && f["summary"]["id"] == conv.as_str() {
            break f;
        }
    };
    assert_eq!(row["summary"]["contact_name"], "Ada");
    assert_eq!(seqs(&subscribe(&mut agent_ws, &conv, 0).await), vec![1]);
    let mut visitor_ws = visitor_socket(&a, &token).await;
    subscribe(&mut visitor_ws, &conv, 1).await;
    let _: Value = call_ok(
        &agent1.http,
        &b,
        "inbox/accept",
        json!({"conversation_id": conv}),
    )
    .await;

    // Both sides write at once, each through its own node.
    let visitor_sends = {
        let (url, token, conv) = (a.url("/api/visitor/send"), token.clone(), conv.clone());
        tokio::spawn(async move {
            let client = http();
            for i in 0..15 {
                let body = json!({"token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": format!("v{i}")});
                assert_eq!(
                    client.post(&url).json(&body).send().await.unwrap().status(),
                    200
                );
            }
        })
    };
    for i in 0..15 {
        let _: Value = call_ok(&agent1.http, &b, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": format!("a{i}"), "internal": false
        }))
        .await;
    }
    visitor_sends.await.unwrap();
    // seq 2 is "joined the chat", then 30 messages.
    let at_agent = messages(&mut agent_ws, 31).await;
    assert_in_order_once(&at_agent, 2, "agent on node B");
    let at_visitor = messages(&mut visitor_ws, 31).await;
    assert_in_order_once(&at_visitor, 2, "visitor on node A");
    assert_no_frame_of(&mut visitor_ws, "message", 500).await;
    assert_no_frame_of(&mut agent_ws, "message", 200).await;

    // Typing crosses nodes too, though it is never stored.
    let typing = |on: bool| json!({"type": "typing", "conversation_id": conv, "typing": on});
    send_frame(&mut visitor_ws, typing(true)).await;
    let f = next_of(&mut agent_ws, "typing").await;
    assert_eq!(f["typist"], json!({"kind": "contact", "name": "Ada"}));
    assert_eq!(f["typing"], true);
    send_frame(&mut agent_ws, typing(true)).await;
    let f = next_of(&mut visitor_ws, "typing").await;
    assert_eq!(f["typist"]["name"], "Alex Agent");
    assert_eq!(f["conversation_id"], conv.as_str());
}

#[tokio::test]
async fn two_agents_on_two_nodes_accepting_at_once_one_wins() {
    let Some(db) = postgres().await else { return };
    let (a, b) = (Node::start(&db), Node::start(&db));
    let (a1, a2) = (
        agent(&a, "agent1@demo.test").await,
        agent(&b, "agent2@demo.test").await,
    );
    for round in 0..5 {
        let chat = start_chat(&a, &format!("Racer {round}"), "who takes me?").await;
        let body = json!({"conversation_id": conv_of(&chat)});
        let (r1, r2) = tokio::join!(
            call(&a1.http, &a, "inbox/accept", body.clone()),
            call(&a2.http, &b, "inbox/accept", body.clone())
        );
        let mut statuses = [r1.0, r2.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}: {r1:?} {r2:?}");
        let loser = if r1.0 == 409 { &r1.1 } else { &r2.1 };
        assert_eq!(loser["Conflict"]["code"], "already_taken");
    }
}

#[tokio::test]
async fn a_timer_fires_once_with_three_nodes() {
    let Some(db) = postgres().await else { return };
    let nodes = [Node::start(&db), Node::start(&db), Node::start(&db)];
    let admin = agent(&nodes[0], "admin@demo.test").await;
    set_presence(&admin, &nodes[0], "offline").await;
    configure(&admin, &nodes[1], |s| s["queue_timeout_secs"] = json!(5)).await;
    let _agent1 = agent(&nodes[2], "agent1@demo.test").await;
    let chat = start_chat(&nodes[1], "Patient", "anyone?").await;
    let conv = conv_of(&chat);
    wait_for(&admin, &nodes[2], &conv, 20, |s| s["missed"] == true).await;
    // Every node's timer saw it due; more ticks go by.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let counts = event_counts(&db, &conv).await;
    assert_eq!(counts.get("queue_missed"), Some(&1), "{counts:?}");
    let resumed: Option<Value> = call_ok(
        &http(),
        &nodes[0],
        "visitor/resume",
        json!({"token": chat["token"]}),
    )
    .await;
    let sorry = resumed.unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["body"]
                .as_str()
                .unwrap()
                .starts_with("Sorry for the wait")
        })
        .count();
    assert_eq!(sorry, 1, "the visitor is told once");

    // Time-based: an acceptance timer lapses once, and the chat is offered again.
    configure(&admin, &nodes[0], |s| {
        s["mode"] = json!("time_based");
        s["accept_timeout_secs"] = json!(5);
    })
    .await;
    let chat = start_chat(&nodes[2], "Timed", "offer me").await;
    let conv = conv_of(&chat);
    let first = wait_for(&admin, &nodes[1], &conv, 10, |s| s["status"] == "offered").await;
    let deadline = first["deadline"].as_i64().unwrap();
    wait_for(&admin, &nodes[0], &conv, 15, |s| {
        s["status"] == "offered" && s["deadline"].as_i64().unwrap() > deadline
    })
    .await;
    let counts = event_counts(&db, &conv).await;
    assert_eq!(counts.get("offer_lapsed"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("offered"), Some(&2), "{counts:?}");
}

#[tokio::test]
async fn an_agents_capacity_holds_when_two_nodes_assign_at_once() {
    let Some(db) = postgres().await else { return };
    // Each offer stays uncommitted for a moment, so the two nodes' assignments overlap.
    let hold = [("SWITCHBOARD_TEST_HOLD_ASSIGNMENT_MS", "300")];
    let (a, b) = (
        Node::spawn(&db, &hold).expect("node a"),
        Node::spawn(&db, &hold).expect("node b"),
    );
    let admin = agent(&a, "admin@demo.test").await;
    set_presence(&admin, &a, "offline").await;
    let agent1 = agent(&b, "agent1@demo.test").await;
    let id1 = me(&agent1, &b).await["id"].clone();
    let _: Value = call_ok(
        &admin.http,
        &a,
        "admin/agents/update",
        json!({"id": id1, "role": "agent", "capacity": 1, "active": true}),
    )
    .await;
    configure(&admin, &a, |s| {
        s["mode"] = json!("time_based");
        s["accept_timeout_secs"] = json!(120);
    })
    .await;
    // Six chats at once, half through each node: both nodes' reactors assign concurrently.
    let mut starts = vec![];
    for i in 0..6 {
        let node_url = if i % 2 == 0 {
            a.url("/api/visitor/start")
        } else {
            b.url("/api/visitor/start")
        };
        starts.push(tokio::spawn(async move {
            let body = json!({"name": format!("Load {i}"), "email": format!("load{i}@example.com"), "phone": "", "message": "hi", "client_msg_id": Uuid::new_v4()});
            let res = http().post(node_url).json(&body).send().await.unwrap();
            assert_eq!(res.status(), 200);
        }));
    }
    for s in starts {
        s.await.unwrap();
    }
    let engaged = || async {
        let rows: Vec<Value> = call_ok::<FolderPage>(
            &admin.http,
            &b,
            "inbox/list",
            json!({"folder": "engaged", "filter": list_filter()}),
        )
        .await
        .rows;
        rows.iter()
            .filter(|r| r["summary"]["offered_to"] == id1 || r["summary"]["assignee_id"] == id1)
            .count()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = engaged().await;
        assert!(n <= 1, "capacity 1 exceeded: {n} chats");
        if n == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing was offered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both nodes keep draining the queue; still one.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(engaged().await, 1);
    }
    let queued: Vec<Value> = call_ok::<FolderPage>(
        &admin.http,
        &a,
        "inbox/list",
        json!({"folder": "queued", "filter": list_filter()}),
    )
    .await
    .rows;
    assert_eq!(queued.len(), 5, "the rest wait in the queue");
}

#[tokio::test]
async fn when_a_node_dies_its_clients_reconnect_elsewhere_and_miss_nothing() {
    let Some(db) = postgres().await else { return };
    let mut a = Node::start(&db);
    let (b, c) = (Node::start(&db), Node::start(&db));
    let admin = agent(&b, "admin@demo.test").await;
    set_presence(&admin, &b, "offline").await;
    let agent1 = agent(&a, "agent1@demo.test").await;
    let agent2 = agent(&a, "agent2@demo.test").await;
    let (id1, id2) = (
        me(&agent1, &a).await["id"].clone(),
        me(&agent2, &a).await["id"].clone(),
    );
    let chat = start_chat(&a, "Barbara", "before the crash").await;
    let conv = conv_of(&chat);
    let token = chat["token"].as_str().unwrap().to_string();
    let _: Value = call_ok(
        &agent1.http,
        &a,
        "inbox/accept",
        json!({"conversation_id": conv}),
    )
    .await;
    let mut visitor_ws = visitor_socket(&a, &token).await;
    subscribe(&mut visitor_ws, &conv, 0).await;
    let mut agent_ws = agent1.socket(&a).await;
    subscribe(&mut agent_ws, &conv, 0).await;
    let _agent2_ws = agent2.socket(&a).await;
    let _: Value = call_ok(&agent1.http, &a, "inbox/send", json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "seen live", "internal": false})).await;
    let seen = next_message(&mut visitor_ws).await["seq"].as_u64().unwrap();
    assert_eq!(
        next_message(&mut agent_ws).await["seq"].as_u64().unwrap(),
        seen
    );

    a.kill9();
    // The sockets notice (after any frame the node sent before it died: a status update of
    // the reply above may still be on its way).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let frame = tokio::time::timeout(left, visitor_ws.next())
            .await
            .expect("noticed");
        match frame {
            Some(Ok(WsMessage::Text(text))) => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_ne!(v["type"], "message", "nothing new after the crash: {v}");
            }
            _ => break,
        }
    }
    // The agent reconnects at once to another node; both write meanwhile.
    let mut agent_ws = agent1.socket(&c).await;
    let _: Value = call_ok(&agent1.http, &b, "inbox/send", json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "while A was down", "internal": false})).await;
    let _: Value = call_ok(&http(), &c, "visitor/send", json!({"token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "me too"})).await;
    let replay = subscribe(&mut agent_ws, &conv, seen).await;
    assert_eq!(
        seqs(&replay),
        vec![seen + 1, seen + 2],
        "the agent gets what it missed, once"
    );
    let mut visitor_ws = visitor_socket(&b, &token).await;
    let replay = subscribe(&mut visitor_ws, &conv, seen).await;
    assert_eq!(seqs(&replay), vec![seen + 1, seen + 2], "the visitor too");

    // After the dead node's leases run out, agent 2 (connected only there) is Offline;
    // agent 1, connected elsewhere, is still Online.
    let presence = |list: &[Value], id: &Value| {
        list.iter().find(|a| &a["id"] == id).unwrap()["presence"].clone()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let list = agents(&admin, &b).await;
        if presence(&list, &id2) == "offline" {
            assert_eq!(presence(&list, &id1), "online");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent 2 never went Offline: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        presence(&agents(&admin, &b).await, &id1),
        "online",
        "a live connection keeps the agent Online"
    );
}

#[tokio::test]
async fn a_commit_whose_notification_is_lost_is_still_delivered() {
    let Some(db) = postgres().await else { return };
    // Node A announces nothing: as if it failed between commit and fan-out, every time.
    let a = Node::spawn(&db, &[("SWITCHBOARD_TEST_SILENT_BUS", "1")]).expect("silent node");
    let b = Node::start(&db);
    let agent1 = agent(&a, "agent1@demo.test").await;
    let chat = start_chat(&b, "Hedy", "hello").await;
    let conv = conv_of(&chat);
    let mut visitor_ws = visitor_socket(&b, chat["token"].as_str().unwrap()).await;
    subscribe(&mut visitor_ws, &conv, 1).await;
    let mut agent_ws = agent1.socket(&b).await;
    send_frame(
        &mut agent_ws,
        json!({"type": "view", "view": {"folder": "engaged", "filter": list_filter()}}),
    )
    .await;
    let _: Value = call_ok(
        &agent1.http,
        &a,
        "inbox/accept",
        json!({"conversation_id": conv}),
    )
    .await;
    let sent: Value = call_ok(&agent1.http, &a, "inbox/send", json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "never announced", "internal": false})).await;
    let got = messages(&mut visitor_ws, 2).await;
    assert_eq!(
        got[1],
        seen_by_the_other_side(&sent),
        "found by node B's dispatcher in the event log"
    );
    let row = loop {
        let f = next_frame(&mut agent_ws).await;
        if f["type"] == "conversation" && f["summary"]["status"] == "open" {
            break f;
        }
    };
    assert_eq!(row["summary"]["id"], conv.as_str());
    assert!(a.log().contains("TEST HOOK"), "the hook was on");
}

#[tokio::test]
async fn sigterm_closes_sockets_with_a_restart_code_and_exits() {
    let Some(db) = postgres().await else { return };
    let mut a = Node::start(&db);
    let chat = start_chat(&a, "Ida", "hello").await;
    let mut visitor_ws = visitor_socket(&a, chat["token"].as_str().unwrap()).await;
    subscribe(&mut visitor_ws, &conv_of(&chat), 1).await;
    a.sigterm();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(10), visitor_ws.next())
            .await
            .expect("a close frame")
        {
            Some(Ok(WsMessage::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("closed without a close frame: {other:?}"),
        }
    };
    assert_eq!(
        close.map(|f| u16::from(f.code)),
        Some(1012),
        "clients reconnect"
    );
    let status = a.wait_exit(Duration::from_secs(20)).expect("exited");
    assert!(status.success(), "{status:?}\n{}", a.log());
    assert!(a.log().contains("Switchboard stopped"));
}

#[tokio::test]
async fn sqlite_refuses_a_second_node() {
    let dir = std::env::temp_dir().join(format!("switchboard-nodes-{}", Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/one.db", dir.display());
    let first = Node::start(&url);
    let second = Node::spawn(&url, &[]);
    let log = second
        .err()
        .expect("a second node on one SQLite file must not start");
    assert!(log.contains("SQLite serves a single node"), "{log}");
    assert!(log.contains("PostgreSQL"), "says what to do instead: {log}");
    drop(first);
    // Once the first is gone, a node may start again on that file.
    let again = Node::start(&url);
    let res = http().get(again.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn when_the_listener_connection_drops_sockets_catch_up_from_the_database() {
    let Some(db) = postgres().await else { return };
    let (a, b) = (Node::start(&db), Node::start(&db));
    let agent1 = agent(&a, "agent1@demo.test").await;
    let chat = start_chat(&b, "Lin", "hello").await;
    let conv = conv_of(&chat);
    let mut agent_ws = agent1.socket(&a).await;
    subscribe(&mut agent_ws, &conv, 0).await;
    // Cut every node's LISTEN connection, as a network blip or a database restart would.
    let admin = Database::connect(db.as_str()).await.unwrap();
    let cut = admin
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        ))
        .await
        .unwrap();
    assert!(!cut.is_empty(), "the nodes listen");
    admin.close().await.unwrap();
    // Node A's agent is told to reload, and its stream carries on: a message written on B
    // arrives exactly once.
    let _: Value = call_ok(&http(), &b, "visitor/send", json!({"token": chat["token"], "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "after the blip"})).await;
    let mut saw_resync = false;
    let mut got = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !saw_resync || got.is_empty() {
        let f = tokio::time::timeout_at(deadline, next_frame(&mut agent_ws))
            .await
            .expect("resync and the message");
        match f["type"].as_str() {
            Some("resync") => saw_resync = true,
            Some("message") => got.push(f["message"]["body"].as_str().unwrap().to_string()),
            _ => {}
        }
    }
    assert_eq!(got, vec!["after the blip"]);
    assert_no_frame_of(&mut agent_ws, "message", 500).await;
    assert!(a.log().contains("listener"), "{}", a.log());
}

#[tokio::test]
async fn a_restarted_node_never_leaves_agents_online_with_nobody_connected() {
    let dir = std::env::temp_dir().join(format!("switchboard-restart-{}", Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/one.db", dir.display());
    let mut first = Node::start(&url);
    let agent1 = agent(&first, "agent1@demo.test").await;
    let id1 = me(&agent1, &first).await["id"].clone();
    let _ws = agent1.socket(&first).await;
    first.kill9();
    let again = Node::start(&url);
    let presence = || async {
        let list = agents(&agent1, &again).await;
        list.iter().find(|a| a["id"] == id1).unwrap()["presence"].clone()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while presence().await != "offline" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dead node's lease never ran out"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Connecting again brings the agent back.
    let _ws = agent1.socket(&again).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(presence().await, "online");
}

#[tokio::test]
async fn one_node_polls_telegram_and_another_takes_over_when_it_dies() {
    use support::providers::{Answer, FakeProvider};
    let Some(db) = postgres().await else { return };
    let fake = FakeProvider::start(|_| Answer::status(200, r#"{"ok":true,"result":[]}"#)).await;
    let env = [
        (
            "SWITCHBOARD_TELEGRAM_BOT_TOKEN",
            "7000000001:AAE-fake-bot-token",
        ),
        ("SWITCHBOARD_TELEGRAM_MODE", "polling"),
        ("SWITCHBOARD_TELEGRAM_API_URL", fake.url.as_str()),
    ];
    let start =
        |db: &str| Node::spawn(db, &env).unwrap_or_else(|log| panic!("node did not start:\n{log}"));
    let mut nodes = [start(&db), start(&db)];
    let polls = |n: &Node| n.log().contains("this node polls the providers");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !nodes.iter().any(polls) {
        assert!(std::time::Instant::now() < deadline, "nobody polls");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A standby retries every few seconds: give it time to (wrongly) take the lock too.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let pollers: Vec<bool> = nodes.iter().map(polls).collect();
    assert_eq!(
        pollers.iter().filter(|p| **p).count(),
        1,
        "exactly one node polls"
    );
    let leader = pollers.iter().position(|p| *p).unwrap();
    let standby = 1 - leader;
    assert!(
        nodes[standby].log().contains("stands by"),
        "{}",
        nodes[standby].log()
    );
    let calls = fake.calls().len();
    assert!(calls > 0, "the leader polls getUpdates");
    assert!(fake.calls().iter().all(|c| c.path.contains("/getUpdates")
        || c.path.contains("/deleteWebhook")
        || c.path.contains("/getMe")));

    // The leader dies: its connection, and the lock, go with it; the standby takes over.
    nodes[leader].kill9();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !polls(&nodes[standby]) {
        assert!(
            std::time::Instant::now() < deadline,
            "the standby did not take over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = fake.calls().len();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while fake.calls().len() == after {
        assert!(
            std::time::Instant::now() < deadline,
            "the new leader does not poll"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
