//! Routing and the inbox workflow against real servers, on every backend: the accept race,
//! timers (expiry, re-route, firing after downtime), decline, transfer privacy, invite,
//! presence, reports, offline leads and queue position.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::*;
use uuid::Uuid;

fn id_of(v: &Value) -> String {
    v.as_str()
        .map(String::from)
        .unwrap_or_else(|| v["id"].as_str().unwrap().to_string())
}

/// Agents 1 and 2 Online; the admin signed in but Offline (so it takes no chats).
async fn team(server: &impl Endpoint) -> (AgentClient, AgentClient, AgentClient) {
    let admin = agent(server, "admin@demo.test").await;
    set_presence(&admin, server, "offline").await;
    (
        admin,
        agent(server, "agent1@demo.test").await,
        agent(server, "agent2@demo.test").await,
    )
}

#[tokio::test]
async fn two_agents_starting_the_same_chat_at_once_one_wins() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, a1, a2) = team(&server).await;
        for round in 0..4 {
            let chat = start_chat(&server, &format!("Racer {round}"), "who takes me?").await;
            let conv = chat["conversation_id"].as_str().unwrap().to_string();
            let body = json!({"conversation_id": conv});
            let (r1, r2) = tokio::join!(
                call(&a1.http, &server, "inbox/accept", body.clone()),
                call(&a2.http, &server, "inbox/accept", body.clone()),
            );
            let mut statuses = [r1.0, r2.0];
            statuses.sort();
            assert_eq!(
                statuses,
                [200, 409],
                "{backend} round {round}: {r1:?} {r2:?}"
            );
            let loser = if r1.0 == 409 { &r1.1 } else { &r2.1 };
            assert_eq!(loser["Conflict"]["code"], "already_taken", "{loser}");
            let winner = if r1.0 == 200 {
                me(&a1, &server).await
            } else {
                me(&a2, &server).await
            };
            let s = summary(&admin, &server, &conv).await;
            assert_eq!(s["status"], "open");
            assert_eq!(s["assignee_id"], winner["id"], "{backend}");
        }
    }
}

#[tokio::test]
async fn time_based_routing_offers_by_load_and_reroutes_when_the_timer_lapses() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, a1, a2) = team(&server).await;
        configure(&admin, &server, |s| {
            s["mode"] = json!("time_based");
            s["accept_timeout_secs"] = json!(5);
        })
        .await;
        let (id1, id2) = (
            me(&a1, &server).await["id"].clone(),
            me(&a2, &server).await["id"].clone(),
        );

        let mut agent_ws = a1.socket(&server).await;
        let chat = start_chat(&server, "Timed", "offer me").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let first = wait_for(&admin, &server, &conv, 5, |s| s["status"] == "offered").await;
        let first_agent = first["offered_to"].clone();
        assert!(
            first_agent == id1 || first_agent == id2,
            "{backend}: offered to an Online agent"
        );
        assert!(first["deadline"].as_i64().unwrap() > first["queued_at"].as_i64().unwrap());
        if first_agent == id1 {
            let notice = loop {
                let f = next_frame(&mut agent_ws).await;
                if f["type"] == "notice" {
                    break f;
                }
            };
            assert!(
                notice["text"].as_str().unwrap().contains("Timed"),
                "{backend}: the offered agent is told"
            );
        }

        // Nobody accepts: after the acceptance time it goes to the other agent, never back.
        let second = wait_for(&admin, &server, &conv, 15, |s| {
            s["status"] == "offered" && s["offered_to"] != first_agent
        })
        .await;
        assert_eq!(
            second["passed_by"],
            json!([first_agent]),
            "{backend}: counted as missed"
        );
        let second_agent = second["offered_to"].clone();
        let taker = if second_agent == id1 { &a1 } else { &a2 };
        let other = if second_agent == id1 { &a2 } else { &a1 };
        // The agent who missed it can no longer accept it.
        let (status, _) = call(
            &other.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(status, 409, "{backend}");
        let _: Value = call_ok(
            &taker.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;

        // The next chat goes to the less loaded agent (the one with no chat).
        let chat2 = start_chat(&server, "Second", "me too").await;
        let conv2 = chat2["conversation_id"].as_str().unwrap().to_string();
        let s2 = wait_for(&admin, &server, &conv2, 5, |s| s["status"] == "offered").await;
        assert_eq!(
            s2["offered_to"], first_agent,
            "{backend}: least loaded by share of capacity"
        );

        // Declining sends it straight to the other agent.
        let decliner = if first_agent == id1 { &a1 } else { &a2 };
        let _: Value = call_ok(
            &decliner.http,
            &server,
            "inbox/decline",
            json!({"conversation_id": conv2}),
        )
        .await;
        let s2 = wait_for(&admin, &server, &conv2, 3, |s| s["status"] == "offered").await;
        assert_eq!(
            s2["offered_to"], second_agent,
            "{backend}: declined goes to the other agent"
        );

        let report: Value = call_ok(
            &admin.http,
            &server,
            "admin/report",
            json!({"from": 0, "to": 4_000_000_000_000i64}),
        )
        .await;
        let missed: u64 = report["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["missed"].as_u64().unwrap())
            .sum();
        assert_eq!(
            missed, 1,
            "{backend}: one lapsed offer in the report: {report}"
        );
    }
}

/// Reads a conversation's `missed` flag straight from the database (no server running).
async fn missed_in_database(db_url: &str, conversation_id: &str) -> bool {
    use sea_orm::{ConnectionTrait, Database, Statement};
    let db = Database::connect(db_url).await.expect("database");
    let backend = db.get_database_backend();
    let id = Uuid::parse_str(conversation_id).unwrap();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "SELECT missed FROM conversations WHERE id = $1",
        _ => "SELECT missed FROM conversations WHERE id = ?",
    };
    let row = db
        .query_one(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap()
        .expect("row");
    let missed: bool = row.try_get("", "missed").unwrap();
    db.close().await.unwrap();
    missed
}

#[tokio::test]
async fn a_timer_due_during_downtime_fires_once_at_start() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, _a1, _a2) = team(&server).await;
        configure(&admin, &server, |s| s["queue_timeout_secs"] = json!(5)).await;
        let chat = start_chat(&server, "Patient", "anyone?").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let token = chat["token"].as_str().unwrap().to_string();
        // Routing puts it in the queue (right after the start commits) with its timer.
        let s = wait_for(&admin, &server, &conv, 5, |s| s["deadline"].is_i64()).await;
        assert_eq!(s["status"], "queued");
        let deadline = s["deadline"].as_i64().expect("queue timer running");

        let (addr, db) = server.stop().await;
        // Stay down past the deadline.
        let now = switchboard_engine::now();
        tokio::time::sleep(Duration::from_millis((deadline - now + 800).max(0) as u64)).await;
        // Nothing of the stopped server fired it meanwhile.
        assert!(
            !missed_in_database(&db, &conv).await,
            "{backend}: a stopped server fired a timer"
        );
        let server = TestServer::start_on(&db, &addr.to_string()).await;
        let s = wait_for(&admin, &server, &conv, 5, |s| s["missed"] == true).await;
        assert_eq!(s["status"], "queued", "{backend}: stays queued, flagged");
        assert_eq!(s["deadline"], Value::Null);
        // A few more ticks must not fire it again.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
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
        assert_eq!(sorry, 1, "{backend}: the visitor is told once");
        let queued: Vec<Value> = call_ok::<FolderPage>(
            &admin.http,
            &server,
            "inbox/list",
            json!({"folder": "queued", "filter": list_filter()}),
        )
        .await
        .rows;
        assert!(queued
            .iter()
            .any(|r| r["summary"]["id"] == conv.as_str() && r["summary"]["missed"] == true));
        // The queue is the team's: the "mine" scope (the inbox's default) does not hide it.
        let mine = json!({"scope": {"kind": "mine"}, "unread_only": false, "channel": null});
        let queued: Vec<Value> = call_ok::<FolderPage>(
            &admin.http,
            &server,
            "inbox/list",
            json!({"folder": "queued", "filter": mine}),
        )
        .await
        .rows;
        assert!(
            queued.iter().any(|r| r["summary"]["id"] == conv.as_str()),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_offline_lead_policy_turns_an_unanswered_request_into_a_lead() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, _a1, _a2) = team(&server).await;
        configure(&admin, &server, |s| {
            s["queue_timeout_secs"] = json!(5);
            s["missed_policy"] = json!("offline_lead");
        })
        .await;
        let chat = start_chat(&server, "Late", "hello?").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let s = wait_for(&admin, &server, &conv, 12, |s| s["status"] == "closed").await;
        assert_eq!(s["lead"], true, "{backend}");
        let leads: Vec<Value> = call_ok::<FolderPage>(
            &admin.http,
            &server,
            "inbox/list",
            json!({"folder": "leads", "filter": list_filter()}),
        )
        .await
        .rows;
        assert!(
            leads.iter().any(|r| r["summary"]["id"] == conv.as_str()),
            "{backend}: in Leads"
        );
    }
}

#[tokio::test]
async fn transfer_comments_never_reach_the_visitor() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, a1, a2) = team(&server).await;
        let chat = start_chat(&server, "Vera", "please help").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let token = chat["token"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;

        let mut visitor_ws = visitor_socket(&server, &token).await;
        send_frame(
            &mut visitor_ws,
            json!({"type": "subscribe", "conversation_id": conv, "after_seq": 0}),
        )
        .await;
        frames_until(&mut visitor_ws, "synced").await;
        let mut a2_ws = a2.socket(&server).await;

        // Transfer to someone Offline is refused with a reason.
        let admin_id = me(&admin, &server).await["id"].clone();
        let (status, body) = call(
            &a1.http,
            &server,
            "inbox/transfer",
            json!({"conversation_id": conv, "to": admin_id, "comment": "x"}),
        )
        .await;
        assert_eq!(status, 422, "{backend}");
        assert_eq!(body["Invalid"]["code"], "not_online", "{body}");

        let a2_id = me(&a2, &server).await["id"].clone();
        let moved: Value = call_ok(
            &a1.http,
            &server,
            "inbox/transfer",
            json!({
                "conversation_id": conv, "to": a2_id, "comment": "VIP customer, refund approved"
            }),
        )
        .await;
        assert_eq!(moved["assignee_id"], a2_id, "{backend}");
        let notice = loop {
            let f = next_frame(&mut a2_ws).await;
            if f["type"] == "notice" {
                break f;
            }
        };
        assert!(
            notice["text"]
                .as_str()
                .unwrap()
                .contains("transferred to you"),
            "{backend}: target notified"
        );

        // The target writes; the visitor gets that message and nothing of the transfer.
        let reply: Value = call_ok(&a2.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "Hi, Sam here.", "internal": false
        })).await;
        let mut seen = vec![];
        loop {
            let m = next_message(&mut visitor_ws).await;
            seen.push(m["body"].as_str().unwrap().to_string());
            if m["id"] == reply["id"] {
                break;
            }
        }
        assert!(
            !seen.iter().any(|b| b.contains("VIP")),
            "{backend}: comment leaked: {seen:?}"
        );
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        assert!(
            !resumed.unwrap()["messages"].to_string().contains("VIP"),
            "{backend}: comment in visitor history"
        );
        let detail: Value = call_ok(
            &a2.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": conv}),
        )
        .await;
        let note = detail["page"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["body"].as_str().unwrap().contains("VIP"))
            .unwrap();
        assert_eq!(
            note["visibility"], "internal",
            "{backend}: agents see the comment as internal"
        );
    }
}

#[tokio::test]
async fn invite_brings_a_colleague_into_the_room() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (_admin, a1, a2) = team(&server).await;
        let chat = start_chat(&server, "Ivy", "two heads please").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let engaged = |scope: &str| json!({"folder": "engaged", "filter": {"scope": {"kind": scope}, "unread_only": false, "channel": null}});
        let listed = |rows: &Vec<Value>| rows.iter().any(|r| r["summary"]["id"] == conv.as_str());
        let all: Vec<Value> =
            call_ok::<FolderPage>(&a2.http, &server, "inbox/list", engaged("all"))
                .await
                .rows;
        let mine: Vec<Value> =
            call_ok::<FolderPage>(&a2.http, &server, "inbox/list", engaged("mine"))
                .await
                .rows;
        assert!(
            listed(&all) && !listed(&mine),
            "{backend}: a colleague's chat is in Engaged (all), not (mine)"
        );
        let a2_id = me(&a2, &server).await["id"].clone();
        let s: Value = call_ok(
            &a1.http,
            &server,
            "inbox/invite",
            json!({"conversation_id": conv, "agent_id": a2_id}),
        )
        .await;
        let names: Vec<&str> = s["participants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["Alex Agent", "Sam Agent"], "{backend}");
        assert_eq!(s["participants"][1]["role"], "invited");
        let (status, _) = call(
            &a1.http,
            &server,
            "inbox/invite",
            json!({"conversation_id": conv, "agent_id": a2_id}),
        )
        .await;
        assert_eq!(status, 409, "{backend}: already in the room");
        let mine: Vec<Value> =
            call_ok::<FolderPage>(&a2.http, &server, "inbox/list", engaged("mine"))
                .await
                .rows;
        assert!(listed(&mine), "{backend}: in the invitee's Engaged (mine)");
    }
}

#[tokio::test]
async fn presence_follows_the_agent_and_feeds_the_report() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, a1, _a2) = team(&server).await;
        let a1_id = id_of(&me(&a1, &server).await["id"]);
        let presence_of = |list: Vec<Value>| {
            list.into_iter()
                .find(|a| a["id"] == a1_id.as_str())
                .unwrap()["presence"]
                .clone()
        };
        assert_eq!(
            presence_of(agents(&admin, &server).await),
            "online",
            "{backend}: Online on sign-in"
        );

        // Only Online agents get chats: the widget knows when nobody is.
        set_presence(&a1, &server, "away").await;
        let others = agents(&admin, &server).await;
        assert_eq!(presence_of(others), "away");
        let ws = a1.socket(&server).await;
        drop(ws);
        // The last tab closing sets Offline after a grace period.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            if presence_of(agents(&admin, &server).await) == "offline" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{backend}: not set Offline"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
        // Coming back restores Online.
        let _ws = a1.socket(&server).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            presence_of(agents(&admin, &server).await),
            "online",
            "{backend}"
        );

        let report: Value = call_ok(
            &admin.http,
            &server,
            "admin/report",
            json!({"from": 0, "to": 4_000_000_000_000i64}),
        )
        .await;
        let row = report["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agent_id"] == a1_id.as_str())
            .unwrap()
            .clone();
        assert!(
            row["offline_secs"].as_u64().unwrap() >= 1,
            "{backend}: {row}"
        );
        assert!(
            row["away_secs"].as_u64().unwrap() >= 5,
            "{backend}: away through the grace period: {row}"
        );

        // The idle detector may not override a deliberate choice.
        set_presence(&a1, &server, "offline").await;
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/presence",
            json!({"presence": "online", "auto": true}),
        )
        .await;
        assert_eq!(
            presence_of(agents(&admin, &server).await),
            "offline",
            "{backend}"
        );
    }
}

#[tokio::test]
async fn closed_chats_report_response_and_handle_times() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (admin, a1, _a2) = team(&server).await;
        let chat = start_chat(&server, "Rita", "report me").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let _: Value = call_ok(&a1.http, &server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "Hello!", "internal": false
        })).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/close",
            json!({"conversation_id": conv}),
        )
        .await;
        let report: Value = call_ok(
            &admin.http,
            &server,
            "admin/report",
            json!({"from": 0, "to": 4_000_000_000_000i64}),
        )
        .await;
        assert_eq!(report["chats"]["closed"], 1, "{backend}: {report}");
        assert!(report["chats"]["avg_first_response_secs"].is_u64());
        assert!(report["chats"]["avg_handle_secs"].as_u64().unwrap() >= 1);
        let (status, _) = call(
            &a1.http,
            &server,
            "admin/report",
            json!({"from": 0, "to": 1}),
        )
        .await;
        assert_eq!(status, 403, "{backend}: reports are for admins");
        let (status, _) = call(
            &admin.http,
            &server,
            "admin/report",
            json!({"from": 10, "to": 5}),
        )
        .await;
        assert_eq!(status, 422);
    }
}

#[tokio::test]
async fn with_nobody_online_visitors_leave_a_lead() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let setup: Value = call_ok(&http(), &server, "visitor/config", json!({})).await;
        assert_eq!(setup["agents_online"], false, "{backend}: nobody signed in");
        assert_eq!(
            setup["bot"]["enabled"], true,
            "the demo greets with the chatbot"
        );
        let lead: Value = call_ok(
            &http(),
            &server,
            "visitor/leave-message",
            json!({
                "name": "Olga", "email": "olga@example.com", "phone": "+1 555 010 2030",
                "message": "Call me back please", "client_msg_id": Uuid::new_v4()
            }),
        )
        .await;
        assert_eq!(lead["status"], "closed");
        let admin = agent(&server, "admin@demo.test").await;
        let setup: Value = call_ok(&http(), &server, "visitor/config", json!({})).await;
        assert_eq!(setup["agents_online"], true);
        let leads: Vec<Value> = call_ok::<FolderPage>(
            &admin.http,
            &server,
            "inbox/list",
            json!({"folder": "leads", "filter": list_filter()}),
        )
        .await
        .rows;
        assert_eq!(leads.len(), 1, "{backend}");
        assert_eq!(leads[0]["summary"]["contact_phone"], "+15550102030");
        let hits: Vec<Value> = call_ok(
            &admin.http,
            &server,
            "inbox/search",
            json!({"query": "olga@EXAMPLE"}),
        )
        .await;
        assert_eq!(hits.len(), 1, "{backend}: search by email");
        let hits: Vec<Value> = call_ok(
            &admin.http,
            &server,
            "inbox/search",
            json!({"query": "010 20"}),
        )
        .await;
        assert_eq!(hits.len(), 1, "{backend}: search by phone digits");
        let hits: Vec<Value> = call_ok(
            &admin.http,
            &server,
            "inbox/search",
            json!({"query": "nobody-like-this"}),
        )
        .await;
        assert!(hits.is_empty());
    }
}

#[tokio::test]
async fn waiting_visitors_see_their_place_in_line() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (_admin, a1, _a2) = team(&server).await;
        let first = start_chat(&server, "First", "1").await;
        let second = start_chat(&server, "Second", "2").await;
        let q = |c: &Value| json!({"token": c["token"], "conversation_id": c["conversation_id"]});
        let s1: Value = call_ok(&http(), &server, "visitor/queue", q(&first)).await;
        let s2: Value = call_ok(&http(), &server, "visitor/queue", q(&second)).await;
        assert_eq!(
            (s1["position"].as_u64(), s2["position"].as_u64()),
            (Some(1), Some(2)),
            "{backend}"
        );
        assert_eq!(
            s2["estimate"]["kind"], "unknown",
            "{backend}: no history, no made-up number"
        );
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": first["conversation_id"]}),
        )
        .await;
        let s2: Value = call_ok(&http(), &server, "visitor/queue", q(&second)).await;
        assert_eq!(s2["position"], 1, "{backend}: moved up");
        assert_eq!(
            s2["estimate"]["kind"], "about",
            "{backend}: now there is a pick-up time to go by"
        );
        let s1: Value = call_ok(&http(), &server, "visitor/queue", q(&first)).await;
        assert_eq!(s1["position"], Value::Null);
        assert_eq!(s1["status"], "open");
        let (status, _) = call(
            &http(),
            &server,
            "visitor/queue",
            json!({"token": first["token"], "conversation_id": second["conversation_id"]}),
        )
        .await;
        assert_eq!(status, 404, "{backend}: only your own place");
    }
}

#[tokio::test]
async fn admin_functions_are_for_admins() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let a1 = agent(&server, "agent1@demo.test").await;
        let (status, _) = call(&a1.http, &server, "admin/settings", json!({})).await;
        assert_eq!(status, 403, "{backend}");
        let admin = agent(&server, "admin@demo.test").await;
        let mut settings: Value = call_ok(&admin.http, &server, "admin/settings", json!({})).await;
        settings["accept_timeout_secs"] = json!(1);
        let (status, body) = call(
            &admin.http,
            &server,
            "admin/settings/save",
            json!({"settings": settings}),
        )
        .await;
        assert_eq!(status, 422, "{backend}");
        assert_eq!(body["Invalid"]["code"], "timeout_out_of_range", "{body}");
        assert!(body["Invalid"]["message"]
            .as_str()
            .unwrap()
            .contains("Acceptance time"));

        let created: Value = call_ok(&admin.http, &server, "admin/agents/create", json!({
            "email": "new@demo.test", "name": "Nia New", "password": "longpassword", "role": "agent", "capacity": 2
        })).await;
        assert_eq!(created["capacity"], 2);
        let id = created["id"].clone();
        let updated: Value = call_ok(
            &admin.http,
            &server,
            "admin/agents/update",
            json!({"id": id, "role": "agent", "capacity": 5, "active": false}),
        )
        .await;
        assert_eq!(updated["active"], false);
        let denied = AgentClient::anonymous();
        assert_eq!(
            login(&denied.http, &server, "new@demo.test", "longpassword").await,
            422,
            "{backend}: deactivated"
        );
        let admin_id = me(&admin, &server).await["id"].clone();
        let (status, _) = call(
            &admin.http,
            &server,
            "admin/agents/update",
            json!({"id": admin_id, "role": "agent", "capacity": 3, "active": true}),
        )
        .await;
        assert_eq!(status, 422, "{backend}: no self-demotion");
    }
}

#[tokio::test]
async fn a_broadcast_decline_hides_the_request_from_that_agent_only() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (_admin, a1, a2) = team(&server).await;
        let chat = start_chat(&server, "Dora", "anyone but Alex").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let queued = |a: &AgentClient| {
            let (http, server, conv) = (a.http.clone(), &server, conv.clone());
            async move {
                let rows: Vec<Value> = call_ok::<FolderPage>(
                    &http,
                    server,
                    "inbox/list",
                    json!({"folder": "queued", "filter": list_filter()}),
                )
                .await
                .rows;
                rows.iter().any(|r| r["summary"]["id"] == conv.as_str())
            }
        };
        assert!(
            queued(&a1).await && queued(&a2).await,
            "{backend}: both see it"
        );
        let _: Value = call_ok(
            &a1.http,
            &server,
            "inbox/decline",
            json!({"conversation_id": chat["conversation_id"]}),
        )
        .await;
        assert!(!queued(&a1).await, "{backend}: gone for the decliner");
        assert!(queued(&a2).await, "{backend}: still there for the others");
        let (status, _) = call(
            &a1.http,
            &server,
            "inbox/decline",
            json!({"conversation_id": chat["conversation_id"]}),
        )
        .await;
        assert_eq!(status, 200, "{backend}: declining twice is harmless");
        let _: Value = call_ok(
            &a2.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": chat["conversation_id"]}),
        )
        .await;
        let (status, body) = call(
            &a1.http,
            &server,
            "inbox/decline",
            json!({"conversation_id": chat["conversation_id"]}),
        )
        .await;
        assert_eq!(status, 409, "{backend}: {body}");
    }
}

/// Events are published after commit by whichever task made the change, so clients order
/// summaries by revision: every change must move it on, including ones kept in other tables.
#[tokio::test]
async fn every_change_moves_the_conversation_revision_on() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let (_admin, a1, a2) = team(&server).await;
        let chat = start_chat(&server, "Rev", "count my changes").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let token = chat["token"].as_str().unwrap().to_string();
        let revision = || async {
            let detail: Value = call_ok(
                &a1.http,
                &server,
                "inbox/conversation",
                json!({"conversation_id": conv}),
            )
            .await;
            detail["summary"]["revision"].as_u64().unwrap()
        };
        assert!(
            chat["revision"].as_u64().unwrap() >= 2,
            "{backend}: started, first message"
        );
        // Once routing has queued it, the widget and the inbox read the same revision.
        let mut last = wait_for(&a1, &server, &conv, 5, |s| s["deadline"].is_i64()).await
            ["revision"]
            .as_u64()
            .unwrap();
        let resumed: Option<Value> =
            call_ok(&http(), &server, "visitor/resume", json!({"token": token})).await;
        assert_eq!(
            resumed.unwrap()["revision"].as_u64().unwrap(),
            last,
            "{backend}: the widget and the inbox agree"
        );
        assert_eq!(last, revision().await);
        let a2_id = me(&a2, &server).await["id"].clone();
        let steps: Vec<(&str, &AgentClient, &str, Value)> = vec![
            (
                "decline (a pass)",
                &a2,
                "inbox/decline",
                json!({"conversation_id": conv}),
            ),
            (
                "accept",
                &a1,
                "inbox/accept",
                json!({"conversation_id": conv}),
            ),
            (
                "invite (a participant)",
                &a1,
                "inbox/invite",
                json!({"conversation_id": conv, "agent_id": a2_id}),
            ),
            (
                "a reply",
                &a1,
                "inbox/send",
                json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "Hi", "internal": false}),
            ),
            (
                "close",
                &a1,
                "inbox/close",
                json!({"conversation_id": conv}),
            ),
        ];
        for (what, who, endpoint, body) in steps {
            let (status, res) = call(&who.http, &server, endpoint, body).await;
            assert_eq!(status, 200, "{backend} {what}: {res}");
            let now = revision().await;
            assert!(now > last, "{backend}: {what} left the revision at {now}");
            last = now;
        }
        let _: Value = call_ok(&http(), &server, "visitor/send", json!({
            "token": token, "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "one more thing"
        })).await;
        assert!(revision().await > last, "{backend}: reopening by writing");
    }
}
