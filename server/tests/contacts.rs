//! Contacts: merging two contacts that are one person ("Unite"). Contacts sharing an email or a
//! phone number are suggested, never merged silently; a merge moves every conversation and
//! identity, fills the kept contact's missing details, and the merged contact's tokens and open
//! sockets keep working (on another node too, whose memory of the token is stale). Previous
//! chats list a contact's conversations. On SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use support::*;
use uuid::Uuid;

struct Chat {
    conv: String,
    token: String,
    contact: String,
}

async fn start(server: &impl Endpoint, name: &str, email: &str, phone: &str, first: &str) -> Chat {
    let v: Value = call_ok(
        &http(),
        server,
        "visitor/start",
        json!({"name": name, "email": email, "phone": phone, "message": first, "client_msg_id": Uuid::new_v4()}),
    )
    .await;
    let conv = v["conversation_id"].as_str().unwrap().to_string();
    let token = v["token"].as_str().unwrap().to_string();
    let admin = agent(server, "admin@demo.test").await;
    let contact = summary(&admin, server, &conv).await["contact_id"]
        .as_str()
        .unwrap()
        .to_string();
    Chat {
        conv,
        token,
        contact,
    }
}

async fn visitor_sends(
    server: &impl Endpoint,
    chat: &Chat,
    conv: &str,
    body: &str,
) -> (u16, Value) {
    call(
        &http(),
        server,
        "visitor/send",
        json!({"token": chat.token, "conversation_id": conv, "body": body, "client_msg_id": Uuid::new_v4()}),
    )
    .await
}

async fn merge(a: &AgentClient, server: &impl Endpoint, keep: &str, gone: &str) -> (u16, Value) {
    call(
        &a.http,
        server,
        "inbox/merge-contacts",
        json!({"keep": keep, "merge": gone}),
    )
    .await
}

async fn candidates(a: &AgentClient, server: &impl Endpoint, contact: &str) -> Vec<Value> {
    call_ok(
        &a.http,
        server,
        "inbox/merge-candidates",
        json!({"contact_id": contact}),
    )
    .await
}

/// Waits for the status frame of the conversation at `summary`'s revision (or later).
async fn status_at(ws: &mut Socket, summary: &Value) {
    let revision = summary["revision"].as_u64().unwrap();
    loop {
        let f = next_of(ws, "status").await;
        if f["conversation_id"] == summary["id"] && f["revision"].as_u64() >= Some(revision) {
            return;
        }
    }
}

fn names(cards: &[Value]) -> Vec<&str> {
    cards
        .iter()
        .map(|c| c["card"]["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_merge_moves_everything_to_the_kept_contact_and_tokens_and_sockets_keep_working() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let admin = agent(&server, "admin@demo.test").await;
        let ada = start(
            &server,
            "Ada",
            "ada@example.com",
            "",
            "Hello from my laptop",
        )
        .await;
        let lovelace = start(
            &server,
            "Ada Lovelace",
            "ADA@example.com",
            "+1 555 000 7777",
            "Hello from my phone",
        )
        .await;
        let grace = start(&server, "Grace", "grace@example.com", "+15550007777", "Hi").await;
        let other = start(&server, "Alan", "alan@example.com", "", "Unrelated").await;

        // Suggested by the shared email (case aside) or phone; nothing is merged by itself.
        assert_eq!(
            names(&candidates(&admin, &server, &ada.contact).await),
            ["Ada Lovelace"]
        );
        let of_lovelace = candidates(&admin, &server, &lovelace.contact).await;
        assert_eq!(names(&of_lovelace), ["Ada", "Grace"], "{backend}");
        assert_eq!(
            (&of_lovelace[0]["same_email"], &of_lovelace[0]["same_phone"]),
            (&json!(true), &json!(false))
        );
        assert_eq!(
            (&of_lovelace[1]["same_email"], &of_lovelace[1]["same_phone"]),
            (&json!(false), &json!(true))
        );
        assert!(candidates(&admin, &server, &other.contact).await.is_empty());
        assert_eq!(
            summary(&admin, &server, &lovelace.conv).await["contact_id"],
            lovelace.contact.as_str()
        );

        // The merged visitor's widget is open, following its chat.
        let mut ws = visitor_socket(&server, &lovelace.token).await;
        subscribe(&mut ws, &lovelace.conv, 0).await;

        // Not signed in, the same contact twice, an unknown contact: refused.
        let (code, _) = merge(
            &AgentClient::anonymous(),
            &server,
            &ada.contact,
            &lovelace.contact,
        )
        .await;
        assert_eq!(code, 401);
        let (code, body) = merge(&admin, &server, &ada.contact, &ada.contact).await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("merge_same")),
            "{body}"
        );
        let (code, _) = merge(&admin, &server, &ada.contact, &Uuid::new_v4().to_string()).await;
        assert_eq!(code, 404);

        // Lovelace (right) into Ada (left): her chat and identity move, her phone fills in.
        let (code, card) = merge(&admin, &server, &ada.contact, &lovelace.contact).await;
        assert_eq!(code, 200, "{backend}: {card}");
        assert_eq!(card["id"], ada.contact.as_str());
        assert_eq!(card["name"], "Ada");
        assert_eq!(card["email"], "ada@example.com");
        assert_eq!(
            card["phone"], "+15550007777",
            "{backend}: the missing phone is filled"
        );
        assert_eq!(card["conversations"], 2);
        assert_eq!(
            card["identities"],
            json!([{"channel": "web", "address": "Web chat"}])
        );
        let moved = summary(&admin, &server, &lovelace.conv).await;
        assert_eq!(
            (moved["contact_id"].as_str(), moved["contact_name"].as_str()),
            (Some(ada.contact.as_str()), Some("Ada")),
            "{backend}"
        );
        // Agents read who merged it on the timeline; the visitor does not.
        let detail: Value = call_ok(
            &admin.http,
            &server,
            "inbox/conversation",
            json!({"conversation_id": lovelace.conv}),
        )
        .await;
        let note = detail["page"]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["sender"]["kind"] == "system")
            .expect("a merge note")
            .clone();
        assert_eq!(
            note["body"],
            "Avery Admin merged the contact Ada Lovelace into Ada"
        );
        assert_eq!(note["visibility"], "internal");
        // The widget hears the move as a status, never the note.
        status_at(&mut ws, &moved).await;
        assert_no_frame_of(&mut ws, "message", 300).await;

        // The merged contact is gone from search and cards; merging it again is refused.
        let hits: Vec<Value> = call_ok(
            &admin.http,
            &server,
            "inbox/search",
            json!({"query": "lovelace"}),
        )
        .await;
        assert!(hits.is_empty(), "{backend}: {hits:?}");
        let (code, _) = call(
            &admin.http,
            &server,
            "inbox/contact-card",
            json!({"contact_id": lovelace.contact}),
        )
        .await;
        assert_eq!(code, 404);
        let (code, body) = merge(&admin, &server, &ada.contact, &lovelace.contact).await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("already_merged")),
            "{body}"
        );

        // Both tokens keep working, each widget resumes its own chat.
        let (code, body) = visitor_sends(&server, &lovelace, &lovelace.conv, "Still me").await;
        assert_eq!(code, 200, "{backend}: {body}");
        let (code, body) = visitor_sends(&server, &ada, &ada.conv, "Me too").await;
        assert_eq!(code, 200, "{backend}: {body}");
        for (chat, name) in [(&ada, "ada"), (&lovelace, "lovelace")] {
            let resumed: Value = call_ok(
                &http(),
                &server,
                "visitor/resume",
                json!({"token": chat.token}),
            )
            .await;
            assert_eq!(
                resumed["conversation_id"],
                chat.conv.as_str(),
                "{backend}: {name}"
            );
        }
        // Another person's chat stays out of reach.
        let (code, _) = visitor_sends(&server, &lovelace, &other.conv, "Hi Alan").await;
        assert_eq!(code, 404);
        // The socket opened before the merge still writes and follows its chat.
        let m = next_message(&mut ws).await;
        assert_eq!(m["body"], "Still me");
        send_frame(
            &mut ws,
            json!({"type": "send", "conversation_id": lovelace.conv, "client_msg_id": Uuid::new_v4(), "body": "Over the socket"}),
        )
        .await;
        assert_eq!(
            next_message(&mut ws).await["body"],
            "Over the socket",
            "{backend}"
        );
        send_frame(
            &mut ws,
            json!({"type": "unsubscribe", "conversation_id": lovelace.conv}),
        )
        .await;
        let replay = subscribe(&mut ws, &lovelace.conv, 0).await;
        assert!(
            replay
                .iter()
                .any(|f| f["message"]["body"] == "Over the socket"),
            "{backend}: {replay:?}"
        );

        // Previous chats: both of the person's conversations, the latest written to first.
        let chats: Vec<Value> = call_ok(
            &admin.http,
            &server,
            "inbox/contact-conversations",
            json!({"contact_id": ada.contact}),
        )
        .await;
        let ids: Vec<&str> = chats.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            [lovelace.conv.as_str(), ada.conv.as_str()],
            "{backend}"
        );

        // Now Ada shares Grace's number. Merged on into Grace, earlier merges follow.
        assert_eq!(
            names(&candidates(&admin, &server, &ada.contact).await),
            ["Grace"]
        );
        let (code, card) = merge(&admin, &server, &grace.contact, &ada.contact).await;
        assert_eq!(code, 200, "{card}");
        assert_eq!(
            (card["name"].as_str(), card["conversations"].as_u64()),
            (Some("Grace"), Some(3))
        );
        assert_eq!(card["email"], "grace@example.com", "the kept details stay");
        let (code, body) =
            visitor_sends(&server, &lovelace, &lovelace.conv, "After two merges").await;
        assert_eq!(code, 200, "{backend}: {body}");
        assert_eq!(next_message(&mut ws).await["body"], "After two merges");
        assert_eq!(
            summary(&admin, &server, &ada.conv).await["contact_name"],
            "Grace"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn another_node_that_remembers_the_merged_contact_still_takes_its_visitors_messages() {
    let Some((_, url)) = databases()
        .await
        .into_iter()
        .find(|(backend, _)| backend == "postgres")
    else {
        eprintln!("note: PostgreSQL only (several nodes)");
        return;
    };
    let a = TestServer::start(&url).await;
    let b = TestServer::start(&url).await;
    let admin = agent(&a, "admin@demo.test").await;
    let kept = start(&a, "Kim", "kim@example.com", "", "First chat").await;
    let gone = start(&a, "Kim Lee", "kim@example.com", "", "Second chat").await;
    // Node B learns (and remembers) whose token this is.
    let (code, body) = visitor_sends(&b, &gone, &gone.conv, "Before").await;
    assert_eq!(code, 200, "{body}");
    let mut ws = visitor_socket(&b, &gone.token).await;
    subscribe(&mut ws, &gone.conv, 0).await;

    let (code, card) = merge(&admin, &a, &kept.contact, &gone.contact).await;
    assert_eq!(code, 200, "{card}");
    let moved = summary(&admin, &a, &gone.conv).await;
    // Node B's memory may be stale until it reads the merge: the send still lands.
    let (code, body) = visitor_sends(&b, &gone, &gone.conv, "After").await;
    assert_eq!(code, 200, "{body}");
    // Both reach the open socket: the move (as a status) and the message, in either order (one
    // batch of the dispatcher sends a conversation's messages before its new status).
    let (mut status, mut message) = (false, false);
    while !(status && message) {
        let f = next_frame(&mut ws).await;
        status |= f["type"] == "status"
            && f["conversation_id"] == moved["id"]
            && f["revision"].as_u64() >= moved["revision"].as_u64();
        message |= f["type"] == "message" && f["message"]["body"] == "After";
    }
    let resumed: Value = call_ok(&http(), &b, "visitor/resume", json!({"token": gone.token})).await;
    assert_eq!(resumed["conversation_id"], gone.conv.as_str());
    assert_eq!(resumed["contact_name"], "Kim");
    a.stop().await;
    b.stop().await;
}
