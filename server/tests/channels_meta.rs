//! Meta's messaging channels end to end against a fake Graph API: Messenger DMs (signed
//! `page` webhooks in, Send API out, delivery and read receipts), Instagram DMs and story
//! replies sent through the linked Page, Instagram comments as their own conversations
//! answered under the comment, and echoes of our own sends never shown as messages. On
//! SQLite and PostgreSQL.

mod support;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::{json, Value};
use server::channels::{ChannelConfig, Facebook};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::channels::*;
use support::providers::{Answer, FakeProvider, Got};
use support::*;
use switchboard_channels::{instagram, messenger, meta, WebhookRequest};
use uuid::Uuid;

const APP_SECRET: &str = "meta-app-secret";
const VERIFY_TOKEN: &str = "meta-verify-token";
const PAGE_ID: &str = "1234567890";
/// Characters that must be escaped in a query string, to see the token travel intact.
const PAGE_TOKEN: &str = "EAAG+page/token=";
/// The Instagram professional account linked to the Page.
const IG_ID: &str = "17841400000000001";
/// Our Meta app (what echoes of our own sends carry).
const APP_ID: &str = "263902037430900";

/// Messenger and Instagram (through the Page) connected, the Graph API at the fake.
fn channels(fake: &FakeProvider) -> ChannelConfig {
    ChannelConfig {
        public_url: PUBLIC.into(),
        meta_app_secret: Some(APP_SECRET.into()),
        meta_verify_token: Some(VERIFY_TOKEN.into()),
        graph_api: format!("{}/v25.0", fake.url),
        facebook: Some(Facebook {
            page_id: PAGE_ID.into(),
            page_token: PAGE_TOKEN.into(),
            instagram_account_id: Some(IG_ID.into()),
        }),
        ..ChannelConfig::default()
    }
}

/// Graph success in its own format, a fresh id per call: `{"id"}` for a comment reply, the
/// Send API's `{"recipient_id", "message_id": "m_out{n}"}` otherwise.
async fn fake_graph() -> FakeProvider {
    let n = Arc::new(AtomicUsize::new(0));
    FakeProvider::start(move |got: &Got| {
        let (path, query) = split(&got.path);
        if got.method == "GET" && query.iter().any(|(k, _)| k == "fields") {
            // Every Messenger contact here is Lena Park; Instagram answers a username.
            return Answer::status(
                200,
                if query.iter().any(|(k, v)| k == "fields" && v.contains("username")) {
                    json!({"name": "", "username": "lena.p", "id": path.trim_start_matches("/v25.0/")}).to_string()
                } else {
                    json!({"first_name": "Lena", "last_name": "Park", "id": path.trim_start_matches("/v25.0/")}).to_string()
                },
            );
        }
        // Ids count what is sent, not the lookups.
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        if path.ends_with("/replies") || path.ends_with("/comments") {
            Answer::status(
                200,
                json!({"id": format!("1790000000000{i:04}")}).to_string(),
            )
        } else {
            let to = got.json()["recipient"]["id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            Answer::status(
                200,
                messenger::fake::send_success_json(&to, &format!("m_out{i}")),
            )
        }
    })
    .await
}

/// A Graph profile lookup of a new contact (what the reactor asks before storing them).
fn is_profile_lookup(call: &Got) -> bool {
    call.method == "GET" && call.path.contains("?fields=")
}

/// The calls that send or change something (profile lookups left out).
fn sends(fake: &FakeProvider) -> Vec<Got> {
    fake.calls()
        .into_iter()
        .filter(|c| !is_profile_lookup(c))
        .collect()
}

/// Waits for `n` such calls.
async fn wait_sent(fake: &FakeProvider, n: usize, secs: u64) -> Vec<Got> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let calls = sends(fake);
        if calls.len() >= n {
            return calls;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the fake Graph API got {} sends in {secs}s, expected {n}: {calls:#?}",
            calls.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A call's path and its decoded query.
fn split(path_and_query: &str) -> (String, Vec<(String, String)>) {
    match path_and_query.split_once('?') {
        Some((p, q)) => (
            p.to_string(),
            form_urlencoded::parse(q.as_bytes()).into_owned().collect(),
        ),
        None => (path_and_query.to_string(), vec![]),
    }
}

/// A webhook body as Meta posts it to `/webhooks/meta`, signed with the app secret.
fn meta_hook(object: &str, entries: Vec<Value>) -> WebhookRequest {
    meta::fake::signed_request(
        &format!("{PUBLIC}/webhooks/meta"),
        APP_SECRET,
        meta::fake::body_bytes(&meta::fake::envelope(object, entries)),
    )
}

/// Messenger events in one `page` entry.
fn page_hook(messaging: Vec<Value>) -> WebhookRequest {
    meta_hook(
        "page",
        vec![messenger::fake::entry(PAGE_ID, now_ms(), messaging)],
    )
}

/// Instagram DM events in one `instagram` entry.
fn ig_dm_hook(messaging: Vec<Value>) -> WebhookRequest {
    meta_hook(
        "instagram",
        vec![instagram::fake::messaging_entry(IG_ID, now_s(), messaging)],
    )
}

/// Instagram comment changes in one `instagram` entry.
fn ig_comments_hook(changes: Vec<Value>) -> WebhookRequest {
    meta_hook(
        "instagram",
        vec![instagram::fake::changes_entry(IG_ID, now_s(), changes)],
    )
}

/// Sends an agent's reply and waits until the provider took it; returns the message.
async fn reply_sent(a: &AgentClient, server: &TestServer, conv: &str, body: &str) -> Value {
    let sent = reply(a, server, conv, body).await;
    assert_eq!(sent["delivery"]["status"], "queued", "{sent}");
    let m = messages_until(a, server, conv, "sent", |m| {
        delivery_of(m, &sent["id"])["status"] == "sent"
    })
    .await;
    assert_eq!(delivery_of(&m, &sent["id"])["reason"], Value::Null);
    sent
}

/// `sql` with `?` placeholders, for either backend.
fn statement(db: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let backend = db.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::new();
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The provider keys of every webhook event stored, in arrival order.
async fn stored_events(db: &DatabaseConnection) -> Vec<String> {
    db.query_all(statement(
        db,
        "SELECT dedupe_key FROM inbound_events ORDER BY id",
        vec![],
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<String>("", "dedupe_key").unwrap())
    .collect()
}

/// Waits until the reactor processed the stored event with this key, without error.
async fn processed(db: &DatabaseConnection, key: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let row = db
            .query_one(statement(
                db,
                "SELECT processed_at, last_error FROM inbound_events WHERE dedupe_key = ?",
                vec![key.into()],
            ))
            .await
            .unwrap();
        if let Some(row) = &row {
            let done: Option<i64> = row.try_get("", "processed_at").unwrap();
            let error: Option<String> = row.try_get("", "last_error").unwrap();
            assert_eq!(error, None, "{key} failed");
            if done.is_some() {
                return;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "event {key} not processed; stored: {:?}",
            stored_events(db).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a conversation is linked to on a channel: (account, contact address, thread).
async fn link_of(
    db: &DatabaseConnection,
    conv: &str,
    channel: &str,
) -> (String, String, Option<String>) {
    let row = db
        .query_one(statement(
            db,
            "SELECT account, contact_address, thread FROM conversation_links WHERE conversation_id = ? AND channel = ?",
            vec![Uuid::parse_str(conv).unwrap().into(), channel.into()],
        ))
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no {channel} link for {conv}"));
    (
        row.try_get("", "account").unwrap(),
        row.try_get("", "contact_address").unwrap(),
        row.try_get("", "thread").unwrap(),
    )
}

/// Asserts one Send API call: `POST /v25.0/{node}/messages?access_token=<page token>`, JSON.
fn assert_send_api(call: &Got, node: &str, body: Value) {
    assert_eq!(call.method, "POST");
    let (path, query) = split(&call.path);
    assert_eq!(path, format!("/v25.0/{node}/messages"), "{call:#?}");
    assert_eq!(
        query,
        vec![("access_token".to_string(), PAGE_TOKEN.to_string())],
        "the Page token in the query: {}",
        call.path
    );
    assert_eq!(call.header("authorization"), None, "{call:#?}");
    assert_eq!(call.header("content-type"), Some("application/json"));
    assert_eq!(call.json(), body, "{}", call.body);
}

#[tokio::test]
async fn a_messenger_dm_is_stored_once_answered_through_the_send_api_and_receipts_move_it_to_read()
{
    for (backend, url) in databases().await {
        let fake = fake_graph().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let db = Database::connect(url.as_str()).await.expect("database");
        let admin = agent(&server, "admin@demo.test").await;
        let psid = "6754321098765432";

        // A body altered after it was signed, and one without a signature: refused, not stored.
        let genuine = page_hook(vec![messenger::fake::text_event(
            PAGE_ID,
            psid,
            "m_forged",
            now_ms(),
            "Refund order 1234",
        )]);
        let mut altered = genuine.clone();
        altered.body = String::from_utf8(altered.body)
            .unwrap()
            .replace("order 1234", "order 9999")
            .into_bytes();
        assert_ne!(altered.body, genuine.body);
        assert_eq!(deliver_webhook(&server, &altered).await.0, 403, "{backend}");
        let mut unsigned = genuine.clone();
        unsigned.headers =
            switchboard_channels::Headers::from_pairs([("Content-Type", "application/json")]);
        assert_eq!(
            deliver_webhook(&server, &unsigned).await.0,
            403,
            "{backend}"
        );
        assert!(stored_events(&db).await.is_empty(), "{backend}");

        // The real message, delivered twice (Meta retries): stored once.
        let hook = page_hook(vec![messenger::fake::text_event(
            PAGE_ID,
            psid,
            "m_in1",
            now_ms(),
            "Hi! Where is my order?",
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        assert_eq!(stored_events(&db).await, ["messenger:m_in1"], "{backend}");
        processed(&db, "messenger:m_in1").await;
        let conv = conversation_on(&admin, &server, "messenger").await;
        let row = &rows_on(&admin, &server, "messenger").await[0]["summary"];
        assert_eq!(row["active_channel"], "messenger", "{backend}");
        assert_eq!(
            row["contact_name"], "Lena Park",
            "{backend}: a new contact is named from their Messenger profile"
        );
        let lookups: Vec<Got> = fake.calls().into_iter().filter(is_profile_lookup).collect();
        assert_eq!(
            lookups.len(),
            1,
            "{backend}: asked once, for the new contact"
        );
        let (path, query) = split(&lookups[0].path);
        assert_eq!(path, format!("/v25.0/{psid}"));
        assert_eq!(
            query,
            vec![
                ("fields".to_string(), "first_name,last_name".to_string()),
                ("access_token".to_string(), PAGE_TOKEN.to_string())
            ]
        );
        assert_eq!(
            link_of(&db, &conv, "messenger").await,
            (PAGE_ID.to_string(), psid.to_string(), None),
            "{backend}"
        );
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(
            bodies(&m),
            ["Hi! Where is my order?"],
            "{backend}: stored once"
        );
        assert_eq!(m[0]["sender"]["kind"], "visitor");
        assert_eq!(m[0]["channel"], "messenger");
        assert!(sends(&fake).is_empty(), "{backend}: nothing sent yet");

        // The agent's reply: the Send API on the Page, the Page token as `access_token`.
        let sent = reply_sent(&admin, &server, &conv, "It ships tomorrow.").await;
        let calls = wait_sent(&fake, 1, 10).await;
        assert_eq!(calls.len(), 1, "{backend}: {calls:#?}");
        assert_send_api(
            &calls[0],
            PAGE_ID,
            json!({"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "It ships tomorrow."}}),
        );

        // Delivered by its mid.
        let delivered = page_hook(vec![messenger::fake::delivery_event(
            PAGE_ID,
            psid,
            &["m_out1"],
            now_ms(),
        )]);
        assert_eq!(
            deliver_webhook(&server, &delivered).await.0,
            200,
            "{backend}"
        );
        let m = messages_until(&admin, &server, &conv, "delivered", |m| {
            delivery_of(m, &sent["id"])["status"] == "delivered"
        })
        .await;

        // Read by watermark: one before the message leaves it delivered; a later one reads it.
        let created = m.iter().find(|x| x["id"] == sent["id"]).unwrap()["created_at"]
            .as_i64()
            .unwrap();
        let early = page_hook(vec![messenger::fake::read_event(
            PAGE_ID,
            psid,
            created - 1,
        )]);
        assert_eq!(deliver_webhook(&server, &early).await.0, 200, "{backend}");
        processed(&db, &format!("messenger:read:{psid}:{}", created - 1)).await;
        assert_eq!(
            delivery_of(&messages(&admin, &server, &conv).await, &sent["id"])["status"],
            "delivered",
            "{backend}: read only up to the watermark"
        );
        let late = page_hook(vec![messenger::fake::read_event(
            PAGE_ID,
            psid,
            now_ms().max(created + 1),
        )]);
        assert_eq!(deliver_webhook(&server, &late).await.0, 200, "{backend}");
        let m = messages_until(&admin, &server, &conv, "read", |m| {
            delivery_of(m, &sent["id"])["status"] == "read"
        })
        .await;
        assert_eq!(
            bodies(&m),
            ["Hi! Where is my order?", "It ships tomorrow."],
            "{backend}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sends(&fake).len(), 1, "{backend}: sent once");

        // A read receipt covers only what the provider has: a reply still queued (the Send
        // API said 429) is not marked read, and goes out when the wait is over.
        fake.script([Answer::status(
            429,
            meta::fake::graph_error_json(
                613,
                "Calls to this api have exceeded the rate limit.",
                None,
            ),
        )
        .with_header("Retry-After", "2")]);
        let queued = reply(&admin, &server, &conv, "One more thing.").await;
        wait_sent(&fake, 2, 10).await;
        let read_now = now_ms() + 1;
        let covering = page_hook(vec![messenger::fake::read_event(PAGE_ID, psid, read_now)]);
        assert_eq!(deliver_webhook(&server, &covering).await.0, 200);
        processed(&db, &format!("messenger:read:{psid}:{read_now}")).await;
        assert_eq!(
            delivery_of(&messages(&admin, &server, &conv).await, &queued["id"])["status"],
            "queued",
            "{backend}: a queued reply is not read"
        );
        messages_until(&admin, &server, &conv, "sent after the wait", |m| {
            delivery_of(m, &queued["id"])["status"] == "sent"
        })
        .await;

        // Nor does it turn a failed reply into a read one.
        fake.script([Answer::status(
            400,
            meta::fake::graph_error_json(551, "This person isn't available right now.", None),
        )]);
        let failed = reply(&admin, &server, &conv, "Are you there?").await;
        messages_until(&admin, &server, &conv, "failed", |m| {
            delivery_of(m, &failed["id"])["status"] == "failed"
        })
        .await;
        let read_later = now_ms() + 2;
        let covering = page_hook(vec![messenger::fake::read_event(PAGE_ID, psid, read_later)]);
        assert_eq!(deliver_webhook(&server, &covering).await.0, 200);
        processed(&db, &format!("messenger:read:{psid}:{read_later}")).await;
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(
            delivery_of(&m, &failed["id"])["status"],
            "failed",
            "{backend}: a failed reply stays failed"
        );
        assert!(delivery_of(&m, &failed["id"])["reason"].is_string());
        db.close().await.unwrap();
        server.stop().await;
    }
}

#[tokio::test]
async fn an_instagram_dm_is_answered_through_the_linked_page_and_a_story_reply_joins_it() {
    for (backend, url) in databases().await {
        let fake = fake_graph().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let db = Database::connect(url.as_str()).await.expect("database");
        let admin = agent(&server, "admin@demo.test").await;
        let igsid = "5310000000000001";

        let hook = ig_dm_hook(vec![instagram::fake::dm_event(
            IG_ID,
            igsid,
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAE1",
            now_ms(),
            "Is the M size available?",
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "instagram").await;
        let m = messages_until(&admin, &server, &conv, "the DM", |m| m.len() == 1).await;
        assert_eq!(bodies(&m), ["Is the M size available?"], "{backend}");
        assert_eq!(m[0]["channel"], "instagram");
        let row = &rows_on(&admin, &server, "instagram").await[0]["summary"];
        assert_eq!(row["active_channel"], "instagram", "{backend}");
        assert_eq!(
            row["contact_name"], "lena.p",
            "{backend}: named from their Instagram profile"
        );
        assert_eq!(
            link_of(&db, &conv, "instagram").await,
            (IG_ID.to_string(), igsid.to_string(), None),
            "{backend}: the IGSID is the contact's address on our IG account"
        );
        assert!(
            rows_on(&admin, &server, "messenger").await.is_empty(),
            "{backend}: not a Messenger conversation although the Page sends it"
        );

        // The reply goes out through the Page linked to the Instagram account.
        reply_sent(&admin, &server, &conv, "Yes, M is in stock.").await;
        let calls = wait_sent(&fake, 1, 10).await;
        assert_eq!(calls.len(), 1, "{backend}: {calls:#?}");
        assert!(
            !calls[0].path.contains(IG_ID),
            "{backend}: sent through the Page, not the IG account: {}",
            calls[0].path
        );
        assert_send_api(
            &calls[0],
            PAGE_ID,
            json!({"recipient": {"id": igsid}, "messaging_type": "RESPONSE", "message": {"text": "Yes, M is in stock."}}),
        );

        // A reply to one of our stories from the same person joins the same conversation.
        let story = ig_dm_hook(vec![instagram::fake::story_reply_event(
            IG_ID,
            igsid,
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAE2",
            now_ms(),
            "Love this colour!",
            "17950000000000001",
            "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17950000000000001",
        )]);
        assert_eq!(deliver_webhook(&server, &story).await.0, 200, "{backend}");
        let m = messages_until(&admin, &server, &conv, "the story reply", |m| m.len() == 3).await;
        assert_eq!(
            bodies(&m),
            [
                "Is the M size available?",
                "Yes, M is in stock.",
                "[Replied to your story: https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17950000000000001]\nLove this colour!"
            ],
            "{backend}"
        );
        assert_eq!(m[2]["sender"]["kind"], "visitor");
        assert_eq!(
            rows_on(&admin, &server, "instagram").await.len(),
            1,
            "{backend}: one conversation"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sends(&fake).len(), 1, "{backend}: sent once");
        db.close().await.unwrap();
        server.stop().await;
    }
}

#[tokio::test]
async fn an_instagram_comment_is_its_own_conversation_and_the_reply_goes_under_the_comment() {
    for (backend, url) in databases().await {
        let fake = fake_graph().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let db = Database::connect(url.as_str()).await.expect("database");
        let admin = agent(&server, "admin@demo.test").await;
        let igsid = "5310000000000002";
        let media = "17890000000000009";
        let (c1, c2, ours) = (
            "17900000000000001",
            "17900000000000002",
            "17900000000000003",
        );

        // The person first writes a DM…
        let dm = ig_dm_hook(vec![instagram::fake::dm_event(
            IG_ID,
            igsid,
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAE3",
            now_ms(),
            "Do you ship to Canada?",
        )]);
        assert_eq!(deliver_webhook(&server, &dm).await.0, 200, "{backend}");
        let dm_conv = conversation_on(&admin, &server, "instagram").await;

        // …then comments on one of our posts: a conversation of its own, about that post.
        let comment = ig_comments_hook(vec![instagram::fake::comment_change(
            c1,
            igsid,
            "priya.k",
            "Price please?",
            media,
            None,
        )]);
        assert_eq!(deliver_webhook(&server, &comment).await.0, 200, "{backend}");
        let rows = rows_until(&admin, &server, "instagram", 2).await;
        let comment_row = rows
            .iter()
            .map(|r| &r["summary"])
            .find(|s| s["id"] != dm_conv.as_str())
            .expect("the comment conversation")
            .clone();
        let dm_row = rows
            .iter()
            .map(|r| &r["summary"])
            .find(|s| s["id"] == dm_conv.as_str())
            .unwrap()
            .clone();
        let comment_conv = comment_row["id"].as_str().unwrap().to_string();
        assert_eq!(comment_row["active_channel"], "instagram", "{backend}");
        assert_eq!(
            comment_row["contact_id"], dm_row["contact_id"],
            "{backend}: the same person"
        );
        let m = messages_until(&admin, &server, &comment_conv, "the comment", |m| {
            m.len() == 1
        })
        .await;
        assert_eq!(bodies(&m), ["Price please?"], "{backend}");
        assert_eq!(
            bodies(&messages(&admin, &server, &dm_conv).await),
            ["Do you ship to Canada?"],
            "{backend}: the DM conversation is untouched"
        );
        assert_eq!(
            link_of(&db, &comment_conv, "instagram").await,
            (
                IG_ID.to_string(),
                igsid.to_string(),
                Some(media.to_string())
            ),
            "{backend}"
        );
        assert_eq!(
            link_of(&db, &dm_conv, "instagram").await,
            (IG_ID.to_string(), igsid.to_string(), None),
            "{backend}"
        );

        // The agent's reply is a public reply under the comment: `POST /{comment-id}/replies`.
        reply_sent(&admin, &server, &comment_conv, "It's 25 EUR.").await;
        let calls = wait_sent(&fake, 1, 10).await;
        assert_eq!(calls.len(), 1, "{backend}: {calls:#?}");
        let call = &calls[0];
        assert_eq!(call.method, "POST");
        let (path, query) = split(&call.path);
        assert_eq!(path, format!("/v25.0/{c1}/replies"), "{backend}");
        assert_eq!(
            query,
            vec![("access_token".to_string(), PAGE_TOKEN.to_string())]
        );
        assert_eq!(call.header("authorization"), None);
        assert_eq!(
            call.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            call.form(),
            vec![("message".to_string(), "It's 25 EUR.".to_string())],
            "{}",
            call.body
        );

        // A second comment from them on the same post joins it; the next reply goes under it.
        let again = ig_comments_hook(vec![instagram::fake::comment_change(
            c2,
            igsid,
            "priya.k",
            "And with shipping?",
            media,
            Some(c1),
        )]);
        assert_eq!(deliver_webhook(&server, &again).await.0, 200, "{backend}");
        messages_until(&admin, &server, &comment_conv, "the second comment", |m| {
            m.len() == 3
        })
        .await;
        reply_sent(&admin, &server, &comment_conv, "30 EUR in total.").await;
        let calls = wait_sent(&fake, 2, 10).await;
        assert_eq!(
            split(&calls[1].path).0,
            format!("/v25.0/{c2}/replies"),
            "{backend}"
        );
        assert_eq!(
            calls[1].form(),
            vec![("message".to_string(), "30 EUR in total.".to_string())]
        );

        // Our own comment (what the reply becomes) comes back from our account: not a message.
        let own = ig_comments_hook(vec![instagram::fake::comment_change(
            ours,
            IG_ID,
            "our.shop",
            "30 EUR in total.",
            media,
            Some(c2),
        )]);
        assert_eq!(deliver_webhook(&server, &own).await.0, 200, "{backend}");
        processed(&db, &format!("instagram:comment:{ours}")).await;
        assert_eq!(
            bodies(&messages(&admin, &server, &comment_conv).await),
            [
                "Price please?",
                "It's 25 EUR.",
                "And with shipping?",
                "30 EUR in total."
            ],
            "{backend}"
        );

        // The DM conversation still answers by DM, through the Page.
        reply_sent(&admin, &server, &dm_conv, "Yes, we do.").await;
        let calls = wait_sent(&fake, 3, 10).await;
        assert_send_api(
            &calls[2],
            PAGE_ID,
            json!({"recipient": {"id": igsid}, "messaging_type": "RESPONSE", "message": {"text": "Yes, we do."}}),
        );
        assert_eq!(rows_on(&admin, &server, "instagram").await.len(), 2);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sends(&fake).len(), 3, "{backend}: each sent once");
        db.close().await.unwrap();
        server.stop().await;
    }
}

#[tokio::test]
async fn instagram_comments_are_filtered_by_post_answered_privately_and_deleted_from_the_inbox() {
    for (backend, url) in databases().await {
        let fake = fake_graph().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let admin = agent(&server, "admin@demo.test").await;
        let (media_a, media_b) = ("17890000000000101", "17890000000000102");
        let (c_a, c_b) = ("17900000000000101", "17900000000000102");

        // Two people comment on two of our posts: a conversation each, about its post.
        for (comment, from, user, text, media) in [
            (c_a, "5310000000000011", "ana.p", "Which sizes?", media_a),
            (c_b, "5310000000000012", "bo.r", "Is it vegan?", media_b),
        ] {
            let hook = ig_comments_hook(vec![instagram::fake::comment_change(
                comment, from, user, text, media, None,
            )]);
            assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        }
        let rows = rows_until(&admin, &server, "instagram", 2).await;
        let conv_of = |text: &str| {
            rows.iter()
                .map(|r| &r["summary"])
                .find(|s| s["preview"] == text)
                .unwrap_or_else(|| panic!("no row for {text}: {rows:#?}"))
                .clone()
        };
        let (row_a, row_b) = (conv_of("Which sizes?"), conv_of("Is it vegan?"));
        assert!(
            row_a["post"].is_string() && row_b["post"].is_string(),
            "{backend}: {row_a}"
        );
        assert_ne!(row_a["post"], row_b["post"], "{backend}");

        // The inbox knows both posts, newest comment first, with their conversation counts.
        let setup: Value = call_ok(&admin.http, &server, "inbox/setup", json!({})).await;
        let posts = setup["posts"].as_array().unwrap();
        assert_eq!(posts.len(), 2, "{backend}: {setup}");
        assert_eq!(posts[0]["external_id"], media_b, "{backend}");
        assert_eq!(posts[0]["id"], row_b["post"]);
        assert_eq!(posts[0]["channel"], "instagram");
        assert_eq!(posts[0]["conversations"], 1);
        assert_eq!(
            posts[0]["url"],
            Value::Null,
            "no public link from a media id"
        );
        assert_eq!(posts[1]["external_id"], media_a);

        // Filtered by post, a folder lists that post's conversations only.
        let mut filter = list_filter();
        filter["post"] = row_a["post"].clone();
        let listed: Vec<Value> = call_ok::<FolderPage>(
            &admin.http,
            &server,
            "inbox/list",
            json!({"folder": "queued", "filter": filter}),
        )
        .await
        .rows;
        let ids: Vec<&Value> = listed.iter().map(|r| &r["summary"]["id"]).collect();
        assert_eq!(ids, vec![&row_a["id"]], "{backend}");

        // A private reply to the comment goes to its author through the linked Page.
        let conv = row_a["id"].as_str().unwrap().to_string();
        let sent: Value = call_ok(
            &admin.http,
            &server,
            "inbox/answer-comment",
            json!({"conversation_id": conv, "client_msg_id": Uuid::new_v4(), "body": "Sent you the size chart.", "private": true}),
        )
        .await;
        assert_eq!(sent["reply_to"]["private"], true, "{backend}: {sent}");
        let calls = wait_sent(&fake, 1, 10).await;
        assert_send_api(
            &calls[0],
            PAGE_ID,
            json!({"recipient": {"comment_id": c_a}, "message": {"text": "Sent you the size chart."}}),
        );

        // And the comment can be deleted from the post.
        delete_comment(&admin, &server, &conv, "Which sizes?").await;
        let calls = wait_sent(&fake, 2, 10).await;
        assert_eq!(calls[1].method, "DELETE", "{backend}: {calls:#?}");
        assert_eq!(split(&calls[1].path).0, format!("/v25.0/{c_a}"));
        server.stop().await;
    }
}

#[tokio::test]
async fn an_instagram_dm_the_contact_unsends_loses_its_text_in_the_thread() {
    for (backend, url) in databases().await {
        let fake = fake_graph().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let db = Database::connect(url.as_str()).await.expect("database");
        let admin = agent(&server, "admin@demo.test").await;
        let igsid = "5310000000000077";
        let dm = ig_dm_hook(vec![
            instagram::fake::dm_event(
                IG_ID,
                igsid,
                "aWdfbWlkX3Vuc2VudA",
                now_ms(),
                "my card number is 4242",
            ),
            instagram::fake::dm_event(
                IG_ID,
                igsid,
                "aWdfbWlkX2tlcHQ",
                now_ms(),
                "sorry, ignore that",
            ),
        ]);
        assert_eq!(deliver_webhook(&server, &dm).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "instagram").await;
        messages_until(&admin, &server, &conv, "both DMs", |m| m.len() == 2).await;

        // Instagram's unsend: `message.is_deleted` on the same mid.
        let unsent = ig_dm_hook(vec![
            json!({"sender": {"id": igsid}, "recipient": {"id": IG_ID}, "timestamp": now_ms(), "message": {"mid": "aWdfbWlkX3Vuc2VudA", "is_deleted": true}}),
        ]);
        assert_eq!(deliver_webhook(&server, &unsent).await.0, 200, "{backend}");
        processed(&db, &stored_events(&db).await.last().unwrap().clone()).await;
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(
            bodies(&m),
            ["", "sorry, ignore that"],
            "{backend}: the text is gone from our store"
        );
        assert_eq!(m[0]["altered"], "withdrawn");
        assert_eq!(m[1]["altered"], Value::Null);
        db.close().await.unwrap();
        server.stop().await;
    }
}

#[tokio::test]
async fn messenger_echoes_of_our_own_sends_never_become_messages() {
    for (backend, url) in databases().await {
        let fake = fake_graph().await;
        let server = TestServer::start_with_channels(&url, channels(&fake)).await;
        let db = Database::connect(url.as_str()).await.expect("database");
        let admin = agent(&server, "admin@demo.test").await;
        let psid = "6754321098765433";
        let stranger = "6754321098765434";

        let hook = page_hook(vec![messenger::fake::text_event(
            PAGE_ID,
            psid,
            "m_in1",
            now_ms(),
            "Can I change my address?",
        )]);
        assert_eq!(deliver_webhook(&server, &hook).await.0, 200, "{backend}");
        let conv = conversation_on(&admin, &server, "messenger").await;
        let sent = reply_sent(&admin, &server, &conv, "Sure, what is the new one?").await;
        assert_eq!(wait_sent(&fake, 1, 10).await.len(), 1);

        // Meta echoes what the Page sent (ours, m_out1), in a batch with the contact's answer;
        // and an echo of a Page message to someone who never wrote to us.
        let batch = page_hook(vec![
            messenger::fake::echo_event(
                PAGE_ID,
                psid,
                "m_out1",
                now_ms(),
                APP_ID,
                "Sure, what is the new one?",
            ),
            messenger::fake::text_event(PAGE_ID, psid, "m_in2", now_ms(), "12 Rue de la Paix"),
        ]);
        assert_eq!(deliver_webhook(&server, &batch).await.0, 200, "{backend}");
        let to_stranger = page_hook(vec![messenger::fake::echo_event(
            PAGE_ID,
            stranger,
            "m_out_elsewhere",
            now_ms(),
            APP_ID,
            "Hello there",
        )]);
        assert_eq!(
            deliver_webhook(&server, &to_stranger).await.0,
            200,
            "{backend}"
        );
        // The same echo again, as a retry.
        assert_eq!(deliver_webhook(&server, &batch).await.0, 200, "{backend}");
        for key in [
            "messenger:m_out1:echo",
            "messenger:m_in2",
            "messenger:m_out_elsewhere:echo",
        ] {
            processed(&db, key).await;
        }
        assert_eq!(
            stored_events(&db).await,
            [
                "messenger:m_in1",
                "messenger:m_out1:echo",
                "messenger:m_in2",
                "messenger:m_out_elsewhere:echo"
            ],
            "{backend}"
        );
        let m = messages(&admin, &server, &conv).await;
        assert_eq!(
            bodies(&m),
            [
                "Can I change my address?",
                "Sure, what is the new one?",
                "12 Rue de la Paix"
            ],
            "{backend}: the echo is not a message"
        );
        assert_eq!(m[1]["sender"]["kind"], "agent");
        assert_eq!(m[2]["sender"]["kind"], "visitor");
        assert_eq!(
            delivery_of(&m, &sent["id"])["status"],
            "sent",
            "{backend}: an echo is no receipt"
        );
        assert_eq!(
            rows_on(&admin, &server, "messenger").await.len(),
            1,
            "{backend}: no conversation for the echo to a stranger"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(sends(&fake).len(), 1, "{backend}: nothing sent back");
        db.close().await.unwrap();
        server.stop().await;
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn now_s() -> i64 {
    now_ms() / 1000
}
