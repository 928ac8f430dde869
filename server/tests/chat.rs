//! The foundation's promises, over HTTP and websocket against real servers, on every backend.

mod support;

use serde_json::{json, Value};
use support::*;
use uuid::Uuid;

fn all() -> Value {
    json!({"scope": {"kind": "all"}, "unread_only": false, "channel": null})
}

fn conv_id(chat: &Value) -> String {
    chat["conversation_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn health_check_answers_when_the_database_is_reachable() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let res = http().get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{backend}");
        assert_eq!(res.text().await.unwrap(), "ok");
    }
}

#[tokio::test]
async fn pages_and_widget_loader_are_served() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let demo = http().get(server.url("/demo")).send().await.unwrap();
        assert_eq!(demo.status(), 200, "{backend}");
        assert!(demo
            .text()
            .await
            .unwrap()
            .contains(r#"<script src="/widget.js""#));
        for path in ["/login", "/widget"] {
            let page = http().get(server.url(path)).send().await.unwrap();
            assert_eq!(page.status(), 200, "{backend} {path}");
        }
        let missing = http()
            .get(server.url("/no-such-page"))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404, "{backend}");
    }
}

#[tokio::test]
async fn agent_functions_and_socket_refuse_anonymous_users() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let anon = http();
        let (status, body) = call(
            &anon,
            &server,
            "inbox/list",
            json!({"folder": "engaged", "filter": all()}),
        )
        .await;
        assert_eq!(status, 401, "{backend}: {body}");
        assert_eq!(body, json!("Unauthorized"));
        let (status, _) = call(&anon, &server, "inbox/send", json!({
            "conversation_id": Uuid::new_v4(), "client_msg_id": Uuid::new_v4(), "body": "hi", "internal": false
        })).await;
        assert_eq!(status, 401, "{backend}");
        let me: Option<Value> = call_ok(&anon, &server, "auth/me", json!({})).await;
        assert_eq!(me, None);
        assert!(
            connect_ws(&server.ws_url("/ws/agent"), None).await.is_err(),
            "{backend}: socket must refuse"
        );
    }
}

#[tokio::test]
async fn sign_in_survives_a_restart_and_sign_out_ends_it() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let bad = AgentClient::anonymous();
        let status = login(&bad.http, &server, "agent1@demo.test", "wrong-password").await;
        assert_eq!(status, 422, "{backend}");
        let (status, _) = call(
            &bad.http,
            &server,
            "inbox/list",
            json!({"folder": "engaged", "filter": all()}),
        )
        .await;
        assert_eq!(status, 401, "{backend}: failed login grants nothing");

        let a = agent(&server, "agent1@demo.test").await;
        let me: Option<Value> = call_ok(&a.http, &server, "auth/me", json!({})).await;
        assert_eq!(me.unwrap()["email"], "agent1@demo.test");

        // Restart on the same port and database: the session is in the database.
        let (addr, db) = server.stop().await;
        let server = TestServer::start_on(&db, &addr.to_string()).await;
        let me: Option<Value> = call_ok(&a.http, &server, "auth/me", json!({})).await;
        assert_eq!(
            me.unwrap()["email"],
            "agent1@demo.test",
            "{backend}: session survived restart"
        );

        let (status, _) = call(&a.http, &server, "auth/logout", json!({})).await;
        assert!(status == 200 || status == 302, "{backend}: logout {status}");
        let me: Option<Value> = call_ok(&a.http, &server, "auth/me", json!({})).await;
        assert_eq!(me, None, "{backend}: signed out");
    }
}

#[tokio::test]
async fn visitor_chat_is_durable_and_retries_are_stored_once() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let chat = start_chat(&server, "Ada", "Hello, is my order shipped?").await;
        let token = chat["token"].as_str().unwrap().to_string();
        let conv = conv_id(&chat);
        assert_eq!(chat["status"], "queued");
        assert_eq!(chat["messages"].as_array().unwrap().len(), 1);
        assert_eq!(chat["messages"][0]["seq"], 1);

        let client_msg_id = Uuid::new_v4();
        let send = json!({"token": token, "conversation_id": conv, "client_msg_id": client_msg_id, "body": "Order #42"});
        let first: Value = call_ok(&http(), &server, "visitor/send", send.clone()).await;
        let again: Value = call_ok(&http(), &server, "visitor/send", send.clone()).await;
        assert_eq!(
            first, again,
            "{backend}: a retried send returns the stored message"
        );
        assert_eq!(first["seq"], 2);

        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        let resumed = resumed.unwrap();
        let bodies: Vec<&str> = resumed["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        assert_eq!(
            bodies,
            vec!["Hello, is my order shipped?", "Order #42"],
            "{backend}: stored once, in order"
        );
    }
}

#[tokio::test]
async fn bad_input_gets_a_clear_error() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (status, body) = call(&http(), &server, "visitor/start", json!({
            "name": "Ada", "email": "not-an-email", "phone": "", "message": "hi", "client_msg_id": Uuid::new_v4()
        })).await;
        assert_eq!(status, 422, "{backend}");
        assert_eq!(body["Invalid"]["code"], "email_invalid", "{body}");
        assert!(
            body["Invalid"]["message"]
                .as_str()
                .unwrap()
                .contains("email"),
            "{body}"
        );

        let chat = start_chat(&server, "Bob", "hi").await;
        let (status, body) = call(&http(), &server, "visitor/send", json!({
            "token": chat["token"], "conversation_id": conv_id(&chat), "client_msg_id": Uuid::new_v4(), "body": "   "
        })).await;
        assert_eq!(status, 422, "{backend}");
        assert_eq!(body["Invalid"]["code"], "message_empty", "{body}");
        // Arguments that are not the endpoint's JSON: a typed 400, nothing stored.
        let res = http()
            .post(server.url("/api/visitor/send"))
            .header("content-type", "application/json")
            .body("{\"token\": 1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{backend}");
        let body: Value = res.json().await.unwrap();
        assert!(body["BadRequest"].is_string(), "{body}");

        // A forged or foreign token reads and writes nothing.
        let forged = "v1.00000000000000000000000000000000.AAAA";
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": forged})).await;
        assert_eq!(resumed, None);
        let (status, _) = call(&http(), &server, "visitor/send", json!({
            "token": forged, "conversation_id": conv_id(&chat), "client_msg_id": Uuid::new_v4(), "body": "x"
        })).await;
        assert_eq!(status, 401, "{backend}");
        let other = start_chat(&server, "Eve", "hello").await;
        let (status, _) = call(&http(), &server, "visitor/send", json!({
            "token": other["token"], "conversation_id": conv_id(&chat), "client_msg_id": Uuid::new_v4(), "body": "x"
        })).await;
        assert_eq!(status, 404, "{backend}: another visitor's conversation");
        assert!(
            connect_ws(&server.ws_url(&format!("/ws/visitor?token={forged}")), None)
                .await
                .is_err()
        );
    }
}

#[tokio::test]
async fn messages_flow_live_both_ways_and_notes_stay_internal() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let mut agent_ws = a.socket(&server).await;
        // The inbox says which folder is on screen; live rows follow it.
        send_frame(
            &mut agent_ws,
            json!({"type": "view", "view": {"folder": "queued", "filter": all()}}),
        )
        .await;

        let chat = start_chat(&server, "Grace", "My parcel is late").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();

        // The inbox row appears live.
        let row = loop {
            let f = next_frame(&mut agent_ws).await;
            if f["type"] == "conversation" {
                break f["summary"].clone();
            }
        };
        assert_eq!(row["id"], conv.as_str(), "{backend}");
        assert_eq!(row["contact_name"], "Grace");
        assert_eq!(row["status"], "queued");

        send_frame(
            &mut agent_ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 0}),
        )
        .await;
        let replay = frames_until(&mut agent_ws, "synced").await;
        assert_eq!(seqs(&replay), vec![1]);

        let mut visitor_ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut visitor_ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}),
        )
        .await;
        let replay = frames_until(&mut visitor_ws, "synced").await;
        assert_eq!(
            seqs(&replay),
            Vec::<u64>::new(),
            "{backend}: nothing missed yet"
        );

        // Agent replies: the visitor sees it live; replying took the conversation.
        let reply: Value = call_ok(&a.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "Let me check.", "internal": false
        })).await;
        let got = next_message(&mut visitor_ws).await;
        assert_eq!(got, seen_by_the_other_side(&reply), "{backend}");
        assert_eq!(got["sender"]["kind"], "agent");

        // An internal note reaches agents only.
        let note: Value = call_ok(&a.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "VIP customer", "internal": true
        })).await;
        assert_eq!(note["visibility"], "internal");
        // The visitor writes; it arrives at the agent live, with the note before it.
        let v: Value = call_ok(&http(), &server, "visitor/send", json!({
            "token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "Thanks!"
        })).await;
        let mut agent_seen = vec![];
        while agent_seen.len() < 3 {
            agent_seen.push(
                next_message(&mut agent_ws).await["body"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        assert_eq!(
            agent_seen,
            vec!["Let me check.", "VIP customer", "Thanks!"],
            "{backend}"
        );
        assert_eq!(
            next_message(&mut visitor_ws).await,
            v,
            "{backend}: visitor gets its own echo, not the note"
        );

        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        let bodies: Vec<String> = resumed.unwrap()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().into())
            .collect();
        assert!(
            !bodies.contains(&"VIP customer".to_string()),
            "{backend}: note hidden from history"
        );

        let detail: Value = call_ok(
            &a.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(detail["summary"]["status"], "open");
        assert_eq!(detail["summary"]["assignee_name"], "Alex Agent");
        assert_eq!(detail["page"]["messages"].as_array().unwrap().len(), 4);
    }
}

#[tokio::test]
async fn a_reconnecting_client_gets_exactly_what_it_missed() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent2@demo.test").await;
        let chat = start_chat(&server, "Linus", "one").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();
        for body in ["two", "three"] {
            let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
                "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": body, "internal": false
            })).await;
        }
        let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "secret", "internal": true
        })).await;
        let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "five", "internal": false
        })).await;

        // The visitor saw up to seq 2 before it dropped: it gets 3 and 5, in order, not the note.
        let mut ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 2}),
        )
        .await;
        let frames = frames_until(&mut ws, "synced").await;
        assert_eq!(seqs(&frames), vec![3, 5], "{backend}");
        assert_eq!(frames.last().unwrap()["seq"], 5);

        // Live messages continue after the replay, once each.
        let six: Value = call_ok(&http(), &server, "visitor/send", json!({
            "token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "six"
        })).await;
        assert_eq!(next_message(&mut ws).await, six);
        assert_no_frame_of(&mut ws, "message", 300).await;

        // Subscribing to someone else's conversation is refused.
        let other = start_chat(&server, "Mallory", "hi").await;
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv_id(&other), "after_seq": 0}),
        )
        .await;
        let f = next_frame_but_status(&mut ws).await;
        assert_eq!(f["type"], "error", "{backend}: {f}");
    }
}

#[tokio::test]
async fn concurrent_sends_get_gap_free_unique_sequences() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Ken", "start").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();
        let mut tasks = vec![];
        for i in 0..24 {
            let (agent_http, base, token, conv) = (
                a.http.clone(),
                server.url("/api/"),
                token.clone(),
                conv.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let (endpoint, body) = if i % 2 == 0 {
                    ("inbox/send", json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": format!("a{i}"), "internal": false}))
                } else {
                    ("visitor/send", json!({"token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": format!("v{i}")}))
                };
                let res = agent_http.post(format!("{base}{endpoint}")).json(&body).send().await.unwrap();
                assert_eq!(res.status(), 200);
                res.json::<Value>().await.unwrap()["seq"].as_u64().unwrap()
            }));
        }
        let mut got: Vec<u64> = vec![];
        for t in tasks {
            got.push(t.await.unwrap());
        }
        got.sort();
        assert_eq!(got, (2..=25).collect::<Vec<u64>>(), "{backend}");
    }
}

#[tokio::test]
async fn nothing_is_lost_or_duplicated_across_a_server_restart() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Barbara", "before restart").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();
        let mut ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}),
        )
        .await;
        frames_until(&mut ws, "synced").await;
        let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "seen live", "internal": false
        })).await;
        assert_eq!(next_message(&mut ws).await["seq"], 2);

        let (addr, db) = server.stop().await;
        drop(ws);
        let server = TestServer::start_on(&db, &addr.to_string()).await;
        // Written while the visitor was disconnected, retried once by a client that never saw the answer.
        let id = Uuid::new_v4();
        for _ in 0..2 {
            let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
                "conversation_id": conv, "client_msg_id": id, "body": "while you were away", "internal": false
            })).await;
        }
        let mut ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 2}),
        )
        .await;
        let frames = frames_until(&mut ws, "synced").await;
        assert_eq!(seqs(&frames), vec![3], "{backend}");
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        let seq_list: Vec<u64> = resumed.unwrap()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seq_list, vec![1, 2, 3], "{backend}");
    }
}

#[tokio::test]
async fn closing_keeps_history_and_a_new_message_reopens() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Margaret", "question").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();
        let mut visitor_ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut visitor_ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}),
        )
        .await;
        frames_until(&mut visitor_ws, "synced").await;

        let closed: Value = call_ok(
            &a.http,
            &server,
            "inbox/close",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(closed["status"], "closed", "{backend}");
        let (status, _) = call(
            &a.http,
            &server,
            "inbox/close",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(status, 409, "{backend}: closing twice is a conflict");
        // Status frames carry the revision (routing's "queued" may come first): the newest says closed.
        let mut newest = 0;
        let status_frame = loop {
            let f = next_frame(&mut visitor_ws).await;
            if f["type"] == "status" {
                let revision = f["revision"].as_u64().unwrap();
                assert!(
                    revision >= newest,
                    "{backend}: status frames never go back: {f}"
                );
                newest = revision;
                if f["status"] == "closed" {
                    break f;
                }
            }
        };
        assert!(
            status_frame["revision"].as_u64() >= closed["revision"].as_u64(),
            "{backend}"
        );

        let history: Vec<Value> = call_ok::<FolderPage>(
            &a.http,
            &server,
            "inbox/list",
            json!({"folder": "history", "filter": all()}),
        )
        .await
        .rows;
        assert!(
            history.iter().any(|r| r["summary"]["id"] == conv.as_str()),
            "{backend}: in History"
        );
        let engaged: Vec<Value> = call_ok::<FolderPage>(
            &a.http,
            &server,
            "inbox/list",
            json!({"folder": "engaged", "filter": all()}),
        )
        .await
        .rows;
        assert!(!engaged.iter().any(|r| r["summary"]["id"] == conv.as_str()));

        let _: Value = call_ok(&http(), &server, "visitor/send", json!({
            "token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "one more thing"
        })).await;
        let queued: Vec<Value> = call_ok::<FolderPage>(
            &a.http,
            &server,
            "inbox/list",
            json!({"folder": "queued", "filter": all()}),
        )
        .await
        .rows;
        let row = queued
            .iter()
            .find(|r| r["summary"]["id"] == conv.as_str())
            .expect("reopened into the queue");
        assert_eq!(row["summary"]["status"], "queued", "{backend}");
        let detail: Value = call_ok(
            &a.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(
            detail["page"]["messages"].as_array().unwrap().len(),
            3,
            "{backend}: whole history kept"
        );
    }
}

#[tokio::test]
async fn a_conversation_opens_on_its_latest_page_and_older_messages_load_on_request() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Paula", "m1").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();
        // 120 messages in all: the first, 110 visitor messages, 9 internal notes.
        for i in 2..=120 {
            if i % 12 == 0 {
                let _: Value = call_ok(&a.http, &server, "inbox/send", json!({
                    "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": format!("note{i}"), "internal": true
                })).await;
            } else {
                let _: Value = call_ok(&http(), &server, "visitor/send", json!({
                    "token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": format!("m{i}")
                })).await;
            }
        }
        let seqs_of = |page: &Value| {
            page["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["seq"].as_u64().unwrap())
                .collect::<Vec<_>>()
        };
        let detail: Value = call_ok(
            &a.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(
            seqs_of(&detail["page"]),
            (71..=120).collect::<Vec<_>>(),
            "{backend}: the latest 50, oldest first"
        );
        assert_eq!(detail["page"]["has_older"], true);
        let older: Value = call_ok(
            &a.http,
            &server,
            "inbox/history",
            json!({"conversation_id": conv, "before_seq": 71}),
        )
        .await;
        assert_eq!(seqs_of(&older), (21..=70).collect::<Vec<_>>(), "{backend}");
        let oldest: Value = call_ok(
            &a.http,
            &server,
            "inbox/history",
            json!({"conversation_id": conv, "before_seq": 21}),
        )
        .await;
        assert_eq!(seqs_of(&oldest), (1..=20).collect::<Vec<_>>());
        assert_eq!(oldest["has_older"], false, "{backend}: that was all");

        // The visitor pages through public messages only.
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        let resumed = resumed.unwrap();
        let first_page = seqs_of(&resumed);
        assert_eq!(first_page.len(), 50);
        assert!(
            first_page.iter().all(|s| s % 12 != 0),
            "{backend}: no internal notes"
        );
        assert_eq!(resumed["has_older"], true);
        let before = first_page[0];
        let older: Value = call_ok(
            &http(),
            &server,
            "visitor/history",
            json!({"token": token, "conversation_id": conv, "before_seq": before}),
        )
        .await;
        assert!(seqs_of(&older).iter().all(|s| *s < before && s % 12 != 0));
        let other = start_chat(&server, "Quentin", "hi").await;
        let (status, _) = call(
            &http(),
            &server,
            "visitor/history",
            json!({"token": other["token"], "conversation_id": conv, "before_seq": 50}),
        )
        .await;
        assert_eq!(status, 404, "{backend}: not someone else's history");
    }
}

#[tokio::test]
async fn a_subscribe_past_the_end_is_refused_and_does_not_flood_the_socket() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let chat = start_chat(&server, "Mallory", "hello").await;
        let mut ws = visitor_socket(&server, chat["token"].as_str().unwrap()).await;
        // 2^64-1 once became a negative seq and replayed seq 1 forever (374,198 frames in 3 s).
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv_id(&chat), "after_seq": u64::MAX}),
        )
        .await;
        let f = next_frame_but_status(&mut ws).await;
        assert_eq!(
            (f["type"].as_str(), f["code"].as_str()),
            (Some("error"), Some("bad_after_seq")),
            "{backend}: {f}"
        );
        assert_no_frame_of(&mut ws, "message", 1000).await;
        // The socket still works.
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv_id(&chat), "after_seq": 0}),
        )
        .await;
        assert_eq!(
            seqs(&frames_until(&mut ws, "synced").await),
            vec![1],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_visitor_writes_on_the_socket_and_the_agent_gets_it_once() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Ida", "hello").await;
        let conv = conv_id(&chat);
        let token = chat["token"].as_str().unwrap().to_string();
        let mut agent_ws = a.socket(&server).await;
        send_frame(
            &mut agent_ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}),
        )
        .await;
        frames_until(&mut agent_ws, "synced").await;
        let mut ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 1}),
        )
        .await;
        frames_until(&mut ws, "synced").await;

        // The stored message comes back to the visitor (its acknowledgement) and reaches the agent.
        let id = Uuid::new_v4();
        send_frame(&mut ws, json!({"type": "send", "conversation_id": conv, "client_msg_id": id, "body": "on the socket"})).await;
        let echoed = next_message(&mut ws).await;
        assert_eq!(
            (echoed["body"].as_str(), echoed["seq"].as_u64()),
            (Some("on the socket"), Some(2)),
            "{backend}"
        );
        assert_eq!(
            next_message(&mut agent_ws).await,
            seen_by_the_other_side(&echoed),
            "{backend}"
        );

        // The widget's HTTP fallback with the same id (an answer that got lost): stored once.
        let again: Value = call_ok(&http(), &server, "visitor/send", json!({
            "token": token, "conversation_id": conv, "client_msg_id": id, "body": "on the socket"
        })).await;
        assert_eq!(again, echoed, "{backend}");
        assert_no_frame_of(&mut agent_ws, "message", 300).await;

        // A refusal comes back on the socket, with the error HTTP would give.
        send_frame(&mut ws, json!({"type": "send", "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "  "})).await;
        let refused = frames_until(&mut ws, "send_failed").await.pop().unwrap();
        assert_eq!(
            refused["error"]["Invalid"]["code"], "message_empty",
            "{backend}: {refused}"
        );
        server.shutdown().await;
    }
}
