//! Canned responses: admins keep the team's library, every agent their own, which nobody else
//! sees or changes; bad input is refused naming the rule; using one fills its placeholders with
//! the conversation's contact and the agent. On SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use support::*;

async fn save(a: &AgentClient, server: &TestServer, body: Value) -> (u16, Value) {
    call(&a.http, server, "canned/save", body).await
}

fn new(shared: bool, title: &str, shortcut: &str, text: &str) -> Value {
    json!({"id": null, "shared": shared, "title": title, "shortcut": shortcut, "text": text})
}

async fn list(a: &AgentClient, server: &TestServer) -> Vec<Value> {
    call_ok(&a.http, server, "canned/list", json!({})).await
}

fn shortcuts(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|r| r["shortcut"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn shared_and_personal_libraries_with_their_permissions_and_placeholders() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let admin = agent(&server, "admin@demo.test").await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let agent2 = agent(&server, "agent2@demo.test").await;

        // Anonymous callers get nothing.
        let (code, _) = call(&http(), &server, "canned/list", json!({})).await;
        assert_eq!(code, 401);

        // The admin adds to the team's library; an agent may not.
        let (code, team) = save(
            &admin,
            &server,
            new(
                true,
                "Greeting",
                "/Hello",
                "Hi {visitor_name}, {agent_name} here.",
            ),
        )
        .await;
        assert_eq!(code, 200, "{backend}: {team}");
        assert_eq!(
            (team["shortcut"].as_str(), &team["owner"]),
            (Some("hello"), &Value::Null)
        );
        let (code, _) = save(&agent1, &server, new(true, "Mine", "mine", "x")).await;
        assert_eq!(code, 403, "{backend}");
        let team_id = team["id"].as_str().unwrap();
        let (code, _) = save(
            &agent1,
            &server,
            json!({"id": team_id, "shared": true, "title": "Hacked", "shortcut": "hello", "text": "x"}),
        )
        .await;
        assert_eq!(code, 403, "an agent cannot change a shared one");
        let (code, _) = call(
            &agent1.http,
            &server,
            "canned/delete",
            json!({"id": team_id}),
        )
        .await;
        assert_eq!(code, 403, "nor delete it");

        // Personal ones are private: another agent (an admin too) can't see, use or change them.
        let (code, mine) = save(
            &agent1,
            &server,
            new(false, "Bye", "bye", "Bye {visitor_name}!"),
        )
        .await;
        assert_eq!(code, 200, "{mine}");
        let mine_id = mine["id"].as_str().unwrap();
        assert_eq!(shortcuts(&list(&agent1, &server).await), ["bye", "hello"]);
        assert_eq!(shortcuts(&list(&agent2, &server).await), ["hello"]);
        assert_eq!(shortcuts(&list(&admin, &server).await), ["hello"]);
        for other in [&agent2, &admin] {
            let (code, _) = save(
                other,
                &server,
                json!({"id": mine_id, "shared": false, "title": "x", "shortcut": "bye", "text": "x"}),
            )
            .await;
            assert_eq!(code, 404, "{backend}");
            let (code, _) = call(
                &other.http,
                &server,
                "canned/delete",
                json!({"id": mine_id}),
            )
            .await;
            assert_eq!(code, 404);
        }
        // Two agents may both have /bye; a personal /hello would hide the team's.
        let (code, _) = save(&agent2, &server, new(false, "Bye", "bye", "See you")).await;
        assert_eq!(code, 200);
        let (code, body) = save(&agent1, &server, new(false, "Hi", "hello", "x")).await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("shortcut_taken")),
            "{body}"
        );
        let (code, body) = save(&agent1, &server, new(false, "Bye again", "BYE", "x")).await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("shortcut_taken")),
            "{backend}: {body}"
        );

        // Bad input names the rule and stores nothing.
        for (draft, rule) in [
            (new(false, " ", "a", "b"), "title_missing"),
            (new(false, "t", "two words", "b"), "shortcut_invalid"),
            (new(false, "t", "/", "b"), "shortcut_missing"),
            (new(false, "t", "ok", " "), "text_missing"),
            (new(false, "t", "ok", "Hi {name}"), "unknown_placeholder"),
            (new(false, "t", "ok", &"x".repeat(4001)), "text_too_long"),
        ] {
            let (code, body) = save(&agent1, &server, draft).await;
            assert_eq!(
                (code, body["Invalid"]["code"].as_str()),
                (422, Some(rule)),
                "{body}"
            );
        }
        assert_eq!(list(&agent1, &server).await.len(), 2);

        // The owner edits and deletes their own.
        let (code, edited) = save(
            &agent1,
            &server,
            json!({"id": mine_id, "shared": false, "title": "Goodbye", "shortcut": "bye", "text": "Take care, {visitor_name}."}),
        )
        .await;
        assert_eq!((code, edited["title"].as_str()), (200, Some("Goodbye")));

        // Using one fills the placeholders for the conversation: first name, agent's name.
        let chat = start_chat(&server, "Ada Lovelace", "Hello?").await;
        let conv = chat["conversation_id"].as_str().unwrap();
        let text: String = call_ok(
            &agent1.http,
            &server,
            "canned/use",
            json!({"id": team_id, "conversation_id": conv}),
        )
        .await;
        let me = me(&agent1, &server).await;
        assert_eq!(
            text,
            format!("Hi Ada, {} here.", me["name"].as_str().unwrap())
        );
        let text: String = call_ok(
            &agent1.http,
            &server,
            "canned/use",
            json!({"id": mine_id, "conversation_id": conv}),
        )
        .await;
        assert_eq!(text, "Take care, Ada.");
        let (code, _) = call(
            &agent2.http,
            &server,
            "canned/use",
            json!({"id": mine_id, "conversation_id": conv}),
        )
        .await;
        assert_eq!(code, 404, "{backend}: someone else's personal response");

        let (code, _) = call(
            &agent1.http,
            &server,
            "canned/delete",
            json!({"id": mine_id}),
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(shortcuts(&list(&agent1, &server).await), ["hello"]);
        let (code, _) = call(
            &admin.http,
            &server,
            "canned/delete",
            json!({"id": team_id}),
        )
        .await;
        assert_eq!(code, 200);
        assert!(list(&agent2, &server)
            .await
            .iter()
            .all(|r| r["shortcut"] != "hello"));
        server.stop().await;
    }
}
