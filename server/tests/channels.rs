//! Provider channels end to end against fake providers speaking the exact wire format: a
//! signed webhook in, a contact's conversation in the inbox, the agent's reply out through
//! the provider's API from the outbox, receipts moving the delivery forward. On SQLite and
//! PostgreSQL.

mod support;

use serde_json::{json, Value};
use server::channels::{ChannelConfig, Facebook, Telegram, Twilio, Whatsapp};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::channels::*;
use support::providers::{Answer, FakeProvider, Got};
use support::*;
use switchboard_channels::{meta, telegram, twilio, whatsapp, WebhookRequest};
use switchboard_engine::channels::Template;
use uuid::Uuid;

const TWILIO_SID: &str = "AC00000000000000000000000000000001";
const TWILIO_TOKEN: &str = "twilio-auth-token";
const OUR_NUMBER: &str = "+15550001111";
const APP_SECRET: &str = "meta-app-secret";
const VERIFY_TOKEN: &str = "meta-verify-token";
const PHONE_ID: &str = "106540352242922";
const PAGE_ID: &str = "1234567890";
const BOT_TOKEN: &str = "7000000001:AAE-fake-bot-token";
const TG_SECRET: &str = "telegram-secret-token";

/// Every channel connected, each API at the fake.
fn channels(fake: &FakeProvider) -> ChannelConfig {
    ChannelConfig {
        public_url: PUBLIC.into(),
        twilio: Some(Twilio {
            account_sid: TWILIO_SID.into(),
            auth_token: TWILIO_TOKEN.into(),
            number: OUR_NUMBER.into(),
        }),
        twilio_api: fake.url.clone(),
        whatsapp: Some(Whatsapp {
            phone_number_id: PHONE_ID.into(),
            access_token: "wa-token".into(),
            templates: vec![Template {
                name: "order_update".into(),
                language: "en_US".into(),
                text: "Hi {{1}}, your order {{2}} has an update.".into(),
            }],
            switch_template: None,
        }),
        meta_app_secret: Some(APP_SECRET.into()),
        meta_verify_token: Some(VERIFY_TOKEN.into()),
        graph_api: format!("{}/v25.0", fake.url),
        facebook: Some(Facebook {
            page_id: PAGE_ID.into(),
            page_token: "page-token".into(),
            instagram_account_id: None,
        }),
        telegram: Some(Telegram {
            bot_token: BOT_TOKEN.into(),
            secret_token: TG_SECRET.into(),
            polling: false,
        }),
        telegram_api: fake.url.clone(),
        ..ChannelConfig::default()
    }
}

/// Success in each provider's own format, with a fresh id per call.
async fn fake_providers() -> FakeProvider {
    let n = Arc::new(AtomicUsize::new(0));
    FakeProvider::start(move |got: &Got| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        if got.path.contains("/Messages.json") {
            let form = got.form();
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            Answer::status(201, twilio::fake::message_created_json(&format!("SMout{i}"), TWILIO_SID, &get("From"), &get("To"), &get("Body"), "queued"))
        } else if got.path.contains("/sendMessage") {
            Answer::status(200, json!({"ok": true, "result": {"message_id": 500 + i, "date": 1_700_000_000, "chat": {"id": 42, "type": "private"}, "text": "x"}}).to_string())
        } else if got.path.ends_with("/comments") || got.path.contains("/comments?") {
            Answer::status(200, json!({"id": format!("{PAGE_ID}_reply{i}")}).to_string())
        } else {
            let to = got.json()["recipient"]["id"].as_str().or(got.json()["to"].as_str()).unwrap_or("").to_string();
            Answer::status(200, json!({"messaging_product": "whatsapp", "recipient_id": to, "message_id": format!("m_out{i}"), "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": format!("wamid.out{i}")}]}).to_string())
        }
    })
    .await
}

fn sms(sid: &str, from: &str, body: &str) -> WebhookRequest {
    let m = twilio::fake::InboundMessage {
        account_sid: TWILIO_SID.into(),
        message_sid: sid.into(),
        from: from.into(),
        to: OUR_NUMBER.into(),
        body: body.into(),
        ..Default::default()
    };
    twilio::fake::signed_request(
        &format!("{PUBLIC}/webhooks/twilio/sms"),
        TWILIO_TOKEN,
        &m.params(),
        None,
    )
}

fn sms_status(sid: &str, to: &str, status: &str) -> WebhookRequest {
    let s = twilio::fake::StatusCallback {
        account_sid: TWILIO_SID.into(),
        message_sid: sid.into(),
        from: OUR_NUMBER.into(),
        to: to.into(),
        status: status.into(),
        error_code: None,
    };
    twilio::fake::signed_request(
        &format!("{PUBLIC}/webhooks/twilio/status"),
        TWILIO_TOKEN,
        &s.params(),
        None,
    )
}

fn business() -> whatsapp::fake::Business {
    whatsapp::fake::Business {
        waba_id: "102290129340398".into(),
        phone_number_id: PHONE_ID.into(),
        display_phone_number: "15550783881".into(),
    }
}

fn whatsapp_hook(body: &Value) -> WebhookRequest {
    meta::fake::signed_request(
        &format!("{PUBLIC}/webhooks/whatsapp"),
        APP_SECRET,
        meta::fake::body_bytes(body),
    )
}

#[tokio::test]
async fn an_sms_lands_in_the_inbox_and_the_reply_goes_out_through_twilio_with_receipts_forward_only(
) {
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let contact = "+15557654321";

        // A forged signature, an unsigned request and a malformed body are refused; nothing is stored.
        let mut forged = sms("SMforged", contact, "forged");
        forged.headers = switchboard_channels::Headers::from_pairs([
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", "bm90IGl0"),
        ]);
        assert_eq!(deliver_webhook(&server, &forged).await.0, 403, "{backend}");
        let mut unsigned = sms("SMunsigned", contact, "unsigned");
        unsigned.headers = switchboard_channels::Headers::from_pairs([(
            "Content-Type",
            "application/x-www-form-urlencoded",
        )]);
        assert_eq!(
            deliver_webhook(&server, &unsigned).await.0,
            403,
            "{backend}"
        );

        // The real one, twice (Twilio retries): answered with empty TwiML, stored once.
        let first = sms("SM0001", contact, "Has my order shipped?");
        let (status, body) = deliver_webhook(&server, &first).await;
        assert_eq!(status, 200, "{backend}: {body}");
        assert!(body.contains("<Response>"), "{body}");
        assert_eq!(deliver_webhook(&server, &first).await.0, 200);
        let conv = conversation_on(&admin, &server, "sms").await;
        let row = &rows_on(&admin, &server, "sms").await[0]["summary"];
        assert_eq!(row["active_channel"], "sms", "{backend}");
        assert_eq!(
            row["contact_name"], contact,
            "{backend}: the number names a new contact"
        );
        assert!(
            ["queued", "offered"].contains(&row["status"].as_str().unwrap()),
            "routed like a web chat: {row}"
        );
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(
            m.len(),
            1,
            "{backend}: the retried webhook is stored once: {m:#?}"
        );
        assert_eq!(m[0]["body"], "Has my order shipped?");
        assert!(
            rows_on(&admin, &server, "web")
                .await
                .iter()
                .all(|r| r["summary"]["id"] != conv.as_str()),
            "filtered by channel"
        );
        assert!(fake.calls().is_empty(), "nothing sent yet");

        // A second SMS from the same number joins the same conversation.
        deliver_webhook(&server, &sms("SM0002", contact, "Order 1234")).await;
        messages_until(&admin, &server, &conv, "second SMS", |m| m.len() == 2).await;

        // The agent's reply goes out through Twilio's Messages API, exactly shaped.
        let sent = reply(&admin, &server, &conv, "It left the warehouse today.").await;
        assert_eq!(sent["delivery"]["status"], "queued", "{backend}");
        let calls = fake.wait_calls(1, 10).await;
        let call = &calls[0];
        assert_eq!(call.method, "POST");
        assert_eq!(
            call.path,
            format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json")
        );
        assert_eq!(
            call.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        let basic = format!("Basic {}", base64(&format!("{TWILIO_SID}:{TWILIO_TOKEN}")));
        assert_eq!(call.header("authorization"), Some(basic.as_str()));
        let form = call.form();
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(field("To"), Some(contact));
        assert_eq!(field("From"), Some(OUR_NUMBER));
        assert_eq!(field("Body"), Some("It left the warehouse today."));
        assert_eq!(
            field("StatusCallback"),
            Some(format!("{PUBLIC}/webhooks/twilio/status").as_str())
        );
        let m = messages_until(&admin, &server, &conv, "sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        assert_eq!(delivery_of(&m, &sent["id"])["reason"], Value::Null);

        // Receipts: delivered moves it on; a late "sent" does not move it back.
        assert_eq!(
            deliver_webhook(&server, &sms_status("SMout1", contact, "delivered"))
                .await
                .0,
            200
        );
        messages_until(&admin, &server, &conv, "delivered", |m| {
            delivery_of(m, &sent["id"])["status"] == "delivered"
        })
        .await;
        deliver_webhook(&server, &sms_status("SMout1", contact, "sent")).await;
        deliver_webhook(&server, &sms_status("SMout1", contact, "read")).await;
        let m = messages_until(&admin, &server, &conv, "read", |m| {
            delivery_of(m, &sent["id"])["status"] == "read"
        })
        .await;
        assert_eq!(m.len(), 3);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(fake.calls().len(), 1, "{backend}: sent once");
        server.stop().await;
    }
}

/// A JPEG from Ada Lovelace on WhatsApp (Cloud API), signed; `caption` goes with it.
fn whatsapp_image(
    wa_id: &str,
    wamid: &str,
    media_id: &str,
    caption: Option<&str>,
) -> WebhookRequest {
    let b = business();
    whatsapp_hook(&b.body(vec![b.messages_change(
        wa_id,
        "Ada Lovelace",
        vec![whatsapp::fake::image(
            wa_id,
            wamid,
            chrono_now_s(),
            media_id,
            "image/jpeg",
            caption,
        )],
    )]))
}

/// `GET /media/{message}` as `a` (or anonymously): status, headers and body.
async fn media_of(
    a: Option<&AgentClient>,
    server: &TestServer,
    message: &Value,
) -> (u16, reqwest::header::HeaderMap, String) {
    let client = a.map(|a| a.http.clone()).unwrap_or_else(http);
    let res = client
        .get(server.url(&format!("/media/{}", message["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

#[tokio::test]
async fn a_contacts_files_are_fetched_from_each_provider_for_signed_in_agents_only() {
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;

        // WhatsApp: the media id first, then the URL it names, both with the token.
        let wa_id = "16505550101";
        let hook = whatsapp_image(wa_id, "wamid.PIC", "media-77", None);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "whatsapp").await;
        let m = messages_until(&admin, &server, &conv, "the photo", |m| m.len() == 1).await;
        assert_eq!(m[0]["body"], "Photo", "{backend}");
        assert_eq!(m[0]["attachment"]["kind"], "image");

        let (status, _, _) = media_of(None, &server, &m[0]).await;
        assert_eq!(status, 401, "{backend}: anonymous");
        let before = fake.calls().len();
        fake.script([
            Answer::status(200, json!({"url": format!("{}/whatsapp-cdn/77?ext=1", fake.url), "mime_type": "image/jpeg", "id": "media-77"}).to_string()),
            Answer::file("image/jpeg", "JPEG-BYTES"),
        ]);
        let (status, headers, body) = media_of(Some(&admin), &server, &m[0]).await;
        assert_eq!((status, body.as_str()), (200, "JPEG-BYTES"), "{backend}");
        assert_eq!(headers["content-type"], "image/jpeg");
        assert!(headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let calls: Vec<Got> = fake.calls().into_iter().skip(before).collect();
        assert_eq!(calls.len(), 2, "{backend}: {calls:#?}");
        assert_eq!(
            (calls[0].method.as_str(), calls[0].path.as_str()),
            ("GET", "/v25.0/media-77")
        );
        assert_eq!(calls[0].header("authorization"), Some("Bearer wa-token"));
        assert_eq!(calls[1].path, "/whatsapp-cdn/77?ext=1");
        assert_eq!(calls[1].header("authorization"), Some("Bearer wa-token"));

        // Twilio: the media URL with the account's Basic auth; a type a browser would run is
        // served as a download.
        let media_url = format!(
            "{}/2010-04-01/Accounts/{TWILIO_SID}/Messages/MMpic/Media/ME1",
            fake.url
        );
        let mms = twilio::fake::InboundMessage {
            account_sid: TWILIO_SID.into(),
            message_sid: "MMpic".into(),
            from: "+15557770001".into(),
            to: OUR_NUMBER.into(),
            body: String::new(),
            media: vec![(media_url.clone(), "text/html".into())],
            ..Default::default()
        };
        let hook = twilio::fake::signed_request(
            &format!("{PUBLIC}/webhooks/twilio/sms"),
            TWILIO_TOKEN,
            &mms.params(),
            None,
        );
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "sms").await;
        let m = messages_until(&admin, &server, &conv, "the MMS", |m| m.len() == 1).await;
        assert_eq!(m[0]["attachment"]["kind"], "document", "{backend}: {m:#?}");
        let before = fake.calls().len();
        fake.script([Answer::file("text/html", "<script>alert(1)</script>")]);
        let (status, headers, _) = media_of(Some(&admin), &server, &m[0]).await;
        assert_eq!(status, 200, "{backend}");
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert!(headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;"));
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox"));
        let call = &fake.calls()[before];
        assert_eq!(call.path, media_url.strip_prefix(&fake.url).unwrap());
        let basic = format!("Basic {}", base64(&format!("{TWILIO_SID}:{TWILIO_TOKEN}")));
        assert_eq!(
            call.header("authorization"),
            Some(basic.as_str()),
            "{backend}"
        );

        // Telegram: getFile, then the file under /file/bot<token>/.
        let user = telegram::fake::User {
            id: 4343,
            first_name: "Tess".into(),
            username: None,
        };
        let update =
            telegram::fake::photo_update(9001, &user, 77, chrono_now_s(), "AgADphoto", None);
        let hook = telegram::fake::signed_request(
            &format!("{PUBLIC}/webhooks/telegram"),
            TG_SECRET,
            &update,
        );
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "telegram").await;
        let m = messages_until(&admin, &server, &conv, "the photo", |m| m.len() == 1).await;
        let before = fake.calls().len();
        fake.script([
            Answer::status(200, json!({"ok": true, "result": {"file_id": "AgADphoto", "file_unique_id": "u", "file_size": 5, "file_path": "photos/file_9.jpg"}}).to_string()),
            Answer::file("image/jpeg", "PHOTO"),
        ]);
        let (status, _, body) = media_of(Some(&admin), &server, &m[0]).await;
        assert_eq!((status, body.as_str()), (200, "PHOTO"), "{backend}");
        let calls: Vec<Got> = fake.calls().into_iter().skip(before).collect();
        assert_eq!(
            calls[0].path,
            format!("/bot{BOT_TOKEN}/getFile?file_id=AgADphoto")
        );
        assert_eq!(
            calls[1].path,
            format!("/file/bot{BOT_TOKEN}/photos/file_9.jpg")
        );

        // A file the provider no longer has: a plain-words 502, nothing cached.
        fake.script([Answer::status(
            404,
            json!({"ok": false, "error_code": 404, "description": "Not Found"}).to_string(),
        )]);
        let (status, _, body) = media_of(Some(&admin), &server, &m[0]).await;
        assert_eq!(status, 502, "{backend}: {body}");
        assert!(
            body.contains("no longer has this file"),
            "{backend}: {body}"
        );

        // A text message has no file; an unknown id is not found.
        let (status, _, _) = media_of(Some(&admin), &server, &json!({"id": Uuid::new_v4()})).await;
        assert_eq!(status, 404, "{backend}");
        server.stop().await;
    }
}

#[tokio::test]
async fn whatsapp_waits_out_a_429_and_sends_once_and_an_image_with_caption_shows_as_two_items() {
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let wa_id = "16505551234";
        let now_s = chrono_now_s();
        let b = business();
        let hook = whatsapp_image(wa_id, "wamid.IN1", "media-1", Some("The box was open"));
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "whatsapp").await;
        let m = messages_until(&admin, &server, &conv, "two items", |m| m.len() == 2).await;
        assert_eq!(m[0]["body"], "Photo", "{m:#?}");
        assert_eq!(
            m[0]["attachment"],
            json!({"kind": "image", "filename": null, "mime": "image/jpeg", "size": null})
        );
        assert_eq!(
            m[1]["body"], "The box was open",
            "the caption is its own item"
        );
        assert_eq!(
            rows_on(&admin, &server, "whatsapp").await[0]["summary"]["contact_name"],
            "Ada Lovelace"
        );

        // Rate limited first: Retry-After is honoured, then one accepted send, never two.
        fake.script([Answer::status(
            429,
            meta::fake::graph_error_json(130429, "Rate limit hit", None),
        )
        .with_header("Retry-After", "1")]);
        let started = std::time::Instant::now();
        let sent = reply(
            &admin,
            &server,
            &conv,
            "Sorry! A replacement is on its way.",
        )
        .await;
        messages_until(&admin, &server, &conv, "sent after the 429", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{backend}: waited for Retry-After"
        );
        let calls = fake.calls();
        assert_eq!(
            calls.len(),
            2,
            "{backend}: one refused, one accepted: {calls:#?}"
        );
        let call = &calls[1];
        assert_eq!(call.path, format!("/v25.0/{PHONE_ID}/messages"));
        assert_eq!(call.header("authorization"), Some("Bearer wa-token"));
        let body = call.json();
        assert_eq!(body["messaging_product"], "whatsapp");
        assert_eq!(body["to"], wa_id);
        assert_eq!(body["type"], "text");
        assert_eq!(body["text"]["body"], "Sorry! A replacement is on its way.");

        // Statuses from the webhook move it forward; a failure after "read" changes nothing.
        let status = |s: &str| {
            whatsapp_hook(&b.body(vec![b.statuses_change(vec![whatsapp::fake::status(
                "wamid.out1",
                s,
                now_s,
                wa_id,
                None,
            )])]))
        };
        deliver_webhook(&server, &status("read")).await;
        messages_until(&admin, &server, &conv, "read", |m| {
            delivery_of(m, &sent["id"])["status"] == "read"
        })
        .await;
        deliver_webhook(&server, &status("delivered")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            delivery_of(&messages(&admin, &server, &conv).await, &sent["id"])["status"],
            "read",
            "{backend}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(fake.calls().len(), 2, "{backend}: never sent twice");
        server.stop().await;
    }
}

#[tokio::test]
async fn outside_the_whatsapp_window_nothing_is_sent_and_the_message_says_why() {
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let wa_id = "16505559999";
        let b = business();
        // The contact last wrote 25 hours ago.
        let then = chrono_now_s() - 25 * 3600;
        let hook = whatsapp_hook(&b.body(vec![b.messages_change(
            wa_id,
            "Grace",
            vec![whatsapp::fake::text(wa_id, "wamid.OLD", then, "hello?")],
        )]));
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200);
        let conv = conversation_on(&admin, &server, "whatsapp").await;
        let sent = reply(&admin, &server, &conv, "Sorry for the delay!").await;
        let m = messages_until(&admin, &server, &conv, "failed", |m| {
            delivery_of(m, &sent["id"])["status"] == "failed"
        })
        .await;
        let reason = delivery_of(&m, &sent["id"])["reason"]
            .as_str()
            .unwrap()
            .to_lowercase();
        assert!(
            reason.contains("24-hour reply window has closed"),
            "{backend}: {reason}"
        );
        assert!(
            !reason.contains("unix"),
            "plain words, not a timestamp: {reason}"
        );
        assert!(
            fake.calls().is_empty(),
            "{backend}: refused before anything left"
        );

        // The composer is told why, and which templates can still go.
        let status: Value = call_ok(
            &admin.http,
            &server,
            "inbox/channel-status",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(status["window"]["state"], "closed", "{backend}: {status}");
        assert_eq!(status["window"]["templates"], true);
        assert_eq!(
            status["templates"],
            json!([{"name": "order_update", "language": "en_US", "text": "Hi {{1}}, your order {{2}} has an update.", "parameters": 2}])
        );

        // A template needs every value; then it goes out as a template.
        let template = |params: Value| json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "name": "order_update", "language": "en_US", "parameters": params});
        let (code, body) = call(
            &admin.http,
            &server,
            "inbox/send-template",
            template(json!(["Grace"])),
        )
        .await;
        assert_eq!(code, 422, "{backend}: {body}");
        assert_eq!(body["Invalid"]["code"], "template_parameters");
        let (code, body) = call(&admin.http, &server, "inbox/send-template", json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "name": "nope", "language": "en_US", "parameters": []})).await;
        assert_eq!(
            (code, body["Invalid"]["code"].clone()),
            (422, json!("unknown_template")),
            "{backend}"
        );
        let sent: Value = call_ok(
            &admin.http,
            &server,
            "inbox/send-template",
            template(json!(["Grace", "1042"])),
        )
        .await;
        assert_eq!(sent["body"], "Hi Grace, your order 1042 has an update.");
        assert_eq!(
            sent["template"],
            json!({"name": "order_update", "language": "en_US", "parameters": ["Grace", "1042"]})
        );
        messages_until(&admin, &server, &conv, "template sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        let calls = fake.calls();
        assert_eq!(calls.len(), 1, "{backend}");
        let body = calls[0].json();
        assert_eq!(body["type"], "template");
        assert_eq!(body["template"]["name"], "order_update");
        assert_eq!(body["template"]["language"]["code"], "en_US");
        assert_eq!(
            body["template"]["components"][0]["parameters"],
            json!([{"type": "text", "text": "Grace"}, {"type": "text", "text": "1042"}])
        );

        // Once the contact writes again the window is open, with its time left.
        let hook = whatsapp_hook(&b.body(vec![b.messages_change(
            wa_id,
            "Grace",
            vec![whatsapp::fake::text(
                wa_id,
                "wamid.NEW",
                chrono_now_s(),
                "ok, thanks",
            )],
        )]));
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200);
        messages_until(&admin, &server, &conv, "the new message", |m| {
            m.iter().any(|x| x["body"] == "ok, thanks")
        })
        .await;
        let status: Value = call_ok(
            &admin.http,
            &server,
            "inbox/channel-status",
            json!({"conversation_id": conv}),
        )
        .await;
        assert_eq!(status["window"]["state"], "open", "{backend}: {status}");
        let left = status["window"]["closes_at"].as_i64().unwrap() - chrono_now_s() * 1000;
        assert!(
            left > 23 * 3600 * 1000 && left <= 24 * 3600 * 1000,
            "{backend}: {left}"
        );
        server.stop().await;
    }
}

#[tokio::test]
async fn a_provider_refusal_shows_on_the_message_in_plain_words() {
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let user = telegram::fake::User {
            id: 42,
            first_name: "Linus".into(),
            username: Some("linus".into()),
        };
        let update =
            telegram::fake::text_update(9001, &user, 7, chrono_now_s(), "hi from telegram");
        let hook = telegram::fake::signed_request(
            &format!("{PUBLIC}/webhooks/telegram"),
            TG_SECRET,
            &update,
        );
        let mut forged = hook.clone();
        forged.headers = switchboard_channels::Headers::from_pairs([
            ("Content-Type", "application/json"),
            ("X-Telegram-Bot-Api-Secret-Token", "wrong"),
        ]);
        assert_eq!(deliver_webhook(&server, &forged).await.0, 403, "{backend}");
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "telegram").await;

        fake.script([Answer::status(
            403,
            telegram::fake::error_json(403, "Forbidden: bot was blocked by the user", None),
        )]);
        let sent = reply(&admin, &server, &conv, "Hello Linus").await;
        let m = messages_until(&admin, &server, &conv, "failed", |m| {
            delivery_of(m, &sent["id"])["status"] == "failed"
        })
        .await;
        let reason = delivery_of(&m, &sent["id"])["reason"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            reason.to_lowercase().contains("blocked"),
            "{backend}: {reason}"
        );
        let calls = fake.calls();
        assert_eq!(
            calls.len(),
            1,
            "{backend}: a permanent failure is not retried"
        );
        assert_eq!(calls[0].path, format!("/bot{BOT_TOKEN}/sendMessage"));
        assert_eq!(calls[0].json()["chat_id"], 42);
        server.stop().await;
    }
}

/// A Page `feed` webhook with these changes, signed.
fn feed_hook(changes: Vec<Value>) -> WebhookRequest {
    let body = meta::fake::envelope(
        "page",
        vec![switchboard_channels::page_comments::fake::entry(
            PAGE_ID,
            chrono_now_s(),
            changes,
        )],
    );
    meta::fake::signed_request(
        &format!("{PUBLIC}/webhooks/meta"),
        APP_SECRET,
        meta::fake::body_bytes(&body),
    )
}

#[tokio::test]
async fn a_contact_editing_hiding_or_deleting_their_comment_shows_in_the_thread_live() {
    use switchboard_channels::page_comments::fake::{comment_change, comment_verb_change};
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let post = format!("{PAGE_ID}_777");
        let c1 = format!("{post}_c1");
        let hook = feed_hook(vec![comment_change(
            &post,
            &c1,
            None,
            "9911",
            "Maria",
            "Do you ship to Spain?",
            chrono_now_s(),
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "page_comment").await;
        let m = messages_until(&admin, &server, &conv, "the comment", |m| m.len() == 1).await;
        let comment_id = m[0]["id"].clone();
        let mut ws = admin.socket(&server).await;
        subscribe(&mut ws, &conv, 0).await;

        // Edited: the new text, marked, live.
        let hook = feed_hook(vec![comment_verb_change(
            &post,
            &c1,
            "9911",
            "edited",
            Some("Do you ship to Portugal?"),
            chrono_now_s(),
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let f = next_of(&mut ws, "message_changed").await;
        assert_eq!(f["message_id"], comment_id, "{backend}");
        assert_eq!(
            f["change"],
            json!({"change": "edited", "text": "Do you ship to Portugal?"})
        );
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(
            (m[0]["body"].as_str(), m[0]["altered"].as_str()),
            (Some("Do you ship to Portugal?"), Some("edited")),
            "{backend}"
        );
        let row = next_of(&mut ws, "conversation").await;
        assert_eq!(
            row["summary"]["preview"], "Do you ship to Portugal?",
            "{backend}: the row follows"
        );
        assert_eq!(
            rows_on(&admin, &server, "page_comment").await[0]["summary"]["preview"],
            "Do you ship to Portugal?"
        );

        // Hidden, then shown again.
        let hook = feed_hook(vec![comment_verb_change(
            &post,
            &c1,
            PAGE_ID,
            "hide",
            None,
            chrono_now_s(),
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200);
        assert_eq!(
            next_of(&mut ws, "message_changed").await["change"]["change"],
            "hidden"
        );
        assert_eq!(
            messages(&admin, &server, &conv).await[0]["altered"],
            "hidden",
            "{backend}"
        );
        let hook = feed_hook(vec![comment_verb_change(
            &post,
            &c1,
            PAGE_ID,
            "unhide",
            None,
            chrono_now_s(),
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200);
        assert_eq!(
            next_of(&mut ws, "message_changed").await["change"]["change"],
            "unhidden"
        );
        assert_eq!(
            messages(&admin, &server, &conv).await[0]["altered"],
            Value::Null,
            "{backend}"
        );

        // Our own reply removed on Facebook, and a change to a comment we never stored: nothing
        // changes. The contact deleting theirs drops its text.
        let sent = reply(&admin, &server, &conv, "Yes, in 3 days.").await;
        messages_until(&admin, &server, &conv, "sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        let ours = format!("{PAGE_ID}_reply1");
        let hook = feed_hook(vec![
            comment_verb_change(&post, &ours, PAGE_ID, "remove", None, chrono_now_s()),
            comment_verb_change(
                &post,
                &format!("{post}_never"),
                "9911",
                "remove",
                None,
                chrono_now_s(),
            ),
            comment_verb_change(&post, &c1, "9911", "remove", None, chrono_now_s()),
        ]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let f = next_of(&mut ws, "message_changed").await;
        assert_eq!(
            (f["message_id"].clone(), f["change"].clone()),
            (comment_id.clone(), json!({"change": "withdrawn"})),
            "{backend}"
        );
        let m = messages(&admin, &server, &conv).await;
        let by_id = |id: &Value| m.iter().find(|x| x["id"] == *id).unwrap().clone();
        assert_eq!(
            (
                by_id(&comment_id)["body"].as_str(),
                by_id(&comment_id)["altered"].as_str()
            ),
            (Some(""), Some("withdrawn"))
        );
        assert_eq!(
            by_id(&sent["id"])["body"],
            "Yes, in 3 days.",
            "{backend}: our reply stays"
        );
        assert_eq!(by_id(&sent["id"])["altered"], Value::Null);
        assert_no_frame_of(&mut ws, "message_changed", 300).await;
        server.stop().await;
    }
}

#[tokio::test]
async fn a_page_comment_becomes_a_conversation_about_its_post_and_the_reply_goes_under_it() {
    for (backend, url) in databases().await {
        let fake = fake_providers().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;

        // The subscription handshake answers the challenge only with our verify token.
        let ok = meta::fake::handshake_request(
            &format!("{PUBLIC}/webhooks/meta"),
            VERIFY_TOKEN,
            "challenge-123",
        );
        assert_eq!(
            deliver_webhook(&server, &ok).await,
            (200, "challenge-123".to_string()),
            "{backend}"
        );
        let wrong = meta::fake::handshake_request(
            &format!("{PUBLIC}/webhooks/meta"),
            "guess",
            "challenge-123",
        );
        assert_eq!(deliver_webhook(&server, &wrong).await.0, 403);

        let post = format!("{PAGE_ID}_555");
        let comment = switchboard_channels::page_comments::fake::comment_change(
            &post,
            &format!("{post}_c1"),
            None,
            "9911",
            "Maria",
            "Do you ship to Spain?",
            chrono_now_s(),
        );
        let body = meta::fake::envelope(
            "page",
            vec![switchboard_channels::page_comments::fake::entry(
                PAGE_ID,
                chrono_now_s(),
                vec![comment],
            )],
        );
        let hook = meta::fake::signed_request(
            &format!("{PUBLIC}/webhooks/meta"),
            APP_SECRET,
            meta::fake::body_bytes(&body),
        );
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "page_comment").await;
        let sent = reply(&admin, &server, &conv, "Yes, in 3 days.").await;
        messages_until(&admin, &server, &conv, "sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        let calls = fake.calls();
        assert_eq!(calls.len(), 1);
        assert!(
            calls[0]
                .path
                .starts_with(&format!("/v25.0/{post}_c1/comments")),
            "{backend}: {}",
            calls[0].path
        );
        assert_eq!(
            calls[0].form(),
            vec![("message".to_string(), "Yes, in 3 days.".to_string())]
        );

        // A private reply: a direct message to the comment's author through the Send API.
        let answer = |private: bool, body: &str| json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": body, "private": private});
        let private: Value = call_ok(
            &admin.http,
            &server,
            "inbox/answer-comment",
            answer(true, "I sent you the shipping table."),
        )
        .await;
        assert_eq!(
            private["reply_to"],
            json!({"comment_id": format!("{post}_c1"), "private": true}),
            "{backend}"
        );
        messages_until(&admin, &server, &conv, "private reply sent", |m| {
            delivery_of(m, &private["id"])["status"] == "sent"
        })
        .await;
        let calls = fake.calls();
        assert_eq!(calls.len(), 2, "{backend}");
        assert!(
            calls[1]
                .path
                .starts_with(&format!("/v25.0/{PAGE_ID}/messages")),
            "{}",
            calls[1].path
        );
        assert_eq!(
            calls[1].json()["recipient"],
            json!({"comment_id": format!("{post}_c1")})
        );
        assert_eq!(
            calls[1].json()["message"]["text"],
            "I sent you the shipping table."
        );

        // Once per comment: a second private reply is refused before anything leaves.
        let again: Value = call_ok(
            &admin.http,
            &server,
            "inbox/answer-comment",
            answer(true, "And another thing"),
        )
        .await;
        let m = messages_until(
            &admin,
            &server,
            &conv,
            "second private reply refused",
            |m| delivery_of(m, &again["id"])["status"] == "failed",
        )
        .await;
        assert!(
            delivery_of(&m, &again["id"])["reason"]
                .as_str()
                .unwrap()
                .contains("already has a private reply"),
            "{backend}: {m:#?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            fake.calls().len(),
            2,
            "{backend}: nothing sent for the refused one"
        );

        // Answering publicly through the same endpoint goes under the comment.
        let public: Value = call_ok(
            &admin.http,
            &server,
            "inbox/answer-comment",
            answer(false, "Shipping is free over 50 EUR."),
        )
        .await;
        messages_until(&admin, &server, &conv, "public answer sent", |m| {
            delivery_of(m, &public["id"])["status"] == "sent"
        })
        .await;
        assert!(fake.calls()[2]
            .path
            .starts_with(&format!("/v25.0/{post}_c1/comments")));

        // Deleting the comment from the post: a DELETE on it, then it shows deleted; once.
        let (comment, m) = delete_comment(&admin, &server, &conv, "Do you ship to Spain?").await;
        assert!(
            m.iter().any(|x| x["visibility"] == "internal"
                && x["body"]
                    .as_str()
                    .unwrap()
                    .contains("asked to delete the comment")),
            "{backend}"
        );
        let delete = fake
            .calls()
            .into_iter()
            .find(|c| c.method == "DELETE")
            .expect("a DELETE");
        assert!(
            delete.path.starts_with(&format!("/v25.0/{post}_c1?"))
                || delete.path == format!("/v25.0/{post}_c1"),
            "{}",
            delete.path
        );
        let (status, body) = call(
            &admin.http,
            &server,
            "inbox/delete-comment",
            json!({"conversation_id": conv, "message_id": comment["id"]}),
        )
        .await;
        assert_eq!(
            (status, body["Conflict"]["code"].clone()),
            (409, json!("comment_already_removed")),
            "{backend}: {body}"
        );
        let ours = m.iter().find(|x| x["id"] == public["id"]).unwrap();
        let (status, _) = call(
            &admin.http,
            &server,
            "inbox/delete-comment",
            json!({"conversation_id": conv, "message_id": ours["id"]}),
        )
        .await;
        assert_eq!(
            status, 409,
            "{backend}: only a contact's comment is deleted from here"
        );

        // Only comment conversations answer comments.
        deliver_webhook(&server, &sms("SMc1", "+15550009999", "hi")).await;
        let sms_conv = conversation_on(&admin, &server, "sms").await;
        let (status, body) = call(&admin.http, &server, "inbox/answer-comment", json!({"conversation_id": sms_conv, "client_msg_id": Uuid::new_v4(), "body": "x", "private": true})).await;
        assert_eq!(status, 409, "{backend}: {body}");
        assert_eq!(body["Conflict"]["code"], "not_a_comment");
        server.stop().await;
    }
}

fn chrono_now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn telegram_long_polling_brings_updates_without_a_webhook_and_confirms_them() {
    for (backend, url) in databases().await {
        let user = telegram::fake::User {
            id: 77,
            first_name: "Polly".into(),
            username: None,
        };
        let updates = json!({"ok": true, "result": [
            telegram::fake::text_update(100, &user, 1, chrono_now_s(), "first by polling"),
            telegram::fake::text_update(101, &user, 2, chrono_now_s(), "second by polling"),
        ]})
        .to_string();
        let fake = FakeProvider::start(move |got: &Got| {
            if got.path.ends_with("/getUpdates") {
                // Until the offset confirms them, the same updates come again.
                match got.json()["offset"].as_i64() {
                    Some(o) if o > 101 => Answer::status(200, r#"{"ok":true,"result":[]}"#),
                    _ => Answer::status(200, updates.clone()),
                }
            } else {
                Answer::status(
                    200,
                    telegram::fake::sent_message_json(900, 7000000001, 77, 1_700_000_000, "ok"),
                )
            }
        })
        .await;
        let mut config = channels(&fake);
        config.telegram = Some(Telegram {
            bot_token: BOT_TOKEN.into(),
            secret_token: String::new(),
            polling: true,
        });
        let server = TestServer::start_with_channels(&url, config).await;
        let admin = agent(&server, "admin@demo.test").await;
        let conv = conversation_on(&admin, &server, "telegram").await;
        let m = messages_until(&admin, &server, &conv, "both updates", |m| m.len() == 2).await;
        assert_eq!(m[0]["body"], "first by polling", "{backend}");
        assert_eq!(m[1]["body"], "second by polling");

        // The next poll confirms them with offset = last + 1, and nothing is stored twice.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !fake
            .calls()
            .iter()
            .any(|c| c.path.ends_with("/getUpdates") && c.json()["offset"] == 102)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{backend}: no confirming poll: {:#?}",
                fake.calls()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let first = fake
            .calls()
            .into_iter()
            .find(|c| c.path.ends_with("/getUpdates"))
            .unwrap();
        assert_eq!(first.path, format!("/bot{BOT_TOKEN}/getUpdates"));
        assert_eq!(first.json()["timeout"], 25);
        assert_eq!(messages(&admin, &server, &conv).await.len(), 2, "{backend}");

        // The webhook endpoint is off in polling mode.
        let user2 = telegram::fake::User {
            id: 78,
            first_name: "Hook".into(),
            username: None,
        };
        let hook = telegram::fake::signed_request(
            &format!("{PUBLIC}/webhooks/telegram"),
            "",
            &telegram::fake::text_update(5, &user2, 1, chrono_now_s(), "x"),
        );
        assert_eq!(deliver_webhook(&server, &hook).await.0, 404, "{backend}");

        // Replies go out as usual.
        let sent = reply(&admin, &server, &conv, "Hello Polly").await;
        messages_until(&admin, &server, &conv, "sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        server.stop().await;
    }
}

#[tokio::test]
async fn admins_see_each_channel_masked_with_its_webhook_and_can_test_the_connection() {
    for (backend, url) in databases().await {
        let fake = FakeProvider::start(|got: &Got| {
            if got.path.ends_with("/getMe") {
                Answer::status(401, r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#)
            } else if got.path.contains("/Accounts/") {
                Answer::status(200, json!({"sid": TWILIO_SID, "friendly_name": "Acme support"}).to_string())
            } else {
                Answer::status(200, json!({"id": PAGE_ID, "name": "Acme Page", "verified_name": "Acme", "display_phone_number": "+1 555"}).to_string())
            }
        })
        .await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let overview: Value = call_ok(&admin.http, &server, "admin/channels", json!({})).await;
        assert_eq!(overview["public_url"], PUBLIC);
        assert_eq!(overview["simulated"], false, "{backend}");
        let accounts = overview["accounts"].as_array().unwrap();
        let adapters: Vec<&str> = accounts
            .iter()
            .map(|a| a["adapter"].as_str().unwrap())
            .collect();
        assert_eq!(
            adapters,
            [
                "twilio_sms",
                "whatsapp_cloud",
                "messenger",
                "page_comments",
                "telegram"
            ]
        );
        let text = overview.to_string();
        for secret in [TWILIO_TOKEN, "wa-token", "page-token", BOT_TOKEN] {
            assert!(
                !text.contains(secret),
                "{backend}: {secret} leaked in {text}"
            );
        }
        assert_eq!(
            accounts[0]["credentials"],
            format!("{TWILIO_SID} / ••••oken")
        );
        assert_eq!(accounts[0]["webhook_path"], "/webhooks/twilio/sms");
        assert_eq!(accounts[1]["templates"], 1);

        let test = |channel: &str, address: &str| json!({"channel": channel, "address": address});
        let sms: Value = call_ok(
            &admin.http,
            &server,
            "admin/channels/test",
            test("sms", OUR_NUMBER),
        )
        .await;
        assert_eq!(
            sms,
            json!({"ok": true, "message": "Connected: Acme support."}),
            "{backend}"
        );
        let page: Value = call_ok(
            &admin.http,
            &server,
            "admin/channels/test",
            test("messenger", PAGE_ID),
        )
        .await;
        assert_eq!(page["message"], "Connected: Acme Page.");
        let bot: Value = call_ok(
            &admin.http,
            &server,
            "admin/channels/test",
            test("telegram", "7000000001"),
        )
        .await;
        assert_eq!(
            bot,
            json!({"ok": false, "message": "Telegram refused the bot token."}),
            "{backend}"
        );
        let calls = fake.calls();
        assert!(
            calls.iter().all(|c| c.method == "GET"),
            "a test only reads: {calls:#?}"
        );
        let (status, _) = call(
            &admin.http,
            &server,
            "admin/channels/test",
            test("sms", "+19990000000"),
        )
        .await;
        assert_eq!(status, 404, "{backend}");

        // Agents don't see channel settings.
        let agent1 = agent(&server, "agent1@demo.test").await;
        let (status, _) = call(&agent1.http, &server, "admin/channels", json!({})).await;
        assert_eq!(status, 403, "{backend}");
        server.stop().await;
    }
}
