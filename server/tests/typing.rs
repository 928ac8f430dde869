//! Typing indicators over the sockets: the contact and the agents in a conversation hear each
//! other type, nobody else does, nothing is stored, a socket that closes stops its typing, and
//! an agent's typing reaches Messenger as sender actions. On SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use server::channels::{ChannelConfig, Facebook};
use support::channels::*;
use support::providers::{Answer, FakeProvider};
use support::*;
use switchboard_channels::{messenger, meta};

fn typing(conv: &str, on: bool) -> Value {
    json!({"type": "typing", "conversation_id": conv, "typing": on})
}

#[tokio::test]
async fn the_contact_and_the_agents_hear_each_other_type_and_nobody_else_does() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let chat = start_chat(&server, "Ada Lovelace", "Is my order shipped?").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let token = chat["token"].as_str().unwrap().to_string();
        let other = start_chat(&server, "Eve", "hello").await;
        let other_conv = other["conversation_id"].as_str().unwrap().to_string();

        let mut visitor = visitor_socket(&server, &token).await;
        subscribe(&mut visitor, &conv, 0).await;
        let alex = agent(&server, "agent1@demo.test").await;
        let mut alex_ws = alex.socket(&server).await;
        subscribe(&mut alex_ws, &conv, 0).await;
        // Another agent, connected but in another conversation.
        let sam = agent(&server, "agent2@demo.test").await;
        let mut sam_ws = sam.socket(&server).await;
        subscribe(&mut sam_ws, &other_conv, 0).await;

        // The contact types: the agent in the room hears it, with the contact's name.
        send_frame(&mut visitor, typing(&conv, true)).await;
        let f = next_of(&mut alex_ws, "typing").await;
        assert_eq!(f["conversation_id"], conv.as_str(), "{backend}");
        assert_eq!(
            f["typist"],
            json!({"kind": "contact", "name": "Ada Lovelace"})
        );
        assert_eq!(f["typing"], true);
        // Repeated within the refresh gap: passed on once.
        send_frame(&mut visitor, typing(&conv, true)).await;
        send_frame(&mut visitor, typing(&conv, false)).await;
        let f = next_of(&mut alex_ws, "typing").await;
        assert_eq!(
            f["typing"], false,
            "{backend}: the repeat was not passed on: {f}"
        );

        // The agent types: the contact hears the agent's name.
        send_frame(&mut alex_ws, typing(&conv, true)).await;
        let f = next_of(&mut visitor, "typing").await;
        assert_eq!(f["typist"]["kind"], "agent", "{backend}");
        assert_eq!(f["typist"]["name"], "Alex Agent");
        assert_eq!(f["typing"], true);

        // Nobody hears themselves, and nobody outside the conversation hears anything.
        assert_no_frame_of(&mut visitor, "typing", 300).await;
        assert_no_frame_of(&mut alex_ws, "typing", 300).await;
        assert_no_frame_of(&mut sam_ws, "typing", 300).await;

        // Typing in a conversation the socket does not follow is refused; a visitor cannot
        // follow someone else's conversation in the first place.
        send_frame(&mut visitor, typing(&other_conv, true)).await;
        let f = next_of(&mut visitor, "error").await;
        assert_eq!(f["code"], "not_subscribed", "{backend}");
        assert_no_frame_of(&mut sam_ws, "typing", 300).await;

        // A socket that closes while typing stops typing.
        send_frame(&mut visitor, typing(&conv, true)).await;
        assert_eq!(next_of(&mut alex_ws, "typing").await["typing"], true);
        drop(visitor);
        let f = next_of(&mut alex_ws, "typing").await;
        assert_eq!(f["typing"], false, "{backend}: closing stops typing");

        // Never stored: the conversation holds its one message and nothing else.
        let m = messages(&alex, &server, &conv).await;
        assert_eq!(bodies(&m), vec!["Is my order shipped?"], "{backend}");
        server.stop().await;
    }
}

const APP_SECRET: &str = "meta-app-secret";
const PAGE_ID: &str = "1234567890";
const PAGE_TOKEN: &str = "EAAGpagetoken";

#[tokio::test]
async fn an_agents_typing_shows_on_messenger_as_sender_actions() {
    for (backend, url) in databases().await {
        let fake = FakeProvider::start(|got| {
            let to = got.json()["recipient"]["id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            Answer::status(200, json!({"recipient_id": to}).to_string())
        })
        .await;
        let config = ChannelConfig {
            public_url: PUBLIC.into(),
            meta_app_secret: Some(APP_SECRET.into()),
            meta_verify_token: Some("verify".into()),
            graph_api: format!("{}/v25.0", fake.url),
            facebook: Some(Facebook {
                page_id: PAGE_ID.into(),
                page_token: PAGE_TOKEN.into(),
                instagram_account_id: None,
            }),
            ..ChannelConfig::default()
        };
        let server = TestServer::start_with_channels(&url, config).await;
        let admin = agent(&server, "admin@demo.test").await;
        let psid = "6754321098765432";
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let hook = meta::fake::signed_request(
            &format!("{PUBLIC}/webhooks/meta"),
            APP_SECRET,
            meta::fake::body_bytes(&meta::fake::envelope(
                "page",
                vec![messenger::fake::entry(
                    PAGE_ID,
                    now,
                    vec![messenger::fake::text_event(
                        PAGE_ID, psid, "m_1", now, "Hi there",
                    )],
                )],
            )),
        );
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "messenger").await;
        messages_until(&admin, &server, &conv, "the DM", |m| !m.is_empty()).await;
        // Before: the new contact's profile lookup.
        let before = fake.calls().len();

        let mut ws = admin.socket(&server).await;
        subscribe(&mut ws, &conv, 0).await;
        send_frame(&mut ws, typing(&conv, true)).await;
        let calls = fake.wait_calls(before + 1, 10).await;
        assert_eq!(calls[before].method, "POST", "{backend}");
        assert_eq!(
            calls[before].path,
            format!("/v25.0/{PAGE_ID}/messages?access_token={PAGE_TOKEN}")
        );
        assert_eq!(
            calls[before].json(),
            json!({"recipient": {"id": psid}, "sender_action": "typing_on"})
        );
        send_frame(&mut ws, typing(&conv, false)).await;
        let calls = fake.wait_calls(before + 2, 10).await;
        assert_eq!(
            calls[before + 1].json(),
            json!({"recipient": {"id": psid}, "sender_action": "typing_off"}),
            "{backend}"
        );
        // Typing is not a message: nothing was queued for delivery.
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(bodies(&m), vec!["Hi there"], "{backend}");
        server.stop().await;
    }
}
