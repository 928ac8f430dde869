//! Fuzzing (hardening): server-function arguments and socket frames made of the right field
//! names with arbitrary values (ids of things that exist, and not; huge numbers; odd
//! text; wrong shapes). Whatever comes, the answer is never a 5xx and a socket never breaks:
//! it answers each frame (or refuses it) and still answers a ping. Deterministic seeds, so a
//! failure reproduces; on SQLite.

mod support;

use futures::StreamExt;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Map, Value};
use support::*;

const FIELDS: &[&str] = &[
    "conversation_id",
    "token",
    "body",
    "client_msg_id",
    "before_seq",
    "after_seq",
    "seq",
    "to",
    "agent_id",
    "comment",
    "internal",
    "presence",
    "auto",
    "folder",
    "filter",
    "query",
    "id",
    "contact_id",
    "keep",
    "merge",
    "name",
    "email",
    "phone",
    "message",
    "start_nonce",
    "message_id",
    "view",
    "typing",
    "template",
    "params",
    "settings",
    "shortcut",
    "text",
    "shared",
    "role",
    "capacity",
    "active",
    "password",
];

/// A value for any field: real ids and tokens sometimes, anything else otherwise.
fn value(known: Vec<Value>) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "[a-z_]{1,12}".prop_map(Value::from),
        proptest::sample::select(known),
        Just(json!("x".repeat(6_000))),
        Just(json!("\u{202e}\u{0000}\u{feff}")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                proptest::sample::select(FIELDS).prop_map(str::to_string),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Arguments: a few of the known field names, each with any value.
fn arguments(known: Vec<Value>) -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(proptest::sample::select(FIELDS), value(known), 0..6).prop_map(
        |m| {
            Value::Object(
                m.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Map<_, _>>(),
            )
        },
    )
}

fn draw<S: Strategy>(runner: &mut TestRunner, s: &S) -> S::Value {
    s.new_tree(runner).expect("a value").current()
}

#[tokio::test]
async fn arbitrary_server_function_arguments_never_cause_a_fault() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    let admin = agent(&server, "admin@demo.test").await;
    let chat = start_chat(&server, "Ada", "hello").await;
    let known = vec![
        chat["conversation_id"].clone(),
        chat["token"].clone(),
        json!(uuid::Uuid::new_v4()),
        json!("engaged"),
        json!({"scope": {"kind": "all"}, "unread_only": false, "channel": null}),
        json!("sms"),
        json!(u64::MAX),
    ];
    let strategy = arguments(known);
    let mut runner = TestRunner::deterministic();
    let mut faults = vec![];
    for round in 0..12 {
        for endpoint in SERVER_FUNCTIONS {
            let args = draw(&mut runner, &strategy);
            let client = if round % 2 == 0 { &admin.http } else { &http() };
            let (status, text) = post_raw(client, &server, endpoint, &args.to_string()).await;
            if status >= 500 {
                faults.push(format!("{endpoint} {status} {}: {text}", clip(&args)));
            }
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
    server.stop().await;
}

fn clip(v: &Value) -> String {
    v.to_string().chars().take(300).collect()
}

/// Frames a client might send: the known types with arbitrary fields, or anything at all.
fn frames(known: Vec<Value>) -> impl Strategy<Value = String> {
    let kinds = proptest::sample::select(vec![
        "subscribe",
        "unsubscribe",
        "view",
        "send",
        "typing",
        "ping",
        "hello",
        "nonsense",
    ]);
    prop_oneof![
        4 => (kinds, arguments(known)).prop_map(|(kind, mut args)| {
            args["type"] = json!(kind);
            args.to_string()
        }),
        1 => ".{0,200}",
    ]
}

async fn fuzz_socket(
    ws: &mut Socket,
    runner: &mut TestRunner,
    strategy: &impl Strategy<Value = String>,
) {
    for _ in 0..150 {
        let frame = draw(runner, strategy);
        use futures::SinkExt;
        ws.send(tokio_tungstenite::tungstenite::Message::Text(frame.into()))
            .await
            .expect("the socket takes frames");
    }
    // Still serving: a ping is answered (whatever else arrives first, all of it JSON).
    send_frame(ws, json!({"type": "ping"})).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("a pong in time")
            .expect("the socket stays open")
            .expect("a frame");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = &msg {
            let f: Value = serde_json::from_str(t.as_str()).expect("frames are JSON");
            if f["type"] == "pong" {
                return;
            }
        }
        assert!(
            !matches!(msg, tokio_tungstenite::tungstenite::Message::Close(_)),
            "closed: {msg:?}"
        );
    }
}

#[tokio::test]
async fn arbitrary_socket_frames_never_break_a_socket_or_the_server() {
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start(&url).await;
    let a = agent(&server, "agent1@demo.test").await;
    let chat = start_chat(&server, "Ada", "hello").await;
    let known = vec![
        chat["conversation_id"].clone(),
        json!(uuid::Uuid::new_v4()),
        json!(u64::MAX),
        json!({"folder": "engaged", "filter": {"scope": {"kind": "all"}, "unread_only": false, "channel": null}}),
    ];
    let strategy = frames(known);
    let mut runner = TestRunner::deterministic();
    let mut agent_ws = a.socket(&server).await;
    fuzz_socket(&mut agent_ws, &mut runner, &strategy).await;
    let mut visitor_ws = visitor_socket(&server, chat["token"].as_str().unwrap()).await;
    fuzz_socket(&mut visitor_ws, &mut runner, &strategy).await;
    // A frame over 64 KiB is not read: that socket closes (the client reconnects), the
    // server goes on.
    send_frame(
        &mut agent_ws,
        json!({"type": "send", "body": "x".repeat(70_000)}),
    )
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, agent_ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None | Some(Err(_)) => {
                break
            }
            Some(Ok(_)) => continue,
        }
    }
    let health = http().get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let mut again = a.socket(&server).await;
    send_frame(&mut again, json!({"type": "ping"})).await;
    assert_eq!(next_of(&mut again, "pong").await["type"], "pong");
    server.stop().await;
}
