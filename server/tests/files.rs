//! Files in chats: uploads checked against the admin's rules (extension, size, content by its
//! magic bytes) with nothing kept when refused, sent once as a message, readable only by the
//! conversation's parties, and an agent's file on a provider channel sent by a signed,
//! expiring URL the provider can fetch. On SQLite and PostgreSQL.

mod support;

use serde_json::{json, Value};
use server::channels::{ChannelConfig, Twilio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::channels::*;
use support::providers::{Answer, FakeProvider, Got};
use support::*;
use switchboard_channels::twilio;
use uuid::Uuid;

/// A PNG's signature and header, then filler: enough for the magic bytes.
fn png(len: usize) -> Vec<u8> {
    let mut b = vec![
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
    ];
    b.resize(len, 7);
    b
}

fn jpeg() -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    b.resize(600, 1);
    b
}

/// A Windows program: what a ".jpg" must not be.
fn exe() -> Vec<u8> {
    let mut b = vec![b'M', b'Z', 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xFF, 0xFF];
    b.resize(300, 0);
    b
}

fn files_dir(server: &TestServer) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "switchboard-files-{}",
        Uuid::new_v5(&Uuid::NAMESPACE_URL, server.db_url.as_bytes()).simple()
    ))
}

fn stored_count(server: &TestServer) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let p = e.path();
                        if p.is_dir() {
                            walk(&p)
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&files_dir(server))
}

async fn agent_upload(
    a: &AgentClient,
    server: &TestServer,
    conv: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let res = a
        .http
        .post(server.url("/api/files"))
        .query(&[("conversation_id", conv), ("name", name)])
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn visitor_upload(
    server: &TestServer,
    token: &str,
    conv: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let res = http()
        .post(server.url("/api/visitor/files"))
        .header("x-switchboard-visitor", token)
        .query(&[("conversation_id", conv), ("name", name)])
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn visitor_media(
    server: &TestServer,
    token: Option<&str>,
    message: &str,
) -> (u16, Option<String>, Vec<u8>) {
    let mut req = http().get(server.url(&format!("/api/visitor/media/{message}")));
    if let Some(t) = token {
        req = req.header("x-switchboard-visitor", t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, ct, res.bytes().await.unwrap().to_vec())
}

fn code(body: &Value) -> &str {
    body["Invalid"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn agents_and_visitors_send_files_that_only_the_conversations_parties_can_read() {
    for (backend, url) in databases().await {
        let server = TestServer::start(&url).await;
        let admin = agent(&server, "admin@demo.test").await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let chat = start_chat(&server, "Fiona", "Can I send you a photo?").await;
        let (conv, token) = (
            chat["conversation_id"].as_str().unwrap().to_string(),
            chat["token"].as_str().unwrap().to_string(),
        );
        let stranger = start_chat(&server, "Mallory", "hi").await;
        let stranger_token = stranger["token"].as_str().unwrap().to_string();

        // Each rule refuses with its name, and nothing is kept.
        let before = stored_count(&server);
        let (status, body) = agent_upload(&agent1, &server, &conv, "setup.exe", exe()).await;
        assert_eq!(
            (status, code(&body)),
            (422, "file_type_not_allowed"),
            "{backend}: {body}"
        );
        assert!(
            body["Invalid"]["message"]
                .as_str()
                .unwrap()
                .contains("Allowed: jpg"),
            "{body}"
        );
        let (status, body) = agent_upload(&agent1, &server, &conv, "cat.jpg", exe()).await;
        assert_eq!(
            (status, code(&body)),
            (422, "file_content_mismatch"),
            "{backend}: {body}"
        );
        let (status, body) = agent_upload(&agent1, &server, &conv, "empty.png", vec![]).await;
        assert_eq!((status, code(&body)), (422, "file_empty"), "{body}");
        let mut settings: Value = call_ok(&admin.http, &server, "admin/settings", json!({})).await;
        settings["files"]["max_bytes"] = json!(2048);
        let _: Value = call_ok(
            &admin.http,
            &server,
            "admin/settings/save",
            json!({"settings": settings}),
        )
        .await;
        let (status, body) = agent_upload(&agent1, &server, &conv, "big.png", png(5000)).await;
        assert_eq!(
            (status, code(&body)),
            (422, "file_too_large"),
            "{backend}: {body}"
        );
        assert_eq!(
            body["Invalid"]["message"],
            "The file is 5 KB; the limit is 2 KB."
        );
        assert_eq!(
            stored_count(&server),
            before,
            "{backend}: a refused file was kept"
        );
        // Anonymous uploads are refused.
        let res = http()
            .post(server.url("/api/files"))
            .query(&[("conversation_id", conv.as_str()), ("name", "a.png")])
            .body(png(100))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401);

        // The agent's picture: uploaded, then sent once.
        let picture = png(1500);
        let (status, up) =
            agent_upload(&agent1, &server, &conv, "screenshot.png", picture.clone()).await;
        assert_eq!(status, 200, "{backend}: {up}");
        assert_eq!(
            up["attachment"],
            json!({"kind": "image", "filename": "screenshot.png", "mime": "image/png", "size": 1500})
        );
        assert_eq!(stored_count(&server), before + 1);
        let client_msg_id = Uuid::new_v4();
        let send = json!({"conversation_id": conv, "file_id": up["id"], "client_msg_id": client_msg_id, "internal": false});
        let sent: Value = call_ok(&agent1.http, &server, "inbox/send-file", send.clone()).await;
        assert_eq!(sent["body"], "screenshot.png");
        assert_eq!(sent["attachment"]["kind"], "image");
        let again: Value = call_ok(&agent1.http, &server, "inbox/send-file", send).await;
        assert_eq!(again["id"], sent["id"], "{backend}: a retry sent it twice");
        let (status, body) = call(&agent1.http, &server, "inbox/send-file", json!({"conversation_id": conv, "file_id": up["id"], "client_msg_id": Uuid::new_v4(), "internal": false})).await;
        assert_eq!((status, code(&body)), (422, "file_sent"), "{body}");
        let m = messages(&agent1, &server, &conv).await;
        assert_eq!(
            m.iter().filter(|x| x["body"] == "screenshot.png").count(),
            1
        );

        // The visitor reads it (token in a header); nobody else does.
        let id = sent["id"].as_str().unwrap();
        let (status, ct, bytes) = visitor_media(&server, Some(&token), id).await;
        assert_eq!(
            (status, ct.as_deref()),
            (200, Some("image/png")),
            "{backend}"
        );
        assert_eq!(bytes, picture);
        assert_eq!(visitor_media(&server, None, id).await.0, 401);
        assert_eq!(
            visitor_media(&server, Some(&stranger_token), id).await.0,
            404,
            "{backend}"
        );
        let res = agent1
            .http
            .get(server.url(&format!("/media/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.bytes().await.unwrap().to_vec(), picture);
        assert_eq!(
            http()
                .get(server.url(&format!("/media/{id}")))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
            401
        );

        // An internal note's file stays with the agents.
        let (_, note_file) = agent_upload(&agent1, &server, &conv, "internal.png", png(300)).await;
        let note: Value = call_ok(&agent1.http, &server, "inbox/send-file", json!({"conversation_id": conv, "file_id": note_file["id"], "client_msg_id": Uuid::new_v4(), "internal": true})).await;
        assert_eq!(note["visibility"], "internal");
        assert_eq!(
            visitor_media(&server, Some(&token), note["id"].as_str().unwrap())
                .await
                .0,
            404,
            "{backend}"
        );

        // The visitor's text file reaches the agent; the visitor cannot send the agent's file
        // nor upload into another conversation.
        let (status, vup) = visitor_upload(
            &server,
            &token,
            &conv,
            "order.txt",
            b"Order 1042, blue, size M".to_vec(),
        )
        .await;
        assert_eq!(status, 200, "{backend}: {vup}");
        assert_eq!(vup["attachment"]["mime"], "text/plain");
        let (status, _) = call(&http(), &server, "visitor/send-file", json!({"token": token, "conversation_id": conv, "file_id": note_file["id"], "client_msg_id": Uuid::new_v4()})).await;
        assert_eq!(status, 404, "{backend}: a visitor sent someone else's file");
        let vsent: Value = call_ok(&http(), &server, "visitor/send-file", json!({"token": token, "conversation_id": conv, "file_id": vup["id"], "client_msg_id": Uuid::new_v4()})).await;
        assert_eq!(vsent["body"], "order.txt");
        assert_eq!(vsent["sender"]["kind"], "visitor");
        let res = agent1
            .http
            .get(server.url(&format!("/media/{}", vsent["id"].as_str().unwrap())))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["content-type"],
            "application/octet-stream",
            "text is downloaded, never rendered"
        );
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            b"Order 1042, blue, size M"
        );
        let (status, _) =
            visitor_upload(&server, &stranger_token, &conv, "x.txt", b"x".to_vec()).await;
        assert_eq!(status, 404, "{backend}");
        let (status, _) = visitor_upload(&server, "forged", &conv, "x.txt", b"x".to_vec()).await;
        assert_eq!(status, 401);
        server.stop().await;
    }
}

const TWILIO_SID: &str = "AC00000000000000000000000000000003";
const TWILIO_TOKEN: &str = "files-twilio-token";
const OUR_NUMBER: &str = "+15550003333";

#[tokio::test]
async fn an_agents_file_on_sms_goes_out_by_a_signed_url_the_provider_can_fetch() {
    for (backend, url) in databases().await {
        let n = Arc::new(AtomicUsize::new(0));
        let fake = FakeProvider::start(move |got: &Got| {
            let i = n.fetch_add(1, Ordering::SeqCst);
            let form = got.form();
            let get = |k: &str| {
                form.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            Answer::status(
                201,
                twilio::fake::message_created_json(
                    &format!("SMfile{i}"),
                    TWILIO_SID,
                    &get("From"),
                    &get("To"),
                    &get("Body"),
                    "queued",
                ),
            )
        })
        .await;
        let config = ChannelConfig {
            public_url: PUBLIC.into(),
            twilio: Some(Twilio {
                account_sid: TWILIO_SID.into(),
                auth_token: TWILIO_TOKEN.into(),
                number: OUR_NUMBER.into(),
            }),
            twilio_api: fake.url.clone(),
            ..ChannelConfig::default()
        };
        let server = TestServer::start_with_channels(&url, config).await;
        let agent1 = agent(&server, "agent1@demo.test").await;
        let inbound = twilio::fake::InboundMessage {
            account_sid: TWILIO_SID.into(),
            message_sid: "SMin1".into(),
            from: "+15557770000".into(),
            to: OUR_NUMBER.into(),
            body: "Send me the label please".into(),
            ..Default::default()
        };
        let hook = twilio::fake::signed_request(
            &format!("{PUBLIC}/webhooks/twilio/sms"),
            TWILIO_TOKEN,
            &inbound.params(),
            None,
        );
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200);
        let conv = conversation_on(&agent1, &server, "sms").await;
        let label = jpeg();
        let (status, up) =
            agent_upload(&agent1, &server, &conv, "return label.jpg", label.clone()).await;
        assert_eq!(status, 200, "{backend}: {up}");
        let sent: Value = call_ok(&agent1.http, &server, "inbox/send-file", json!({"conversation_id": conv, "file_id": up["id"], "client_msg_id": Uuid::new_v4(), "internal": false})).await;
        messages_until(&agent1, &server, &conv, "sent", |m| {
            delivery_of(m, &sent["id"])["status"] == "sent"
        })
        .await;
        let call = fake
            .calls()
            .into_iter()
            .find(|c| c.path.ends_with("/Messages.json"))
            .expect("a send");
        let form = call.form();
        let media = form
            .iter()
            .find(|(k, _)| k == "MediaUrl")
            .map(|(_, v)| v.clone())
            .expect("MediaUrl");
        assert!(
            media.starts_with(&format!(
                "{PUBLIC}/files/{}/return%20label.jpg?expires=",
                up["id"].as_str().unwrap()
            )),
            "{media}"
        );

        // The provider fetches it by that URL (here, at our loopback address).
        let local = media.replace(PUBLIC, &format!("http://{}", server.addr));
        let res = http().get(&local).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{backend}");
        assert_eq!(res.headers()["content-type"], "image/jpeg");
        assert_eq!(res.bytes().await.unwrap().to_vec(), label);
        // A forged signature, or a later expiry, gets nothing.
        let forged = local.replace("signature=", "signature=x");
        assert_eq!(
            http().get(&forged).send().await.unwrap().status().as_u16(),
            404
        );
        let (base, rest) = local.split_once("expires=").unwrap();
        let (expires, sig) = rest.split_once('&').unwrap();
        let later = format!(
            "{base}expires={}&{sig}",
            expires.parse::<i64>().unwrap() + 1000
        );
        assert_eq!(
            http().get(&later).send().await.unwrap().status().as_u16(),
            404
        );
        server.stop().await;
    }
}
