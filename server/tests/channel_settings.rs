//! Channel credentials saved from the admin page: they connect a channel at once (webhooks
//! checked with them, replies sent with them), survive a restart, reach the other nodes, never
//! come back in full, and cannot override what the environment sets. On SQLite and
//! PostgreSQL.

mod support;

use serde_json::{json, Value};
use server::channels::{ChannelConfig, Twilio};
use std::time::Duration;
use support::channels::*;
use support::providers::{Answer, FakeProvider, Got};
use support::*;
use switchboard_channels::{telegram, WebhookRequest};

const BOT_TOKEN: &str = "7100000002:AAE-saved-bot-token";
const TG_SECRET: &str = "saved-telegram-secret";

async fn fake_telegram() -> FakeProvider {
    FakeProvider::start(|got: &Got| {
        if got.path.contains("/sendMessage") {
            Answer::status(
                200,
                telegram::fake::sent_message_json(901, 7100000002, 55, 1_700_000_000, "ok"),
            )
        } else {
            Answer::status(200, json!({"ok": true, "result": true}).to_string())
        }
    })
    .await
}

/// Twilio from the environment, at the fake.
fn env_channels(fake: &FakeProvider) -> ChannelConfig {
    ChannelConfig {
        public_url: PUBLIC.into(),
        twilio: Some(Twilio {
            account_sid: "AC00000000000000000000000000000009".into(),
            auth_token: "env-twilio-token".into(),
            number: "+15550002222".into(),
        }),
        twilio_api: fake.url.clone(),
        ..ChannelConfig::default()
    }
}

fn telegram_hook(secret: &str, update_id: i64, text: &str) -> WebhookRequest {
    let user = telegram::fake::User {
        id: 55,
        first_name: "Tess".into(),
        username: None,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    telegram::fake::signed_request(
        &format!("{PUBLIC}/webhooks/telegram"),
        secret,
        &telegram::fake::text_update(update_id, &user, update_id, now, text),
    )
}

fn section<'a>(overview: &'a Value, id: &str) -> &'a Value {
    overview["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no section {id} in {overview}"))
}

fn field<'a>(overview: &'a Value, id: &str, var: &str) -> &'a Value {
    section(overview, id)["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["var"] == var)
        .unwrap_or_else(|| panic!("no field {var}"))
}

async fn overview(admin: &AgentClient, server: &TestServer) -> Value {
    call_ok(&admin.http, server, "admin/channels", json!({})).await
}

async fn save(admin: &AgentClient, server: &TestServer, id: &str, values: Value) -> (u16, Value) {
    call(
        &admin.http,
        server,
        "admin/channels/save",
        json!({"section": id, "values": values}),
    )
    .await
}

#[tokio::test]
async fn saved_credentials_connect_a_channel_at_once_and_survive_a_restart() {
    for (backend, url) in databases().await {
        let fake = fake_telegram().await;
        let server = TestServer::start_with_channels(&url, env_channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;

        // Not connected yet: the webhook has nothing to check against.
        let before = overview(&admin, &server).await;
        assert_eq!(
            field(&before, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["source"],
            "unset"
        );
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 1, "too early"))
                .await
                .0,
            404,
            "{backend}"
        );

        // Agents cannot save; bad input is refused and changes nothing.
        let agent1 = agent(&server, "agent1@demo.test").await;
        let (status, _) = save(
            &agent1,
            &server,
            "telegram",
            json!({"SWITCHBOARD_TELEGRAM_BOT_TOKEN": BOT_TOKEN}),
        )
        .await;
        assert_eq!(status, 403, "{backend}");
        let (status, body) = save(
            &admin,
            &server,
            "telegram",
            json!({
                "SWITCHBOARD_TELEGRAM_BOT_TOKEN": "not-a-bot-token",
                "SWITCHBOARD_TELEGRAM_SECRET_TOKEN": TG_SECRET,
            }),
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["code"].as_str()),
            (422, Some("channel_settings")),
            "{backend}: {body}"
        );
        let message = body["Invalid"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains("Bot token (Telegram)"), "{message}");
        let (status, body) = save(
            &admin,
            &server,
            "whatsapp",
            json!({"SWITCHBOARD_WHATSAPP_PHONE_NUMBER_ID": "1065"}),
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["code"].as_str()),
            (422, Some("channel_settings")),
            "{body}"
        );
        let (status, body) = save(
            &admin,
            &server,
            "telegram",
            json!({"SWITCHBOARD_TWILIO_NUMBER": "+1"}),
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["code"].as_str()),
            (422, Some("unknown_setting")),
            "{body}"
        );
        assert_eq!(
            overview(&admin, &server).await,
            before,
            "{backend}: a refused save changed something"
        );

        // What the environment sets cannot be changed here.
        let (status, body) = save(
            &admin,
            &server,
            "twilio",
            json!({"SWITCHBOARD_TWILIO_NUMBER": "+15559999999"}),
        )
        .await;
        assert_eq!(
            (status, body["Invalid"]["code"].as_str()),
            (422, Some("set_by_environment")),
            "{body}"
        );
        assert_eq!(
            field(&before, "twilio", "SWITCHBOARD_TWILIO_NUMBER")["source"],
            "environment"
        );

        // Saved: in effect at once, secrets masked in what comes back.
        let (status, after) = save(
            &admin,
            &server,
            "telegram",
            json!({
                "SWITCHBOARD_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "SWITCHBOARD_TELEGRAM_SECRET_TOKEN": TG_SECRET,
                "SWITCHBOARD_TELEGRAM_MODE": "webhook",
                "SWITCHBOARD_TELEGRAM_API_URL": fake.url,
            }),
        )
        .await;
        assert_eq!(status, 200, "{backend}: {after}");
        let text = after.to_string();
        assert!(
            !text.contains(BOT_TOKEN) && !text.contains(TG_SECRET),
            "{backend}: a secret came back: {text}"
        );
        assert_eq!(
            field(&after, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["value"],
            "••••oken"
        );
        assert_eq!(
            field(&after, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["source"],
            "saved"
        );
        assert!(after["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["adapter"] == "telegram" && a["address"] == "7100000002"));

        assert_eq!(
            deliver_webhook(&server, &telegram_hook("forged", 2, "forged"))
                .await
                .0,
            403
        );
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 3, "hello by telegram"))
                .await
                .0,
            200,
            "{backend}"
        );
        let conv = conversation_on(&admin, &server, "telegram").await;
        let m = messages_until(&admin, &server, &conv, "the message", |m| !m.is_empty()).await;
        assert_eq!(m[0]["body"], "hello by telegram");
        assert_eq!(m.len(), 1, "{backend}: the forged update was stored");
        let sent = reply(&admin, &server, &conv, "Hi Tess").await;
        messages_until(&admin, &server, &conv, "sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        let call = fake
            .calls()
            .into_iter()
            .find(|c| c.path.ends_with("/sendMessage"))
            .expect("a send");
        assert_eq!(call.path, format!("/bot{BOT_TOKEN}/sendMessage"));

        // An empty secret keeps the saved one.
        let (status, body) = save(
            &admin,
            &server,
            "telegram",
            json!({
                "SWITCHBOARD_TELEGRAM_BOT_TOKEN": "",
                "SWITCHBOARD_TELEGRAM_SECRET_TOKEN": "",
                "SWITCHBOARD_TELEGRAM_API_URL": fake.url,
            }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 4, "still here"))
                .await
                .0,
            200
        );

        // A restart keeps them.
        let (_, db) = server.stop().await;
        let server = TestServer::start_with_channels(&db, env_channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 5, "after a restart"))
                .await
                .0,
            200,
            "{backend}"
        );
        messages_until(&admin, &server, &conv, "three messages", |m| {
            m.iter().any(|x| x["body"] == "after a restart")
        })
        .await;

        // Removed: disconnected again.
        let cleared: Value = call_ok(
            &admin.http,
            &server,
            "admin/channels/clear",
            json!({"section": "telegram"}),
        )
        .await;
        assert_eq!(
            field(&cleared, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["source"],
            "unset"
        );
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 6, "gone"))
                .await
                .0,
            404,
            "{backend}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn in_demo_mode_saved_credentials_replace_the_simulator_for_their_channel_only() {
    for (backend, url) in databases().await {
        let fake = fake_telegram().await;
        let server = TestServer::start(&url).await;
        let admin = agent(&server, "admin@demo.test").await;
        let demo = overview(&admin, &server).await;
        assert_eq!(demo["simulated"], true);
        assert_eq!(
            field(&demo, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["source"],
            "simulator"
        );
        let (status, after) = save(
            &admin,
            &server,
            "telegram",
            json!({
                "SWITCHBOARD_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "SWITCHBOARD_TELEGRAM_SECRET_TOKEN": TG_SECRET,
                "SWITCHBOARD_TELEGRAM_API_URL": fake.url,
            }),
        )
        .await;
        assert_eq!(status, 200, "{backend}: {after}");
        assert_eq!(after["simulated"], true);
        assert_eq!(
            field(&after, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["source"],
            "saved"
        );
        assert_eq!(
            field(&after, "twilio", "SWITCHBOARD_TWILIO_AUTH_TOKEN")["source"],
            "simulator"
        );
        let bots: Vec<&Value> = after["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["adapter"] == "telegram")
            .collect();
        assert_eq!(bots.len(), 1, "{backend}: {after}");
        assert_eq!(bots[0]["address"], "7100000002");
        assert_eq!(bots[0]["api_base"], fake.url.as_str());
        assert!(after["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["adapter"] == "twilio_sms"));
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 1, "real bot"))
                .await
                .0,
            200,
            "{backend}"
        );

        // Removing them brings the simulator's bot back.
        let cleared: Value = call_ok(
            &admin.http,
            &server,
            "admin/channels/clear",
            json!({"section": "telegram"}),
        )
        .await;
        assert_eq!(
            field(&cleared, "telegram", "SWITCHBOARD_TELEGRAM_BOT_TOKEN")["source"],
            "simulator"
        );
        assert_eq!(
            deliver_webhook(&server, &telegram_hook(TG_SECRET, 2, "x"))
                .await
                .0,
            403,
            "{backend}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn another_node_takes_saved_credentials_within_seconds() {
    let Some(url) = databases()
        .await
        .into_iter()
        .find(|(b, _)| b == "postgres")
        .map(|(_, u)| u)
    else {
        return;
    };
    let fake = fake_telegram().await;
    let a = TestServer::start_with_channels(&url, env_channels(&fake)).await;
    let b = TestServer::start_with_channels(&url, env_channels(&fake)).await;
    let admin = agent(&a, "admin@demo.test").await;
    assert_eq!(
        deliver_webhook(&b, &telegram_hook(TG_SECRET, 1, "x"))
            .await
            .0,
        404
    );
    let (status, body) = save(
        &admin,
        &a,
        "telegram",
        json!({
            "SWITCHBOARD_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "SWITCHBOARD_TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "SWITCHBOARD_TELEGRAM_API_URL": fake.url,
        }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, _) =
            deliver_webhook(&b, &telegram_hook(TG_SECRET, 2, "to the other node")).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 404);
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B never took the saved settings"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let conv = conversation_on(&admin, &a, "telegram").await;
    messages_until(&admin, &a, &conv, "the message", |m| !m.is_empty()).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_bot_saved_in_polling_mode_starts_polling_without_a_restart() {
    for (backend, url) in databases().await {
        let user = telegram::fake::User {
            id: 56,
            first_name: "Paula".into(),
            username: None,
        };
        let update = json!({"ok": true, "result": [
            telegram::fake::text_update(300, &user, 1, 1_700_000_000, "fetched by polling"),
        ]})
        .to_string();
        let fake = FakeProvider::start(move |got: &Got| {
            if got.path.ends_with("/getUpdates") {
                match got.json()["offset"].as_i64() {
                    Some(o) if o > 300 => Answer::status(200, r#"{"ok":true,"result":[]}"#),
                    _ => Answer::status(200, update.clone()),
                }
            } else {
                Answer::status(200, json!({"ok": true, "result": true}).to_string())
            }
        })
        .await;
        let server = TestServer::start_with_channels(&url, env_channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let (status, body) = save(
            &admin,
            &server,
            "telegram",
            json!({
                "SWITCHBOARD_TELEGRAM_BOT_TOKEN": BOT_TOKEN,
                "SWITCHBOARD_TELEGRAM_MODE": "polling",
                "SWITCHBOARD_TELEGRAM_API_URL": fake.url,
            }),
        )
        .await;
        assert_eq!(status, 200, "{backend}: {body}");
        let conv = conversation_on(&admin, &server, "telegram").await;
        let m = messages_until(&admin, &server, &conv, "the polled update", |m| {
            !m.is_empty()
        })
        .await;
        assert_eq!(m[0]["body"], "fetched by polling", "{backend}");

        // Back to nothing: polling stops.
        let _: Value = call_ok(
            &admin.http,
            &server,
            "admin/channels/clear",
            json!({"section": "telegram"}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let polls = fake
            .calls()
            .iter()
            .filter(|c| c.path.ends_with("/getUpdates"))
            .count();
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let later = fake
            .calls()
            .iter()
            .filter(|c| c.path.ends_with("/getUpdates"))
            .count();
        assert_eq!(polls, later, "{backend}: still polling a removed bot");
        server.stop().await;
    }
}
