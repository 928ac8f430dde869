//! The engine against a real SQLite database: one transaction per command (state, events,
//! work), the reactor, the dispatcher, and socket sessions driven over channels.

use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};
use std::time::Duration;
use switchboard_domain::conversation::{AgentRef, Author, Command};
use switchboard_domain::{ContactDetails, ConversationStatus, MessageBody, Visibility};
use switchboard_engine::conversations::{Appended, StartKind};
use switchboard_engine::delivery::session::{self, Inbound, Outbound, Peer};
use switchboard_engine::store::entities::{conversation_event, outbox};
use switchboard_engine::{Engine, EngineConfig, Workers};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

async fn engine() -> (Engine, Workers) {
    let dir = std::env::temp_dir().join(format!("sb-engine-{}", Uuid::new_v4().simple()));
    let engine = Engine::open(EngineConfig::new(format!(
        "sqlite://{}/e.db",
        dir.display()
    )))
    .await
    .expect("open");
    let workers = engine.start();
    (engine, workers)
}

fn details(name: &str) -> ContactDetails {
    ContactDetails::parse(name, &format!("{}@example.com", name.to_lowercase()), "").unwrap()
}

/// Starts a chat and returns before routing (which follows from the outbox) has run.
async fn start_unrouted(engine: &Engine, name: &str) -> (Uuid, Uuid) {
    let s = engine
        .start_web_conversation(
            &details(name),
            &MessageBody::parse("hello").unwrap(),
            Uuid::new_v4(),
            StartKind::Chat,
            &Default::default(),
        )
        .await
        .unwrap();
    let contact = engine
        .contact_of_visitor(s.visitor_id, switchboard_engine::now())
        .await
        .unwrap()
        .unwrap()
        .id;
    (s.conversation_id, contact)
}

async fn start(engine: &Engine, name: &str) -> (Uuid, Uuid) {
    let (conversation_id, contact) = start_unrouted(engine, name).await;
    // Routing follows from the outbox: let it settle, so its status frame comes before the
    // frames a test looks for, not between them.
    for _ in 0..200 {
        if engine
            .state(conversation_id)
            .await
            .unwrap()
            .is_some_and(|st| st.deadline.is_some())
        {
            return (conversation_id, contact);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the new conversation was never routed");
}

async fn agent(engine: &Engine, email: &str) -> AgentRef {
    let p = engine
        .create_account(
            email,
            "Alex Agent",
            "long-enough",
            switchboard_wire::AgentRole::Agent,
            3,
        )
        .await
        .unwrap();
    AgentRef {
        id: p.id,
        name: p.name,
    }
}

fn say(agent: &AgentRef, text: &str, visibility: Visibility) -> Command {
    Command::Append {
        author: Author::Agent(agent.clone()),
        body: MessageBody::parse(text).unwrap(),
        visibility,
        client_msg_id: Some(Uuid::new_v4()),
    }
}

/// A socket session over channels: what the client sends, and what it receives.
struct Client {
    to_server: mpsc::Sender<Inbound>,
    from_server: mpsc::Receiver<Outbound>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Client {
    fn connect(engine: &Engine, peer: Peer) -> Client {
        let (to_server, inbound) = mpsc::channel(16);
        let (outbound, from_server) = mpsc::channel(4096);
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(session::run(
            engine.clone(),
            peer,
            None,
            outbound,
            inbound,
            shutdown.clone(),
        ));
        Client {
            to_server,
            from_server,
            shutdown,
            task,
        }
    }

    async fn send(&mut self, frame: Value) {
        self.to_server
            .send(Inbound::Text(frame.to_string()))
            .await
            .unwrap();
    }

    async fn next(&mut self) -> Outbound {
        tokio::time::timeout(Duration::from_secs(10), self.from_server.next())
            .await
            .expect("a frame in 10 s")
            .expect("open")
    }

    async fn frame(&mut self) -> Value {
        match self.next().await {
            Outbound::Text(t) => serde_json::from_str(&t).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    async fn until(&mut self, kind: &str) -> Vec<Value> {
        let mut out = vec![];
        loop {
            let f = self.frame().await;
            let done = f["type"] == kind;
            out.push(f);
            if done {
                return out;
            }
        }
    }

    async fn next_message(&mut self) -> Value {
        loop {
            let f = self.frame().await;
            if f["type"] == "message" {
                return f["message"].clone();
            }
        }
    }

    /// Frames that arrive within `ms`.
    async fn quiet_for(&mut self, ms: u64) -> Vec<Value> {
        let mut out = vec![];
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Some(Outbound::Text(t))) =
            tokio::time::timeout_at(deadline, self.from_server.next()).await
        {
            out.push(serde_json::from_str(&t).unwrap());
        }
        out
    }
}

fn seqs(frames: &[Value]) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["message"]["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_command_writes_state_events_and_work_together_and_the_reactor_routes() {
    let (engine, workers) = engine().await;
    let (conv, _) = start_unrouted(&engine, "Ada").await;
    let events = conversation_event::Entity::find()
        .filter(conversation_event::Column::ConversationId.eq(conv))
        .order_by_asc(conversation_event::Column::Revision)
        .all(&engine.db().read)
        .await
        .unwrap();
    // The start's own transaction wrote revisions 1 and 2; routing may already have added 3.
    assert_eq!(
        events
            .iter()
            .take(2)
            .map(|e| (e.revision, e.kind.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "started"), (2, "message_appended")]
    );
    // The reactor routes it from the outbox: broadcast puts it in the queue with its timer.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = engine.state(conv).await.unwrap().unwrap();
        if s.deadline.is_some() {
            assert_eq!((s.status, s.revision), (ConversationStatus::Queued, 3));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never routed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pending = outbox::Entity::find().all(&engine.db().read).await.unwrap();
    assert!(
        pending.is_empty(),
        "done work leaves the outbox: {pending:?}"
    );
    workers.stop().await;
}

#[tokio::test]
async fn a_retried_send_is_stored_once_and_a_refusal_writes_nothing() {
    let (engine, workers) = engine().await;
    let (conv, contact) = start(&engine, "Bob").await;
    let id = Uuid::new_v4();
    let cmd = Command::Append {
        author: Author::Contact {
            contact_id: contact,
            name: "Bob".into(),
            via: switchboard_domain::Channel::Web,
        },
        body: MessageBody::parse("again").unwrap(),
        visibility: Visibility::Public,
        client_msg_id: Some(id),
    };
    let first = engine.append(conv, cmd.clone()).await.unwrap();
    let again = engine.append(conv, cmd).await.unwrap();
    assert!(matches!(first, Appended::New(_)));
    assert_eq!(again, Appended::Duplicate(first.message().clone()));
    let before = engine.state(conv).await.unwrap().unwrap();
    let a = agent(&engine, "a1@demo.test").await;
    engine
        .execute(conv, Command::Close { agent: a.clone() })
        .await
        .unwrap();
    let closed = engine.state(conv).await.unwrap().unwrap();
    let refused = engine.execute(conv, Command::Close { agent: a }).await;
    assert!(
        matches!(refused, Err(switchboard_engine::EngineError::Refused(_))),
        "{refused:?}"
    );
    assert_eq!(
        engine.state(conv).await.unwrap().unwrap(),
        closed,
        "a refusal changes nothing"
    );
    assert!(closed.revision > before.revision);
    workers.stop().await;
}

#[tokio::test]
async fn a_visitor_gets_replay_then_live_messages_but_never_internal_notes() {
    let (engine, workers) = engine().await;
    let (conv, contact) = start(&engine, "Grace").await;
    let a = agent(&engine, "a2@demo.test").await;
    engine
        .execute(conv, say(&a, "first reply", Visibility::Public))
        .await
        .unwrap();
    let mut visitor = Client::connect(
        &engine,
        Peer::Visitor {
            contact_id: contact,
        },
    );
    assert_eq!(visitor.frame().await["type"], "welcome");
    visitor
        .send(json!({"type": "subscribe", "conversation_id": conv, "after_seq": 0}))
        .await;
    let replay = visitor.until("synced").await;
    assert_eq!(
        seqs(&replay),
        vec![1, 2],
        "the contact's first message, then the reply that took the chat"
    );

    let mut agent_socket = Client::connect(&engine, Peer::Agent { id: a.id });
    assert_eq!(agent_socket.frame().await["type"], "welcome");
    agent_socket
        .send(json!({"type": "subscribe", "conversation_id": conv, "after_seq": 2}))
        .await;
    agent_socket.until("synced").await;

    engine
        .execute(conv, say(&a, "only for agents", Visibility::Internal))
        .await
        .unwrap();
    engine
        .execute(conv, say(&a, "for everyone", Visibility::Public))
        .await
        .unwrap();
    assert_eq!(
        visitor.next_message().await["body"],
        "for everyone",
        "the note was skipped"
    );
    assert_eq!(agent_socket.next_message().await["body"], "only for agents");
    assert_eq!(agent_socket.next_message().await["body"], "for everyone");
    let more = visitor.quiet_for(300).await;
    assert!(seqs(&more).is_empty(), "each message once: {more:?}");
    workers.stop().await;
}

#[tokio::test]
async fn a_subscribe_beyond_the_end_is_refused_instead_of_looping() {
    let (engine, workers) = engine().await;
    let (conv, contact) = start(&engine, "Mallory").await;
    let mut visitor = Client::connect(
        &engine,
        Peer::Visitor {
            contact_id: contact,
        },
    );
    visitor.frame().await;
    // 2^64-1 once made a server replay seq 1 forever (374,198 frames in 3 s).
    visitor
        .send(json!({"type": "subscribe", "conversation_id": conv, "after_seq": u64::MAX}))
        .await;
    let f = visitor.frame().await;
    assert_eq!(
        (f["type"].as_str(), f["code"].as_str()),
        (Some("error"), Some("bad_after_seq")),
        "{f}"
    );
    let after = visitor.quiet_for(300).await;
    assert!(
        seqs(&after).is_empty() && after.len() < 3,
        "no replay at all: {after:?}"
    );
    visitor
        .send(json!({"type": "subscribe", "conversation_id": Uuid::new_v4(), "after_seq": 0}))
        .await;
    assert_eq!(visitor.frame().await["code"], "not_found");
    let (other, _) = start(&engine, "Eve").await;
    visitor
        .send(json!({"type": "subscribe", "conversation_id": other, "after_seq": 0}))
        .await;
    assert_eq!(
        visitor.frame().await["code"],
        "not_found",
        "someone else's conversation does not exist for you"
    );
    visitor.send(json!({"type": "nonsense"})).await;
    assert_eq!(visitor.frame().await["code"], "bad_frame");
    workers.stop().await;
}

#[tokio::test]
async fn events_whose_notification_was_lost_are_still_delivered() {
    let (engine, workers) = engine().await;
    let (conv, contact) = start(&engine, "Hedy").await;
    let a = agent(&engine, "a3@demo.test").await;
    let mut visitor = Client::connect(
        &engine,
        Peer::Visitor {
            contact_id: contact,
        },
    );
    visitor.frame().await;
    visitor
        .send(json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}))
        .await;
    visitor.until("synced").await;
    // As if the process failed between commit and fan-out: nobody is woken.
    engine.bus().set_silent(true);
    engine
        .execute(
            conv,
            say(&a, "committed, never announced", Visibility::Public),
        )
        .await
        .unwrap();
    let m = visitor.next_message().await;
    assert_eq!(
        m["body"], "committed, never announced",
        "the dispatcher's poll found it"
    );
    workers.stop().await;
}

#[tokio::test]
async fn a_shutdown_closes_sockets_with_a_restart_code() {
    let (engine, workers) = engine().await;
    let (_, contact) = start(&engine, "Ida").await;
    let mut visitor = Client::connect(
        &engine,
        Peer::Visitor {
            contact_id: contact,
        },
    );
    visitor.frame().await;
    visitor.shutdown.cancel();
    assert_eq!(
        visitor.next().await,
        Outbound::Close {
            code: 1012,
            reason: "server restarting"
        }
    );
    tokio::time::timeout(Duration::from_secs(5), visitor.task)
        .await
        .expect("session ended")
        .unwrap();
    workers.stop().await;
}

#[tokio::test]
async fn agents_get_row_updates_for_their_view_only() {
    let (engine, workers) = engine().await;
    let a = agent(&engine, "a4@demo.test").await;
    let mut queue_watcher = Client::connect(&engine, Peer::Agent { id: a.id });
    queue_watcher.frame().await;
    let view = json!({"folder": "queued", "filter": {"scope": {"kind": "all"}, "unread_only": false, "channel": null}});
    queue_watcher
        .send(json!({"type": "view", "view": view}))
        .await;
    let mut history_watcher = Client::connect(&engine, Peer::Agent { id: a.id });
    history_watcher.frame().await;
    let view = json!({"folder": "history", "filter": {"scope": {"kind": "all"}, "unread_only": false, "channel": null}});
    history_watcher
        .send(json!({"type": "view", "view": view}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (conv, _) = start(&engine, "Joan").await;
    let row = loop {
        let f = queue_watcher.frame().await;
        if f["type"] == "conversation" {
            break f;
        }
    };
    assert_eq!(row["summary"]["id"], conv.to_string());
    let seen = history_watcher.quiet_for(500).await;
    assert!(
        seen.iter()
            .all(|f| f["type"] != "conversation" && f["type"] != "activity"),
        "not in History: {seen:?}"
    );
    workers.stop().await;
}

#[tokio::test]
async fn a_visitor_sends_over_the_socket_once_per_client_id_and_refusals_come_back_typed() {
    let (engine, workers) = engine().await;
    let (conv, contact) = start(&engine, "Grace").await;
    let mut visitor = Client::connect(
        &engine,
        Peer::Visitor {
            contact_id: contact,
        },
    );
    visitor.frame().await;
    visitor
        .send(json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}))
        .await;
    visitor.until("synced").await;

    // Subscribed: the stored message itself comes back, with the sender's name.
    let id = Uuid::new_v4();
    visitor.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": id, "body": "over the socket"})).await;
    let m = visitor.next_message().await;
    assert_eq!(
        (
            m["body"].as_str(),
            m["client_msg_id"].as_str(),
            m["seq"].as_u64()
        ),
        (
            Some("over the socket"),
            Some(id.to_string().as_str()),
            Some(2)
        )
    );
    assert_eq!(m["sender"]["name"], "Grace");

    // The same client id again: stored once, answered with the stored message.
    visitor.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": id, "body": "over the socket"})).await;
    let f = visitor.until("sent").await.pop().unwrap();
    assert_eq!(f["message"]["seq"], 2);
    assert_eq!(
        engine
            .messages_after(conv, 0, true, 10)
            .await
            .unwrap()
            .len(),
        2
    );

    // Refused: someone else's conversation, a message too long; nothing stored.
    let (other, _) = start(&engine, "Eve").await;
    let other_id = Uuid::new_v4();
    visitor.send(json!({"type": "send", "conversation_id": other, "client_msg_id": other_id, "body": "hi"})).await;
    let f = visitor.until("send_failed").await.pop().unwrap();
    assert_eq!(f["client_msg_id"], other_id.to_string());
    assert!(f["error"]["NotFound"].is_string(), "{f}");
    let long = "x".repeat(switchboard_domain::message::BODY_MAX_CHARS + 1);
    visitor.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": long})).await;
    let f = visitor.until("send_failed").await.pop().unwrap();
    assert_eq!(f["error"]["Invalid"]["code"], "message_too_long", "{f}");
    assert_eq!(
        engine
            .messages_after(other, 0, true, 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // Agents write through the inbox, not this frame.
    let a = agent(&engine, "a5@demo.test").await;
    let mut agent_socket = Client::connect(&engine, Peer::Agent { id: a.id });
    agent_socket.frame().await;
    agent_socket.send(json!({"type": "send", "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "no"})).await;
    assert_eq!(
        agent_socket.until("send_failed").await.pop().unwrap()["error"],
        "Forbidden"
    );
    assert_eq!(
        engine
            .messages_after(conv, 0, true, 10)
            .await
            .unwrap()
            .len(),
        2
    );
    workers.stop().await;
}

/// A sink over a channel that counts its flushes (each is one socket write in the server).
struct CountingSink {
    inner: mpsc::Sender<Outbound>,
    flushes: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl futures::Sink<Outbound> for CountingSink {
    type Error = mpsc::SendError;
    fn poll_ready(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }
    fn start_send(mut self: std::pin::Pin<&mut Self>, item: Outbound) -> Result<(), Self::Error> {
        self.inner.start_send(item)
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.flushes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::pin::Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[tokio::test]
async fn frames_that_arrive_together_leave_in_one_write() {
    use std::sync::atomic::Ordering;
    let (engine, workers) = engine().await;
    let a = agent(&engine, "batch@example.com").await;
    let (to_server, inbound) = mpsc::channel::<Inbound>(16);
    let (outbound, mut from_server) = mpsc::channel(4096);
    let flushes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sink = CountingSink {
        inner: outbound,
        flushes: flushes.clone(),
    };
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(session::run(
        engine.clone(),
        Peer::Agent { id: a.id },
        None,
        sink,
        inbound,
        shutdown.clone(),
    ));
    let welcome = tokio::time::timeout(Duration::from_secs(10), from_server.next())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&welcome, Outbound::Text(t) if t.contains("welcome")),
        "{welcome:?}"
    );
    // The welcome went out on its own.
    for _ in 0..100 {
        if flushes.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(flushes.load(Ordering::SeqCst), 1);
    // Ten notices queued at once (this test's runtime has one thread: the session runs only
    // when this task waits) go out in one write.
    let frame: std::sync::Arc<str> = std::sync::Arc::from(r#"{"type":"pong"}"#);
    for _ in 0..10 {
        engine.hub().to_agent(a.id, &frame);
    }
    for _ in 0..10 {
        let got = tokio::time::timeout(Duration::from_secs(10), from_server.next())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, Outbound::Text(frame.clone()));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        flushes.load(Ordering::SeqCst),
        2,
        "one flush for the ten frames"
    );
    shutdown.cancel();
    drop(to_server);
    task.await.unwrap();
    workers.stop().await;
}
