//! Chat switch against the Twilio fake: the visitor moves a live web chat to SMS, the welcome
//! goes out once, the phone's replies land in the same conversation and the agent's answers go
//! out by SMS; a revert within the window tells the phone once and brings the chat back; a
//! refused welcome keeps the chat on the web and says why. On SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use server::channels::{ChannelConfig, Twilio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::channels::*;
use support::providers::{Answer, FakeProvider, Got};
use support::*;
use switchboard_channels::twilio;

const SID: &str = "AC00000000000000000000000000000005";
const TOKEN: &str = "switch-twilio-token";
const OUR_NUMBER: &str = "+15550005555";
/// The number the fake refuses (an unsubscribed recipient).
const REFUSED: &str = "+15550009999";

async fn fake_twilio() -> FakeProvider {
    let n = Arc::new(AtomicUsize::new(0));
    FakeProvider::start(move |got: &Got| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        let form = got.form();
        let get = |k: &str| {
            form.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        if get("To") == REFUSED {
            return Answer::status(
                400,
                twilio::fake::error_json(21610, "Attempt to send to unsubscribed recipient", 400),
            );
        }
        Answer::status(
            201,
            twilio::fake::message_created_json(
                &format!("SMsw{i}"),
                SID,
                &get("From"),
                &get("To"),
                &get("Body"),
                "queued",
            ),
        )
    })
    .await
}

fn config(fake: &FakeProvider) -> ChannelConfig {
    ChannelConfig {
        public_url: PUBLIC.into(),
        twilio: Some(Twilio {
            account_sid: SID.into(),
            auth_token: TOKEN.into(),
            number: OUR_NUMBER.into(),
        }),
        twilio_api: fake.url.clone(),
        ..ChannelConfig::default()
    }
}

fn sends_to(fake: &FakeProvider, to: &str) -> Vec<String> {
    fake.calls()
        .iter()
        .filter(|c| c.path.ends_with("/Messages.json"))
        .filter_map(|c| {
            let form = c.form();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            (get("To").as_deref() == Some(to)).then(|| get("Body").unwrap_or_default())
        })
        .collect()
}

async fn until_sent(fake: &FakeProvider, to: &str, n: usize) -> Vec<String> {
    until_n(|| sends_to(fake, to), n, to).await
}

/// Waits (15 s at most) until `sent` holds `n` sends to `to`.
async fn until_n<T: std::fmt::Debug>(sent: impl Fn() -> Vec<T>, n: usize, to: &str) -> Vec<T> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let sent = sent();
        if sent.len() >= n {
            return sent;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {sent:?} went to {to}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn status(server: &TestServer, token: &str, conv: &str) -> Value {
    call_ok(
        &http(),
        server,
        "visitor/switch-status",
        json!({"token": token, "conversation_id": conv}),
    )
    .await
}

async fn until_settled(server: &TestServer, token: &str, conv: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let v = status(server, token, conv).await;
        if v["pending"] == false {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the switch never settled: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sms_from(from: &str, sid: &str, body: &str) -> switchboard_channels::WebhookRequest {
    let m = twilio::fake::InboundMessage {
        account_sid: SID.into(),
        message_sid: sid.into(),
        from: from.into(),
        to: OUR_NUMBER.into(),
        body: body.into(),
        ..Default::default()
    };
    twilio::fake::signed_request(
        &format!("{PUBLIC}/webhooks/twilio/sms"),
        TOKEN,
        &m.params(),
        None,
    )
}

#[tokio::test]
async fn a_web_chat_moves_to_sms_and_the_thread_goes_on_in_the_same_conversation() {
    for (backend, url) in databases().await {
        let fake = fake_twilio().await;
        let server = TestServer::start_with_channels(&url, config(&fake)).await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Zoe Park", "Can we continue by text?").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        assert_eq!(chat["switch_to"], json!(["sms"]), "{backend}");
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;

        // A number without its country code is refused, naming the rule.
        let (code, body) = call(
            &http(),
            &server,
            "visitor/switch",
            json!({"token": token, "conversation_id": conv, "to": "sms", "phone": "555 000 4444"}),
        )
        .await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("phone_needs_country_code")),
            "{body}"
        );

        let view: Value = call_ok(&http(), &server, "visitor/switch", json!({"token": token, "conversation_id": conv, "to": "sms", "phone": "+1 (555) 000-4444"})).await;
        assert_eq!(view["to"], "sms");
        assert_eq!(view["address"], "+1 555 000 4444");
        // The welcome goes out once; then the switch holds, revertible for 10 s.
        let welcome = until_sent(&fake, "+15550004444", 1).await;
        assert!(
            welcome[0].starts_with("Hi Zoe! This is the support team"),
            "{welcome:?}"
        );
        let held = until_settled(&server, &token, &conv).await;
        assert_eq!(held["active"], "sms", "{backend}");
        let left = held["revert_ms_left"].as_i64().expect("a revert window");
        assert!(left > 0 && left <= 10_000, "{left}");
        let (code, body) = call(
            &http(),
            &server,
            "visitor/switch",
            json!({"token": token, "conversation_id": conv, "to": "sms", "phone": "+15550004444"}),
        )
        .await;
        assert_eq!(
            (code, body["Conflict"]["code"].as_str()),
            (409, Some("cannot_switch")),
            "{body}"
        );

        // The phone's reply lands in this very conversation; the agent's answer goes by SMS.
        assert_eq!(
            deliver_webhook(&server, &sms_from("+15550004444", "SMin1", "Texting now"))
                .await
                .0,
            200
        );
        let m = messages_until(&agent1, &server, &conv, "the text", |m| {
            m.iter().any(|x| x["body"] == "Texting now")
        })
        .await;
        assert!(
            m.iter()
                .any(|x| x["body"] == "Continued by SMS at +1 555 000 4444"),
            "{backend}: no marker"
        );
        let sent = reply(&agent1, &server, &conv, "Got it, replying by text").await;
        assert_eq!(sent["channel"], "sms");
        until_sent(&fake, "+15550004444", 2).await;
        assert_eq!(
            sends_to(&fake, "+15550004444")[1],
            "Got it, replying by text"
        );
        assert_eq!(
            until_sent(&fake, "+15550004444", 2).await.len(),
            2,
            "{backend}: the welcome went twice"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn a_revert_brings_the_chat_back_and_a_refused_welcome_keeps_it_on_the_web() {
    for (backend, url) in databases().await {
        let fake = fake_twilio().await;
        let server = TestServer::start_with_channels(&url, config(&fake)).await;
        let agent1 = agent(&server, "agent1@demo.test").await;

        // Revert within the window: the phone is told once, agent replies stay on the web.
        let chat = start_chat(&server, "Ann", "hello").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        let _: Value = call_ok(
            &http(),
            &server,
            "visitor/switch",
            json!({"token": token, "conversation_id": conv, "to": "sms", "phone": "+15550006666"}),
        )
        .await;
        until_settled(&server, &token, &conv).await;
        let back: Value = call_ok(
            &http(),
            &server,
            "visitor/switch-revert",
            json!({"token": token, "conversation_id": conv}),
        )
        .await;
        assert_eq!(
            (back["active"].as_str(), back["to"].as_str()),
            (Some("web"), None),
            "{backend}"
        );
        let texts = until_sent(&fake, "+15550006666", 2).await;
        assert_eq!(
            texts[1],
            "Our chat continues on the web, so you can ignore this number for now."
        );
        let (code, body) = call(
            &http(),
            &server,
            "visitor/switch-revert",
            json!({"token": token, "conversation_id": conv}),
        )
        .await;
        assert_eq!(
            (code, body["Conflict"]["code"].as_str()),
            (409, Some("no_revert")),
            "{body}"
        );
        let web = reply(&agent1, &server, &conv, "Welcome back").await;
        assert_eq!(web["channel"], "web");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            sends_to(&fake, "+15550006666").len(),
            2,
            "{backend}: a web reply went by SMS"
        );

        // A refused welcome: the chat stays on the web, and the thread says why.
        let chat = start_chat(&server, "Bob", "hi").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        let _: Value = call_ok(
            &http(),
            &server,
            "visitor/switch",
            json!({"token": token, "conversation_id": conv, "to": "sms", "phone": REFUSED}),
        )
        .await;
        let settled = until_settled(&server, &token, &conv).await;
        assert_eq!(
            (settled["active"].as_str(), settled["to"].as_str()),
            (Some("web"), None),
            "{backend}: {settled}"
        );
        let m = messages(&agent1, &server, &conv).await;
        let why = m
            .iter()
            .find(|x| {
                x["body"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("We couldn't reach")
            })
            .expect("the reason in the thread");
        assert!(why["body"].as_str().unwrap().contains("opted out"), "{why}");
        // Another visitor cannot switch or revert this chat.
        let other = start_chat(&server, "Eve", "x").await;
        let (code, _) = call(&http(), &server, "visitor/switch", json!({"token": other["token"], "conversation_id": conv, "to": "sms", "phone": "+15550007777"})).await;
        assert_eq!(code, 404);
        server.stop().await;
    }
}

async fn left(server: &TestServer, endpoint: &str, name: &str, phone: &str) -> Value {
    call_ok(
        &http(),
        server,
        endpoint,
        json!({"name": name, "email": format!("{}@example.com", name.to_lowercase()), "phone": phone, "message": "Please call me back", "client_msg_id": uuid::Uuid::new_v4()}),
    )
    .await
}

#[tokio::test]
async fn an_agent_reconnects_an_ended_chat_and_a_lead_by_sms() {
    for (backend, url) in databases().await {
        let fake = fake_twilio().await;
        let server = TestServer::start_with_channels(&url, config(&fake)).await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let agent_id = me(&agent1, &server).await["id"].clone();

        // An ended web chat whose contact gave a number: it reopens on SMS, assigned to us.
        let chat = left(&server, "visitor/start", "Nina", "+1 555 000 8888").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/close",
            json!({"conversation_id": conv}),
        )
        .await;
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/reconnect",
            json!({"conversation_id": conv, "to": "sms"}),
        )
        .await;
        let sent = until_sent(&fake, "+15550008888", 1).await;
        assert!(
            sent[0].starts_with("Hi Nina! This is Alex Agent from support"),
            "{sent:?}"
        );
        let s = summary(&agent1, &server, &conv).await;
        assert_eq!(
            (
                s["status"].as_str(),
                s["assignee_id"].clone(),
                s["active_channel"].as_str()
            ),
            (Some("open"), agent_id.clone(), Some("sms")),
            "{backend}: {s}"
        );
        assert_eq!(
            deliver_webhook(
                &server,
                &sms_from("+15550008888", "SMre1", "Thanks for texting")
            )
            .await
            .0,
            200
        );
        messages_until(&agent1, &server, &conv, "the reply", |m| {
            m.iter().any(|x| x["body"] == "Thanks for texting")
        })
        .await;
        let (code, body) = call(
            &agent1.http,
            &server,
            "inbox/reconnect",
            json!({"conversation_id": conv, "to": "sms"}),
        )
        .await;
        assert_eq!(
            (code, body["Conflict"]["code"].as_str()),
            (409, Some("still_going")),
            "{body}"
        );

        // An offline lead with a number reconnects too.
        let lead = left(&server, "visitor/leave-message", "Omar", "+15550003333").await;
        let lead_id = lead["conversation_id"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/reconnect",
            json!({"conversation_id": lead_id, "to": "sms"}),
        )
        .await;
        until_sent(&fake, "+15550003333", 1).await;
        let s = summary(&agent1, &server, &lead_id).await;
        assert_eq!(
            (s["status"].as_str(), s["lead"].as_bool()),
            (Some("open"), Some(false)),
            "{backend}: {s}"
        );

        // No number: refused, naming why. A refused text ends it again and says why.
        let nophone = left(&server, "visitor/leave-message", "Pia", "").await;
        let (code, body) = call(
            &agent1.http,
            &server,
            "inbox/reconnect",
            json!({"conversation_id": nophone["conversation_id"], "to": "sms"}),
        )
        .await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("no_phone")),
            "{body}"
        );
        let refused = left(&server, "visitor/leave-message", "Quin", REFUSED).await;
        let rid = refused["conversation_id"].as_str().unwrap().to_string();
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/reconnect",
            json!({"conversation_id": rid, "to": "sms"}),
        )
        .await;
        let m = messages_until(&agent1, &server, &rid, "the reason", |m| {
            m.iter().any(|x| {
                x["body"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with("The chat stays ended.")
            })
        })
        .await;
        assert!(m
            .iter()
            .any(|x| x["body"].as_str().unwrap_or_default().contains("opted out")));
        let s = summary(&agent1, &server, &rid).await;
        assert_eq!(
            (s["status"].as_str(), s["active_channel"].as_str()),
            (Some("closed"), Some("web")),
            "{backend}: {s}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn an_agents_invitation_to_switch_reaches_the_visitors_socket() {
    for (backend, url) in databases().await {
        let fake = fake_twilio().await;
        let server = TestServer::start_with_channels(&url, config(&fake)).await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Ivy", "hello").await;
        let conv = chat["conversation_id"].as_str().unwrap().to_string();
        let mut ws = visitor_socket(&server, chat["token"].as_str().unwrap()).await;
        subscribe(&mut ws, &conv, 0).await;
        let (code, body) = call(
            &agent1.http,
            &server,
            "inbox/ask-switch",
            json!({"conversation_id": conv, "to": "sms"}),
        )
        .await;
        assert_eq!(
            (code, body["Conflict"]["code"].as_str()),
            (409, Some("not_open")),
            "{backend}: queued chats are not asked: {body}"
        );
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/ask-switch",
            json!({"conversation_id": conv, "to": "sms"}),
        )
        .await;
        let invite = next_of(&mut ws, "switch_invite").await;
        assert_eq!(
            (invite["conversation_id"].as_str(), invite["to"].as_str()),
            (Some(conv.as_str()), Some("sms")),
            "{backend}"
        );
        server.stop().await;
    }
}

const PHONE_ID: &str = "106540352242999";
const APP_SECRET: &str = "switch-meta-secret";

/// SMS and WhatsApp at one fake (Twilio's and the Graph API's answers), WhatsApp greeting a
/// switched chat with the `chat_continue` template.
async fn fake_both() -> FakeProvider {
    let n = Arc::new(AtomicUsize::new(0));
    FakeProvider::start(move |got: &Got| {
        let i = n.fetch_add(1, Ordering::SeqCst);
        if got.path.ends_with("/Messages.json") {
            let form = got.form();
            let get = |k: &str| {
                form.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            return Answer::status(
                201,
                twilio::fake::message_created_json(
                    &format!("SMsw{i}"),
                    SID,
                    &get("From"),
                    &get("To"),
                    &get("Body"),
                    "queued",
                ),
            );
        }
        let to = got.json()["to"].as_str().unwrap_or_default().to_string();
        Answer::status(
            200,
            switchboard_channels::whatsapp::fake::send_success_json(&to, &format!("wamid.sw{i}")),
        )
    })
    .await
}

fn config_both(fake: &FakeProvider) -> ChannelConfig {
    ChannelConfig {
        whatsapp: Some(server::channels::Whatsapp {
            phone_number_id: PHONE_ID.into(),
            access_token: "wa-switch-token".into(),
            templates: vec![
                switchboard_engine::channels::Template {
                    name: "order_update".into(),
                    language: "en_US".into(),
                    text: "Hi {{1}}, order {{2}} shipped.".into(),
                },
                switchboard_engine::channels::Template {
                    name: "chat_continue".into(),
                    language: "en_US".into(),
                    text: "Hi {{1}}, reply here to go on with your web chat.".into(),
                },
            ],
            switch_template: Some("chat_continue".into()),
        }),
        meta_app_secret: Some(APP_SECRET.into()),
        graph_api: format!("{}/v25.0", fake.url),
        ..config(fake)
    }
}

/// What went to `wa_id` on WhatsApp, as sent (JSON bodies).
fn whatsapp_sends_to(fake: &FakeProvider, wa_id: &str) -> Vec<Value> {
    fake.calls()
        .iter()
        .filter(|c| c.path.ends_with(&format!("/{PHONE_ID}/messages")))
        .map(|c| c.json())
        .filter(|j| j["to"] == wa_id)
        .collect()
}

async fn until_whatsapp(fake: &FakeProvider, wa_id: &str, n: usize) -> Vec<Value> {
    until_n(|| whatsapp_sends_to(fake, wa_id), n, wa_id).await
}

fn whatsapp_from(wa_id: &str, wamid: &str, body: &str) -> switchboard_channels::WebhookRequest {
    use switchboard_channels::{meta, whatsapp};
    let b = whatsapp::fake::Business {
        waba_id: "102290129340999".into(),
        phone_number_id: PHONE_ID.into(),
        display_phone_number: "15550783999".into(),
    };
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let body = b.body(vec![b.messages_change(
        wa_id,
        "Zoe",
        vec![whatsapp::fake::text(wa_id, wamid, now_s, body)],
    )]);
    meta::fake::signed_request(
        &format!("{PUBLIC}/webhooks/whatsapp"),
        APP_SECRET,
        meta::fake::body_bytes(&body),
    )
}

#[tokio::test]
async fn a_web_chat_moves_to_whatsapp_with_the_welcome_template_and_goes_on_when_the_visitor_answers(
) {
    for (backend, url) in databases().await {
        let fake = fake_both().await;
        let server = TestServer::start_with_channels(&url, config_both(&fake)).await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Zoe Park", "Can we go on by WhatsApp?").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        assert_eq!(chat["switch_to"], json!(["sms", "whatsapp"]), "{backend}");
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let view: Value = call_ok(&http(), &server, "visitor/switch", json!({"token": token, "conversation_id": conv, "to": "whatsapp", "phone": "+1 555 000 7777"})).await;
        assert_eq!(
            (view["to"].as_str(), view["address"].as_str()),
            (Some("whatsapp"), Some("+1 555 000 7777"))
        );
        // The welcome goes once, as the configured template with the first name.
        let sent = until_whatsapp(&fake, "15550007777", 1).await;
        assert_eq!(sent[0]["type"], "template", "{backend}: {}", sent[0]);
        assert_eq!(sent[0]["template"]["name"], "chat_continue");
        assert_eq!(
            sent[0]["template"]["components"][0]["parameters"][0]["text"],
            "Zoe"
        );
        let held = until_settled(&server, &token, &conv).await;
        assert_eq!(held["active"], "whatsapp", "{backend}");
        let m = messages(&agent1, &server, &conv).await;
        assert!(
            m.iter().any(
                |x| x["body"] == "Hi Zoe, reply here to go on with your web chat."
                    && x["channel"] == "whatsapp"
            ),
            "{backend}: the welcome reads as the template's text: {m:?}"
        );

        // The visitor answers on WhatsApp: same conversation; the agent's reply goes there.
        assert_eq!(
            deliver_webhook(
                &server,
                &whatsapp_from("15550007777", "wamid.in1", "Here now")
            )
            .await
            .0,
            200
        );
        messages_until(&agent1, &server, &conv, "the WhatsApp answer", |m| {
            m.iter()
                .any(|x| x["body"] == "Here now" && x["channel"] == "whatsapp")
        })
        .await;
        let sent = reply(&agent1, &server, &conv, "Great, carrying on here").await;
        assert_eq!(sent["channel"], "whatsapp");
        let out = until_whatsapp(&fake, "15550007777", 2).await;
        assert_eq!(
            (out[1]["type"].as_str(), out[1]["text"]["body"].as_str()),
            (Some("text"), Some("Great, carrying on here")),
            "{backend}"
        );
        assert_eq!(whatsapp_sends_to(&fake, "15550007777").len(), 2);
        server.stop().await;
    }
}

#[tokio::test]
async fn a_whatsapp_switch_reverted_before_the_visitor_answered_sends_no_free_text() {
    for (backend, url) in databases().await {
        let fake = fake_both().await;
        let server = TestServer::start_with_channels(&url, config_both(&fake)).await;
        let chat = start_chat(&server, "Ann", "hello").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        let _: Value = call_ok(&http(), &server, "visitor/switch", json!({"token": token, "conversation_id": conv, "to": "whatsapp", "phone": "+15550008888"})).await;
        until_settled(&server, &token, &conv).await;
        let back: Value = call_ok(
            &http(),
            &server,
            "visitor/switch-revert",
            json!({"token": token, "conversation_id": conv}),
        )
        .await;
        assert_eq!(back["active"], "web", "{backend}");
        // Give a goodbye the time to be (wrongly) sent: only the template went.
        tokio::time::sleep(Duration::from_millis(600)).await;
        let sent = whatsapp_sends_to(&fake, "15550008888");
        assert_eq!(sent.len(), 1, "{backend}: {sent:?}");
        assert_eq!(sent[0]["type"], "template");
        server.stop().await;
    }
}

#[tokio::test]
async fn whatsapp_is_offered_only_with_a_welcome_template() {
    let fake = fake_both().await;
    let mut cfg = config_both(&fake);
    if let Some(w) = cfg.whatsapp.as_mut() {
        w.switch_template = None;
    }
    let (_, url) = databases().await.remove(0);
    let server = TestServer::start_with_channels(&url, cfg).await;
    let chat = start_chat(&server, "Ann", "hello").await;
    assert_eq!(chat["switch_to"], json!(["sms"]));
    let (code, body) = call(
        &http(),
        &server,
        "visitor/switch",
        json!({"token": chat["token"], "conversation_id": chat["conversation_id"], "to": "whatsapp", "phone": "+15550008888"}),
    )
    .await;
    assert_eq!(code, 422, "{body}");
    server.stop().await;
}

#[tokio::test]
async fn an_agent_chooses_which_of_the_contacts_channels_replies_go_on() {
    for (backend, url) in databases().await {
        let fake = fake_both().await;
        let server = TestServer::start_with_channels(&url, config_both(&fake)).await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Kim Lee", "hello").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/accept",
            json!({"conversation_id": conv}),
        )
        .await;
        let chips = |v: &Value| -> Vec<(String, String, bool)> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["channel"].as_str().unwrap().to_string(),
                        c["address"].as_str().unwrap().to_string(),
                        c["active"].as_bool().unwrap(),
                    )
                })
                .collect()
        };
        let before: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/contact-channels",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(
            chips(&before),
            vec![("web".into(), "Web chat".into(), true)],
            "{backend}"
        );
        let _: Value = call_ok(
            &http(),
            &server,
            "visitor/switch",
            json!({"token": token, "conversation_id": conv, "to": "sms", "phone": "+15550005151"}),
        )
        .await;
        until_settled(&server, &token, &conv).await;
        let after: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/contact-channels",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(
            chips(&after),
            vec![
                ("web".into(), "Web chat".into(), false),
                ("sms".into(), "+1 555 000 5151".into(), true)
            ],
            "{backend}"
        );

        // Back to the web by the agent's choice: the reply stays off the phone.
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/reply-channel",
            json!({"conversation_id": conv, "to": "web"}),
        )
        .await;
        let sent = reply(&agent1, &server, &conv, "Answering here on the web").await;
        assert_eq!(sent["channel"], "web", "{backend}");
        let m = messages(&agent1, &server, &conv).await;
        assert!(
            m.iter()
                .any(|x| x["body"] == "Alex Agent continued on the web chat"),
            "{backend}: {:?}",
            bodies(&m)
        );
        // And to SMS again: the next reply is texted.
        let _: Value = call_ok(
            &agent1.http,
            &server,
            "inbox/reply-channel",
            json!({"conversation_id": conv, "to": "sms"}),
        )
        .await;
        let sent = reply(&agent1, &server, &conv, "And now by text").await;
        assert_eq!(sent["channel"], "sms", "{backend}");
        let texts = until_sent(&fake, "+15550005151", 2).await;
        assert_eq!(texts[1], "And now by text");
        assert_eq!(sends_to(&fake, "+15550005151").len(), 2, "{backend}");

        // A channel the contact is not known on, or the one in use: refused, nothing changes.
        let (code, body) = call(
            &agent1.http,
            &server,
            "inbox/reply-channel",
            json!({"conversation_id": conv, "to": "whatsapp"}),
        )
        .await;
        assert_eq!(
            (code, body["Invalid"]["code"].as_str()),
            (422, Some("no_channel")),
            "{body}"
        );
        let (code, body) = call(
            &agent1.http,
            &server,
            "inbox/reply-channel",
            json!({"conversation_id": conv, "to": "sms"}),
        )
        .await;
        assert_eq!(
            (code, body["Conflict"]["code"].as_str()),
            (409, Some("cannot_switch")),
            "{body}"
        );
        server.stop().await;
    }
}
