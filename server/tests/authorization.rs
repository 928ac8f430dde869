//! The authorization policy (hardening item 6, README "Who may do what") as a matrix: every
//! conversation action × every kind of caller, each cell on a fresh chat held by agent 1.
//! Then the same reads with the team setting "agents can read their colleagues' chats" off.
//! SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use support::*;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    VisitorA,
    VisitorB,
    Holder,
    Colleague,
    Admin,
    Deactivated,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::VisitorA,
    Who::VisitorB,
    Who::Holder,
    Who::Colleague,
    Who::Admin,
    Who::Deactivated,
];

/// What a caller gets: the HTTP status (for socket actions: 200 streamed, 403/404 refused);
/// [`PASSES`]: the policy lets them through, and what follows is the action's own answer (a
/// routing or channel refusal, an unknown file…): anything but 401, 403 or a fault.
type Expect = [u16; 7];
const PASSES: u16 = 0;
const P: u16 = PASSES;

/// Agents' reads: any agent reads (the setting is on); nobody else.
const READ: Expect = [401, 401, 401, 200, 200, 200, 401];
/// Agents' actions: the holder and admins.
const ACT: Expect = [401, 401, 401, 200, 403, 200, 401];
/// With colleagues' chats hidden, reads are like actions.
const READ_HIDDEN: Expect = [401, 401, 401, 200, 403, 200, 401];
/// The same, where the action's own rules answer for a web chat (templates, comments…).
const ACT_PASSES: Expect = [401, 401, 401, P, 403, P, 401];
const READ_PASSES: Expect = [401, 401, 401, P, P, P, 401];
/// Taking a chat is routing's to decide, for any agent.
const ROUTING: Expect = [401, 401, 401, P, P, P, 401];
/// The team's (listings, contacts, canned responses): any active agent.
const TEAM: Expect = [401, 401, 401, P, P, P, 401];
/// Admins only.
const ADMIN: Expect = [401, 401, 401, 403, 403, P, 401];
/// The widget's: the conversation's own visitor only.
const VISITOR: Expect = [401, 200, 404, 401, 401, 401, 401];

/// (action, expected for anonymous, visitor A, visitor B, holder, colleague, admin, deactivated)
const MATRIX: &[(&str, Expect)] = &[
    ("inbox/conversation", READ),
    ("inbox/row", READ),
    ("inbox/history", READ),
    ("inbox/read", READ),
    ("inbox/channel-status", READ),
    ("inbox/contact-channels", READ),
    ("socket: subscribe (agent)", READ),
    ("inbox/send", ACT),
    ("inbox/send (internal note)", ACT),
    ("inbox/ask-switch", ACT),
    ("inbox/invite", ACT),
    ("inbox/transfer", ACT),
    ("inbox/close", ACT),
    ("inbox/sign-out-visitor", ACT),
    ("inbox/send-file", ACT_PASSES),
    ("inbox/reply-channel", ACT_PASSES),
    ("inbox/delete-comment", ACT_PASSES),
    ("inbox/send-template", ACT_PASSES),
    ("inbox/answer-comment", ACT_PASSES),
    ("inbox/reconnect", READ_PASSES),
    ("canned/use", READ_PASSES),
    ("inbox/accept", ROUTING),
    ("inbox/decline", ROUTING),
    ("inbox/list", TEAM),
    ("inbox/agents", TEAM),
    ("inbox/setup", TEAM),
    ("inbox/search", TEAM),
    ("inbox/contact-card", TEAM),
    ("inbox/merge-candidates", TEAM),
    ("inbox/contact-conversations", TEAM),
    ("canned/list", TEAM),
    ("admin/settings", ADMIN),
    ("visitor/send", VISITOR),
    ("visitor/history", VISITOR),
    ("visitor/queue", VISITOR),
    ("socket: subscribe (visitor)", VISITOR),
];

struct World {
    server: TestServer,
    holder: AgentClient,
    colleague: AgentClient,
    admin: AgentClient,
    deactivated: AgentClient,
    anonymous: AgentClient,
    colleague_id: Value,
    visitor_b: String,
}

async fn world(url: &str) -> World {
    // Agents here hold no socket, so their presence would lapse after the default 15 s: on a
    // loaded machine the matrix takes longer than that, and a transfer to a colleague gone
    // offline is refused (422) whoever asks. Presence is not what this test is about.
    let server = TestServer::start_configured(url, |c| {
        c.presence_ttl = std::time::Duration::from_secs(600)
    })
    .await;
    let admin = agent(&server, "admin@demo.test").await;
    let _: Value = call_ok(&admin.http, &server, "admin/agents/create", json!({
        "email": "gone@demo.test", "name": "Gia Gone", "password": PASSWORD, "role": "agent", "capacity": 3
    }))
    .await;
    let deactivated = agent(&server, "gone@demo.test").await;
    let gone = me(&deactivated, &server).await["id"].clone();
    let _: Value = call_ok(
        &admin.http,
        &server,
        "admin/agents/update",
        json!({"id": gone, "role": "agent", "capacity": 3, "active": false}),
    )
    .await;
    let holder = agent(&server, "agent1@demo.test").await;
    let colleague = agent(&server, "agent2@demo.test").await;
    let colleague_id = me(&colleague, &server).await["id"].clone();
    let b = start_chat(&server, "Bea", "another visitor").await;
    World {
        server,
        holder,
        colleague,
        admin,
        deactivated,
        anonymous: AgentClient::anonymous(),
        colleague_id,
        visitor_b: b["token"].as_str().unwrap().to_string(),
    }
}

/// A fresh chat from visitor A, taken by the holder: its id and A's token.
async fn held_chat(w: &World) -> (String, String) {
    let chat = start_chat(&w.server, "Ada", "hello").await;
    let conv = chat["conversation_id"].as_str().unwrap().to_string();
    let _: Value = call_ok(
        &w.holder.http,
        &w.server,
        "inbox/accept",
        json!({"conversation_id": conv}),
    )
    .await;
    (conv, chat["token"].as_str().unwrap().to_string())
}

fn body(action: &str, conv: &str, colleague: &Value, token: &str) -> (&'static str, Value) {
    let id = Uuid::new_v4();
    match action {
        "inbox/conversation" => ("inbox/conversation", json!({"conversation_id": conv})),
        "inbox/row" => ("inbox/row", json!({"conversation_id": conv})),
        "inbox/history" => (
            "inbox/history",
            json!({"conversation_id": conv, "before_seq": 2}),
        ),
        "inbox/read" => ("inbox/read", json!({"conversation_id": conv, "seq": 1})),
        "inbox/channel-status" => ("inbox/channel-status", json!({"conversation_id": conv})),
        "inbox/contact-channels" => ("inbox/contact-channels", json!({"conversation_id": conv})),
        "inbox/send" => (
            "inbox/send",
            json!({"conversation_id": conv, "client_msg_id": id, "body": "hi", "internal": false}),
        ),
        "inbox/send (internal note)" => (
            "inbox/send",
            json!({"conversation_id": conv, "client_msg_id": id, "body": "note", "internal": true}),
        ),
        "inbox/ask-switch" => (
            "inbox/ask-switch",
            json!({"conversation_id": conv, "to": "sms"}),
        ),
        "inbox/invite" => (
            "inbox/invite",
            json!({"conversation_id": conv, "agent_id": colleague}),
        ),
        "inbox/transfer" => (
            "inbox/transfer",
            json!({"conversation_id": conv, "to": colleague, "comment": ""}),
        ),
        "inbox/close" => ("inbox/close", json!({"conversation_id": conv})),
        "inbox/sign-out-visitor" => ("inbox/sign-out-visitor", json!({"conversation_id": conv})),
        "inbox/send-file" => (
            "inbox/send-file",
            json!({"conversation_id": conv, "file_id": Uuid::new_v4(), "client_msg_id": id, "internal": false}),
        ),
        "inbox/reply-channel" => (
            "inbox/reply-channel",
            json!({"conversation_id": conv, "to": "sms"}),
        ),
        "inbox/delete-comment" => (
            "inbox/delete-comment",
            json!({"conversation_id": conv, "message_id": Uuid::new_v4()}),
        ),
        "inbox/send-template" => (
            "inbox/send-template",
            json!({"conversation_id": conv, "client_msg_id": id, "name": "hello", "language": "en", "parameters": []}),
        ),
        "inbox/answer-comment" => (
            "inbox/answer-comment",
            json!({"conversation_id": conv, "client_msg_id": id, "body": "hi", "private": false}),
        ),
        "inbox/reconnect" => (
            "inbox/reconnect",
            json!({"conversation_id": conv, "to": "sms"}),
        ),
        "canned/use" => (
            "canned/use",
            json!({"id": Uuid::new_v4(), "conversation_id": conv}),
        ),
        "inbox/accept" => ("inbox/accept", json!({"conversation_id": conv})),
        "inbox/decline" => ("inbox/decline", json!({"conversation_id": conv})),
        "inbox/list" => (
            "inbox/list",
            json!({"folder": "engaged", "filter": {"scope": {"kind": "mine"}, "unread_only": false, "channel": null}}),
        ),
        "inbox/agents" => ("inbox/agents", json!({})),
        "inbox/setup" => ("inbox/setup", json!({})),
        "inbox/search" => ("inbox/search", json!({"query": "Ada"})),
        "inbox/contact-card" => ("inbox/contact-card", json!({"contact_id": Uuid::new_v4()})),
        "inbox/merge-candidates" => (
            "inbox/merge-candidates",
            json!({"contact_id": Uuid::new_v4()}),
        ),
        "inbox/contact-conversations" => (
            "inbox/contact-conversations",
            json!({"contact_id": Uuid::new_v4()}),
        ),
        "canned/list" => ("canned/list", json!({})),
        "admin/settings" => ("admin/settings", json!({})),
        "visitor/send" => (
            "visitor/send",
            json!({"token": token, "conversation_id": conv, "client_msg_id": id, "body": "hi"}),
        ),
        "visitor/history" => (
            "visitor/history",
            json!({"token": token, "conversation_id": conv, "before_seq": 2}),
        ),
        "visitor/queue" => (
            "visitor/queue",
            json!({"token": token, "conversation_id": conv}),
        ),
        other => panic!("no body for {other}"),
    }
}

/// A subscribe's outcome as a status: 200 streamed, 403 a colleague's, 404 not theirs.
async fn subscribed(mut ws: Socket, conv: &str) -> u16 {
    send_frame(
        &mut ws,
        json!({"type": "subscribe", "conversation_id": conv, "after_seq": 0}),
    )
    .await;
    loop {
        let f = next_frame(&mut ws).await;
        match f["type"].as_str() {
            Some("synced") => return 200,
            Some("error") if f["code"] == "forbidden" => return 403,
            Some("error") if f["code"] == "not_found" => return 404,
            _ => continue,
        }
    }
}

/// The next text frame, or `None` once the server closed the socket.
async fn text_or_close(ws: &mut Socket) -> Option<Value> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a frame or a close within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).ok(),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn outcome(w: &World, action: &str, who: Who) -> u16 {
    let (conv, token_a) = held_chat(w).await;
    let client = match who {
        Who::Holder => &w.holder,
        Who::Colleague => &w.colleague,
        Who::Admin => &w.admin,
        Who::Deactivated => &w.deactivated,
        _ => &w.anonymous,
    };
    let token = match who {
        Who::VisitorA => token_a.as_str(),
        Who::VisitorB => w.visitor_b.as_str(),
        _ => "",
    };
    match action {
        "socket: subscribe (agent)" => {
            match connect_ws(
                &w.server.ws_url("/ws/agent"),
                client.cookie(&w.server).as_deref(),
            )
            .await
            {
                Ok(mut ws) => {
                    next_frame(&mut ws).await; // welcome
                    subscribed(ws, &conv).await
                }
                Err(_) => 401,
            }
        }
        "socket: subscribe (visitor)" => {
            let mut ws = connect_ws(&w.server.ws_url("/ws/visitor"), None)
                .await
                .unwrap();
            send_frame(&mut ws, json!({"type": "hello", "token": token})).await;
            match text_or_close(&mut ws).await {
                Some(first) if first["type"] == "welcome" => subscribed(ws, &conv).await,
                _ => 401,
            }
        }
        _ => {
            let (endpoint, args) = body(action, &conv, &w.colleague_id, token);
            // Visitors call without a session; agents with theirs (and no visitor token).
            call(&client.http, &w.server, endpoint, args).await.0
        }
    }
}

async fn check(w: &World, backend: &str, rows: &[(&str, Expect)]) {
    let mut wrong = vec![];
    for (action, expected) in rows {
        for (who, want) in EVERYONE.iter().zip(expected) {
            let got = outcome(w, action, *who).await;
            let fine = if *want == PASSES {
                !matches!(got, 401 | 403) && got < 500
            } else {
                got == *want
            };
            if !fine {
                wrong.push(format!("{action} as {who:?}: {got}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{backend}:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_action_by_every_caller_gets_what_the_policy_says() {
    for (backend, url) in databases().await {
        let w = world(&url).await;
        check(&w, &backend, MATRIX).await;

        // Colleagues' chats hidden: reads are the holder's and admins' only.
        configure(&w.admin, &w.server, |s| {
            s["agents_see_colleagues"] = json!(false)
        })
        .await;
        let reads: Vec<(&str, Expect)> = MATRIX
            .iter()
            .filter_map(|(a, e)| match *a {
                // (The same values as the team's rows: told apart by name.)
                "inbox/reconnect" | "canned/use" => Some((*a, ACT_PASSES)),
                _ if *e == READ => Some((*a, READ_HIDDEN)),
                _ => None,
            })
            .collect();
        check(&w, &backend, &reads).await;
        w.server.stop().await;
    }
}

fn engaged(scope: Value) -> Value {
    json!({"folder": "engaged", "filter": {"scope": scope, "unread_only": false, "channel": null}})
}

async fn listed(client: &AgentClient, w: &World, scope: Value, conv: &str) -> Result<bool, u16> {
    let (status, page) = call(&client.http, &w.server, "inbox/list", engaged(scope)).await;
    if status != 200 {
        return Err(status);
    }
    Ok(page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["summary"]["id"] == conv))
}

#[tokio::test]
async fn inbox_listings_show_colleagues_chats_only_where_the_setting_says() {
    for (backend, url) in databases().await {
        let w = world(&url).await;
        let (conv, _) = held_chat(&w).await;
        let holder_id = me(&w.holder, &w.server).await["id"].clone();
        let operator = json!({"kind": "operator", "id": holder_id});
        let all = json!({"kind": "all"});
        assert_eq!(
            listed(&w.colleague, &w, all.clone(), &conv).await,
            Ok(true),
            "{backend}"
        );
        // Another operator's inbox is the admins' view, whatever the setting.
        assert_eq!(
            listed(&w.colleague, &w, operator.clone(), &conv).await,
            Err(403),
            "{backend}"
        );
        assert_eq!(
            listed(&w.admin, &w, operator.clone(), &conv).await,
            Ok(true),
            "{backend}"
        );

        configure(&w.admin, &w.server, |s| {
            s["agents_see_colleagues"] = json!(false)
        })
        .await;
        // "All" no longer shows a colleague's chat (it used to: the filter's way around).
        assert_eq!(
            listed(&w.colleague, &w, all.clone(), &conv).await,
            Ok(false),
            "{backend}"
        );
        assert_eq!(
            listed(&w.holder, &w, all.clone(), &conv).await,
            Ok(true),
            "{backend}"
        );
        assert_eq!(
            listed(&w.admin, &w, all.clone(), &conv).await,
            Ok(true),
            "{backend}"
        );
        // Live rows follow the same rule: the colleague's "All" view gets none of it.
        let mut ws = w.colleague.socket(&w.server).await;
        send_frame(
            &mut ws,
            json!({"type": "view", "view": engaged(all.clone())}),
        )
        .await;
        let mut holder_ws = w.holder.socket(&w.server).await;
        send_frame(
            &mut holder_ws,
            json!({"type": "view", "view": engaged(all)}),
        )
        .await;
        let _: Value = call_ok(&w.holder.http, &w.server, "inbox/send", json!({
            "conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "private", "internal": false
        }))
        .await;
        let row = next_of(&mut holder_ws, "activity").await;
        assert_eq!(row["activity"]["conversation_id"], json!(conv), "{backend}");
        assert_no_frame_of(&mut ws, "activity", 500).await;
        w.server.stop().await;
    }
}
