//! The simulator's server side: the demo accounts, the customer's signed webhooks, and a fake
//! provider API (Twilio, Graph, Telegram) at `/simulator/api/…` that records what the
//! business sends and answers in each provider's own format. Receipts go back through the real
//! status webhooks (Twilio status callbacks, WhatsApp statuses, Messenger deliveries).
//!
//! The simulator is a stand-in for the providers, not product state: what the phones show
//! lives in memory and starts empty with each run.

use super::{SimChannel, SimMessage, SimState};
use crate::error::AppError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard_channels::{messenger, meta, telegram, twilio, whatsapp, WebhookRequest};

/// The demo accounts every channel is connected to in demo mode.
pub mod demo {
    pub const TWILIO_ACCOUNT_SID: &str = "AC00000000000000000000000000000000";
    pub const TWILIO_AUTH_TOKEN: &str = "demo-twilio-auth-token";
    pub const TWILIO_NUMBER: &str = "+15550100100";
    pub const WHATSAPP_PHONE_NUMBER_ID: &str = "100000000000001";
    pub const WHATSAPP_DISPLAY_NUMBER: &str = "15550100101";
    pub const WHATSAPP_WABA_ID: &str = "100000000000009";
    pub const WHATSAPP_ACCESS_TOKEN: &str = "demo-whatsapp-token";
    pub const META_APP_SECRET: &str = "demo-meta-app-secret";
    pub const META_VERIFY_TOKEN: &str = "demo-meta-verify-token";
    pub const FACEBOOK_PAGE_ID: &str = "200000000000001";
    pub const FACEBOOK_PAGE_TOKEN: &str = "demo-page-token";
    pub const INSTAGRAM_ACCOUNT_ID: &str = "17800000000000001";
    pub const TELEGRAM_BOT_TOKEN: &str = "7000000000:demo-telegram-bot-token";
    pub const TELEGRAM_BOT_ID: &str = "7000000000";
    pub const TELEGRAM_SECRET_TOKEN: &str = "demo-telegram-secret";
    /// The post the simulated Facebook and Instagram comments are on.
    pub const FACEBOOK_POST_ID: &str = "200000000000001_300000000000001";
    pub const INSTAGRAM_MEDIA_ID: &str = "17900000000000001";
    /// Paths of the fake APIs under the server's own address.
    pub const TWILIO_API_PATH: &str = "/simulator/api/twilio";
    pub const GRAPH_API_PATH: &str = "/simulator/api/graph/v25.0";
    pub const TELEGRAM_API_PATH: &str = "/simulator/api/telegram";

    /// The demo WhatsApp account's approved templates: name, language, text.
    pub const TEMPLATES: [(&str, &str, &str); 3] = [
        ("follow_up", "en_US", "Hi {{1}}, this is the support team following up on your question. Reply to this message to continue the conversation."),
        ("order_update", "en_US", "Hi {{1}}, your order {{2}} has an update. Reply to this message and we'll tell you more."),
        ("chat_continue", "en_US", "Hi {{1}}, this is the support team from your web chat. Reply to this message to go on chatting here on WhatsApp."),
    ];
    /// The template that greets a visitor who moves their web chat to WhatsApp.
    pub const SWITCH_TEMPLATE: &str = "chat_continue";
}

/// The simulated customer on each channel: their address there.
fn customer_address(c: SimChannel) -> &'static str {
    match c {
        SimChannel::Sms => "+15557654321",
        SimChannel::Whatsapp => "15557654321",
        SimChannel::Messenger => "6100000000000001",
        SimChannel::PageComment => "6200000000000001",
        SimChannel::InstagramDm | SimChannel::InstagramStory | SimChannel::InstagramComment => {
            "1780000000000002"
        }
        SimChannel::Telegram => "4242",
    }
}

#[derive(Default)]
struct Store {
    n: u64,
    threads: HashMap<SimChannel, Vec<SimMessage>>,
    failing: Vec<SimChannel>,
    /// A business message's provider id → where it shows.
    sent: HashMap<String, (SimChannel, u64)>,
    /// The latest comment the customer wrote per comment channel (what replies answer).
    comments: HashMap<SimChannel, String>,
    /// Where the business shows "typing…", until when (ms).
    typing: HashMap<SimChannel, i64>,
    /// The name the customer last used per phone (what a profile lookup answers).
    names: HashMap<SimChannel, String>,
}

/// Ids of the customer's photos (WhatsApp media ids, Telegram file ids), then a number.
const SIM_PHOTO: &str = "sim-photo-";
/// Where the simulated WhatsApp CDN serves them.
const SIM_FILES: &str = "/simulator/api/files";
/// The customer's photo: a PNG of one red pixel.
const PHOTO_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The photo to a caller with the right credentials, else the provider's 401.
fn photo_or_401(authorised: bool) -> Response {
    if authorised {
        (StatusCode::OK, [("content-type", "image/png")], PHOTO_PNG).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [("content-type", "application/json")],
            r#"{"error":"unauthorized"}"#,
        )
            .into_response()
    }
}

/// The simulator of one server.
pub struct Simulator {
    /// Where our webhooks are reached from here (the server's own address).
    post_to: String,
    /// What providers sign over (Twilio): the public URL.
    public_url: String,
    http: reqwest::Client,
    store: Mutex<Store>,
}

impl Simulator {
    pub fn new(post_to: impl Into<String>, public_url: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            post_to: post_to.into(),
            public_url: public_url.into(),
            http: reqwest::Client::new(),
            store: Mutex::new(Store::default()),
        })
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn state(&self) -> SimState {
        let s = self.store();
        SimState {
            threads: SimChannel::ALL
                .iter()
                .filter_map(|c| s.threads.get(c).map(|m| (*c, m.clone())))
                .collect(),
            failing: s.failing.clone(),
            typing: {
                let now = now_ms();
                SimChannel::ALL
                    .into_iter()
                    .filter(|c| s.typing.get(c).is_some_and(|until| *until > now))
                    .collect()
            },
        }
    }

    /// The business shows typing (for `for_ms`), or stops.
    fn set_typing(&self, c: SimChannel, for_ms: Option<i64>) {
        let mut s = self.store();
        match for_ms {
            Some(ms) => s.typing.insert(c.phone(), now_ms() + ms),
            None => s.typing.remove(&c.phone()),
        };
    }

    pub fn set_failing(&self, c: SimChannel, on: bool) {
        let mut s = self.store();
        s.failing.retain(|f| *f != c.phone());
        if on {
            s.failing.push(c.phone());
        }
    }

    fn record(
        &self,
        c: SimChannel,
        from_customer: bool,
        text: &str,
        refused: Option<String>,
    ) -> u64 {
        self.record_with(c, from_customer, text, refused, None)
    }

    /// As `record`, with the URL of a file the business sent.
    fn record_with(
        &self,
        c: SimChannel,
        from_customer: bool,
        text: &str,
        refused: Option<String>,
        media: Option<String>,
    ) -> u64 {
        let mut s = self.store();
        s.n += 1;
        let n = s.n;
        if !from_customer {
            // A message ends the business's typing.
            s.typing.remove(&c.phone());
        }
        s.threads.entry(c.phone()).or_default().push(SimMessage {
            n,
            from_customer,
            text: text.to_string(),
            status: None,
            refused,
            media,
        });
        n
    }

    fn set_status(&self, provider_id: &str, status: &str) {
        let mut s = self.store();
        let Some((c, n)) = s.sent.get(provider_id).cloned() else {
            return;
        };
        if let Some(m) = s
            .threads
            .get_mut(&c)
            .and_then(|t| t.iter_mut().find(|m| m.n == n))
        {
            m.status = Some(status.to_string());
        }
    }

    /// The customer writes on `channel`: the provider's webhook, signed, to our endpoint.
    pub async fn customer_writes(
        &self,
        channel: SimChannel,
        name: &str,
        text: &str,
        hours_ago: u32,
        photo: bool,
    ) -> Result<(), AppError> {
        let text = text.trim();
        if photo && !SimChannel::WITH_PHOTOS.contains(&channel) {
            return Err(AppError::Engine(switchboard_engine::EngineError::Provider(
                format!(
                    "The simulator sends photos on {} only.",
                    SimChannel::WITH_PHOTOS.map(|c| c.label()).join(", ")
                ),
            )));
        }
        if text.is_empty() && !photo {
            return Err(AppError::Engine(
                switchboard_domain::MessageError::Empty.into(),
            ));
        }
        let name = if name.trim().is_empty() {
            "Sam Carter"
        } else {
            name.trim()
        };
        let n = {
            let mut s = self.store();
            s.n += 1;
            s.names.insert(channel.phone(), name.to_string());
            s.n
        };
        // `hours_ago`: the provider's time on the message, to try a closed reply window.
        let now_ms =
            crate::simulator::provider::now_ms() - i64::from(hours_ago.min(24 * 30)) * 3_600_000;
        let from = customer_address(channel);
        let hook = |path: &str| format!("{}{path}", self.public_url);
        let request = match channel {
            SimChannel::Sms => {
                let message_sid = format!("MMsim{n:026}");
                let media = if photo {
                    vec![(
                        format!(
                            "{}{}/2010-04-01/Accounts/{}/Messages/{message_sid}/Media/MEsim{n}",
                            self.post_to,
                            demo::TWILIO_API_PATH,
                            demo::TWILIO_ACCOUNT_SID
                        ),
                        "image/png".to_string(),
                    )]
                } else {
                    vec![]
                };
                let m = twilio::fake::InboundMessage {
                    account_sid: demo::TWILIO_ACCOUNT_SID.into(),
                    message_sid,
                    from: from.into(),
                    to: demo::TWILIO_NUMBER.into(),
                    body: text.into(),
                    media,
                    ..Default::default()
                };
                twilio::fake::signed_request(
                    &hook("/webhooks/twilio/sms"),
                    demo::TWILIO_AUTH_TOKEN,
                    &m.params(),
                    None,
                )
            }
            SimChannel::Whatsapp => {
                let b = business();
                let body = b.body(vec![b.messages_change(
                    from,
                    name,
                    vec![if photo {
                        whatsapp::fake::image(
                            from,
                            &format!("wamid.SIM{n}"),
                            now_ms / 1000,
                            &format!("{SIM_PHOTO}{n}"),
                            "image/png",
                            Some(text).filter(|t| !t.is_empty()),
                        )
                    } else {
                        whatsapp::fake::text(from, &format!("wamid.SIM{n}"), now_ms / 1000, text)
                    }],
                )]);
                meta::fake::signed_request(
                    &hook("/webhooks/whatsapp"),
                    demo::META_APP_SECRET,
                    meta::fake::body_bytes(&body),
                )
            }
            SimChannel::Messenger => {
                let event = messenger::fake::text_event(
                    demo::FACEBOOK_PAGE_ID,
                    from,
                    &format!("m_sim{n}"),
                    now_ms,
                    text,
                );
                let body = meta::fake::envelope(
                    "page",
                    vec![messenger::fake::entry(
                        demo::FACEBOOK_PAGE_ID,
                        now_ms,
                        vec![event],
                    )],
                );
                meta::fake::signed_request(
                    &hook("/webhooks/meta"),
                    demo::META_APP_SECRET,
                    meta::fake::body_bytes(&body),
                )
            }
            SimChannel::PageComment => {
                let comment_id = format!("{}_{n}", demo::FACEBOOK_POST_ID);
                self.store().comments.insert(channel, comment_id.clone());
                let change = switchboard_channels::page_comments::fake::comment_change(
                    demo::FACEBOOK_POST_ID,
                    &comment_id,
                    None,
                    from,
                    name,
                    text,
                    now_ms / 1000,
                );
                let body = meta::fake::envelope(
                    "page",
                    vec![switchboard_channels::page_comments::fake::entry(
                        demo::FACEBOOK_PAGE_ID,
                        now_ms / 1000,
                        vec![change],
                    )],
                );
                meta::fake::signed_request(
                    &hook("/webhooks/meta"),
                    demo::META_APP_SECRET,
                    meta::fake::body_bytes(&body),
                )
            }
            SimChannel::InstagramDm | SimChannel::InstagramStory => {
                let mid = format!("aWdfc2ltX{n}");
                let event = if channel == SimChannel::InstagramStory {
                    switchboard_channels::instagram::fake::story_reply_event(
                        demo::INSTAGRAM_ACCOUNT_ID,
                        from,
                        &mid,
                        now_ms,
                        text,
                        "18000000000000001",
                        "https://lookaside.example/story/18000000000000001.jpg",
                    )
                } else {
                    switchboard_channels::instagram::fake::dm_event(
                        demo::INSTAGRAM_ACCOUNT_ID,
                        from,
                        &mid,
                        now_ms,
                        text,
                    )
                };
                let body = meta::fake::envelope(
                    "instagram",
                    vec![switchboard_channels::instagram::fake::messaging_entry(
                        demo::INSTAGRAM_ACCOUNT_ID,
                        now_ms / 1000,
                        vec![event],
                    )],
                );
                meta::fake::signed_request(
                    &hook("/webhooks/meta"),
                    demo::META_APP_SECRET,
                    meta::fake::body_bytes(&body),
                )
            }
            SimChannel::InstagramComment => {
                let comment_id = format!("179{n:014}");
                self.store().comments.insert(channel, comment_id.clone());
                let handle = name.to_lowercase().replace(' ', "_");
                let change = switchboard_channels::instagram::fake::comment_change(
                    &comment_id,
                    from,
                    &handle,
                    text,
                    demo::INSTAGRAM_MEDIA_ID,
                    None,
                );
                let body = meta::fake::envelope(
                    "instagram",
                    vec![switchboard_channels::instagram::fake::changes_entry(
                        demo::INSTAGRAM_ACCOUNT_ID,
                        now_ms / 1000,
                        vec![change],
                    )],
                );
                meta::fake::signed_request(
                    &hook("/webhooks/meta"),
                    demo::META_APP_SECRET,
                    meta::fake::body_bytes(&body),
                )
            }
            SimChannel::Telegram => {
                let user = telegram::fake::User {
                    id: from.parse().unwrap_or(4242),
                    first_name: name.into(),
                    username: None,
                };
                let update = if photo {
                    telegram::fake::photo_update(
                        n as i64,
                        &user,
                        n as i64,
                        now_ms / 1000,
                        &format!("{SIM_PHOTO}{n}"),
                        Some(text).filter(|t| !t.is_empty()),
                    )
                } else {
                    telegram::fake::text_update(n as i64, &user, n as i64, now_ms / 1000, text)
                };
                telegram::fake::signed_request(
                    &hook("/webhooks/telegram"),
                    demo::TELEGRAM_SECRET_TOKEN,
                    &update,
                )
            }
        };
        self.post(&request).await?;
        let shown = match (photo, text.is_empty()) {
            (true, true) => "[photo]".to_string(),
            (true, false) => format!("[photo] {text}"),
            _ => text.to_string(),
        };
        self.record(channel, true, &shown, None);
        Ok(())
    }

    /// The customer deletes their latest comment on the post (Page comments), as Facebook
    /// reports it: a `feed` change with `verb: remove`.
    pub async fn customer_deletes_comment(&self) -> Result<(), AppError> {
        let comment_id = self
            .store()
            .comments
            .get(&SimChannel::PageComment)
            .cloned()
            .ok_or_else(|| {
                AppError::Engine(switchboard_engine::EngineError::Provider(
                    "There is no comment to delete yet.".into(),
                ))
            })?;
        let from = customer_address(SimChannel::PageComment);
        let change = switchboard_channels::page_comments::fake::comment_verb_change(
            demo::FACEBOOK_POST_ID,
            &comment_id,
            from,
            "remove",
            None,
            now_ms() / 1000,
        );
        let body = meta::fake::envelope(
            "page",
            vec![switchboard_channels::page_comments::fake::entry(
                demo::FACEBOOK_PAGE_ID,
                now_ms() / 1000,
                vec![change],
            )],
        );
        let request = meta::fake::signed_request(
            &format!("{}/webhooks/meta", self.public_url),
            demo::META_APP_SECRET,
            meta::fake::body_bytes(&body),
        );
        self.post(&request).await?;
        let mut s = self.store();
        s.comments.remove(&SimChannel::PageComment);
        s.n += 1;
        let n = s.n;
        s.threads
            .entry(SimChannel::PageComment.phone())
            .or_default()
            .push(SimMessage {
                n,
                from_customer: true,
                text: "(you deleted your comment)".into(),
                status: None,
                refused: None,
                media: None,
            });
        Ok(())
    }

    /// Posts a webhook to our own endpoint, as the provider would.
    async fn post(&self, request: &WebhookRequest) -> Result<(), AppError> {
        let path = request
            .url
            .strip_prefix(&self.public_url)
            .unwrap_or(&request.url);
        let mut b = self
            .http
            .post(format!("{}{path}", self.post_to))
            .timeout(Duration::from_secs(10));
        for (k, v) in request.headers.iter() {
            b = b.header(k, v);
        }
        let res = b
            .body(request.body.clone())
            .send()
            .await
            .map_err(|e| AppError::Internal(format!("simulator webhook: {e}")))?;
        if !res.status().is_success() {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            return Err(AppError::Internal(format!(
                "the webhook was refused: {status} {text}"
            )));
        }
        Ok(())
    }

    /// Sends receipts back a moment after a send, as providers do.
    fn receipts(
        self: &Arc<Self>,
        channel: SimChannel,
        provider_id: String,
        status_callback: Option<String>,
    ) {
        let sim = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let now_ms = now_ms();
            let to = customer_address(channel);
            let request = match channel {
                SimChannel::Sms => status_callback.map(|url| {
                    let s = twilio::fake::StatusCallback {
                        account_sid: demo::TWILIO_ACCOUNT_SID.into(),
                        message_sid: provider_id.clone(),
                        from: demo::TWILIO_NUMBER.into(),
                        to: to.into(),
                        status: "delivered".into(),
                        error_code: None,
                    };
                    twilio::fake::signed_request(&url, demo::TWILIO_AUTH_TOKEN, &s.params(), None)
                }),
                SimChannel::Whatsapp => {
                    let b = business();
                    let body = b.body(vec![b.statuses_change(vec![whatsapp::fake::status(
                        &provider_id,
                        "delivered",
                        now_ms / 1000,
                        to,
                        None,
                    )])]);
                    Some(meta::fake::signed_request(
                        &format!("{}/webhooks/whatsapp", sim.public_url),
                        demo::META_APP_SECRET,
                        meta::fake::body_bytes(&body),
                    ))
                }
                SimChannel::Messenger => {
                    let event = messenger::fake::delivery_event(
                        demo::FACEBOOK_PAGE_ID,
                        to,
                        &[provider_id.as_str()],
                        now_ms,
                    );
                    let body = meta::fake::envelope(
                        "page",
                        vec![messenger::fake::entry(
                            demo::FACEBOOK_PAGE_ID,
                            now_ms,
                            vec![event],
                        )],
                    );
                    Some(meta::fake::signed_request(
                        &format!("{}/webhooks/meta", sim.public_url),
                        demo::META_APP_SECRET,
                        meta::fake::body_bytes(&body),
                    ))
                }
                _ => None,
            };
            if let Some(r) = request {
                match sim.post(&r).await {
                    Ok(()) => sim.set_status(&provider_id, "delivered"),
                    Err(e) => tracing::warn!(error = %e, "simulator: a receipt was refused"),
                }
            }
        });
    }

    /// The fake provider API: records what the business sends and answers as the provider.
    pub async fn api(
        self: &Arc<Self>,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let path = uri.path();
        let text_body = String::from_utf8_lossy(body);
        let form: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let _ = headers;

        if let Some(rest) = path.strip_prefix(demo::TWILIO_API_PATH) {
            if method == Method::GET
                && rest == format!("/2010-04-01/Accounts/{}.json", demo::TWILIO_ACCOUNT_SID)
            {
                return ok_json(json!({"sid": demo::TWILIO_ACCOUNT_SID, "friendly_name": "Switchboard demo (simulated Twilio)", "status": "active"}).to_string());
            }
            if method != Method::POST || !rest.ends_with("/Messages.json") {
                return (
                    StatusCode::NOT_FOUND,
                    twilio::fake::error_json(20404, "The requested resource was not found", 404),
                )
                    .into_response();
            }
            let to = field("To").unwrap_or_default();
            let media = field("MediaUrl");
            let body = match (field("Body").filter(|b| !b.is_empty()), &media) {
                (Some(b), _) => b,
                (None, Some(url)) => file_label(url),
                (None, None) => String::new(),
            };
            let channel = if to.starts_with("whatsapp:") {
                SimChannel::Whatsapp
            } else {
                SimChannel::Sms
            };
            if self.failing(channel) {
                let reason = "Attempt to send to unsubscribed recipient";
                self.record(channel, false, &body, Some(reason.into()));
                return (
                    StatusCode::BAD_REQUEST,
                    [("content-type", "application/json")],
                    twilio::fake::error_json(21610, reason, 400),
                )
                    .into_response();
            }
            let n = self.record_with(channel, false, &body, None, media);
            let sid = format!("SMsimout{n:023}");
            self.store().sent.insert(sid.clone(), (channel, n));
            self.receipts(channel, sid.clone(), field("StatusCallback"));
            let json = twilio::fake::message_created_json(
                &sid,
                demo::TWILIO_ACCOUNT_SID,
                &field("From").unwrap_or_default(),
                &to,
                &body,
                "queued",
            );
            return (
                StatusCode::CREATED,
                [("content-type", "application/json")],
                json,
            )
                .into_response();
        }

        // A customer's photo, as each provider serves media (with its credentials).
        if method == Method::GET {
            let auth = headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let bearer = format!("Bearer {}", demo::WHATSAPP_ACCESS_TOKEN);
            if let Some(rest) = path.strip_prefix(demo::TWILIO_API_PATH) {
                if rest.contains("/Media/MEsim") {
                    let basic = format!(
                        "Basic {}",
                        base64::Engine::encode(
                            &base64::engine::general_purpose::STANDARD,
                            format!("{}:{}", demo::TWILIO_ACCOUNT_SID, demo::TWILIO_AUTH_TOKEN)
                        )
                    );
                    return photo_or_401(auth == basic);
                }
            }
            if let Some(id) = path
                .strip_prefix(demo::GRAPH_API_PATH)
                .and_then(|r| r.strip_prefix('/'))
                .filter(|id| id.starts_with(SIM_PHOTO))
            {
                if auth != bearer {
                    return photo_or_401(false);
                }
                let url = format!("{}{SIM_FILES}/{id}.png", self.post_to);
                return ok_json(json!({"url": url, "mime_type": "image/png", "sha256": "c2lt", "file_size": PHOTO_PNG.len(), "id": id, "messaging_product": "whatsapp"}).to_string());
            }
            if path.starts_with(SIM_FILES) {
                return photo_or_401(auth == bearer);
            }
            // Graph profile lookups of the Messenger and Instagram customers, with the Page token.
            let asked = path
                .strip_prefix(demo::GRAPH_API_PATH)
                .and_then(|r| r.strip_prefix('/'))
                .unwrap_or_default();
            for (c, instagram) in [
                (SimChannel::Messenger, false),
                (SimChannel::InstagramDm, true),
            ] {
                if asked != customer_address(c) {
                    continue;
                }
                let token_ok = uri.query().is_some_and(|q| {
                    form_urlencoded::parse(q.as_bytes())
                        .any(|(k, v)| k == "access_token" && v == demo::FACEBOOK_PAGE_TOKEN)
                });
                if !token_ok {
                    return graph_error(190, "Invalid OAuth access token.", None);
                }
                let name = self
                    .store()
                    .names
                    .get(&c.phone())
                    .cloned()
                    .unwrap_or_default();
                let (first, last) = name.split_once(' ').unwrap_or((name.as_str(), ""));
                return ok_json(if instagram {
                    json!({"name": name, "username": name.to_lowercase().replace(' ', "_"), "id": asked})
                } else {
                    json!({"first_name": first, "last_name": last, "id": asked})
                }.to_string());
            }
            let telegram_files = format!(
                "{}/file/bot{}/photos/",
                demo::TELEGRAM_API_PATH,
                demo::TELEGRAM_BOT_TOKEN
            );
            if path.starts_with(&telegram_files) {
                return photo_or_401(true);
            }
        }

        if let Some(rest) = path.strip_prefix(demo::GRAPH_API_PATH) {
            let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
            return match (method.clone(), segments.as_slice()) {
                (Method::POST, [_node, "messages"]) if json["messaging_product"] == "whatsapp" => {
                    let media = ["image", "document", "video", "audio"]
                        .iter()
                        .find_map(|k| json[*k]["link"].as_str().map(str::to_string));
                    let text = match &media {
                        Some(url) => file_label(url),
                        None => json["text"]["body"]
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| rendered_template(&json)),
                    };
                    let to = json["to"].as_str().unwrap_or_default().to_string();
                    if self.failing(SimChannel::Whatsapp) {
                        let reason = "Message failed to send because more than 24 hours have passed since the customer last replied to this number.";
                        self.record(SimChannel::Whatsapp, false, &text, Some(reason.into()));
                        return graph_error(131047, "Re-engagement message", Some(reason));
                    }
                    let n = self.record_with(SimChannel::Whatsapp, false, &text, None, media);
                    let wamid = format!("wamid.SIMOUT{n}");
                    self.store()
                        .sent
                        .insert(wamid.clone(), (SimChannel::Whatsapp, n));
                    self.receipts(SimChannel::Whatsapp, wamid.clone(), None);
                    ok_json(whatsapp::fake::send_success_json(&to, &wamid))
                }
                (Method::POST, [_node, "messages"]) => {
                    if let Some(action) = json["sender_action"].as_str() {
                        let on = match action {
                            "typing_on" => Some(Some(20_000)),
                            "typing_off" => Some(None),
                            _ => None,
                        };
                        if let Some(on) = on {
                            let c = if json["recipient"]["id"].as_str()
                                == Some(customer_address(SimChannel::InstagramDm))
                            {
                                SimChannel::InstagramDm
                            } else {
                                SimChannel::Messenger
                            };
                            self.set_typing(c, on);
                        }
                        return ok_json(
                            json!({"recipient_id": json["recipient"]["id"]}).to_string(),
                        );
                    }
                    let media = json["message"]["attachment"]["payload"]["url"]
                        .as_str()
                        .map(str::to_string);
                    let text = match (json["message"]["text"].as_str(), &media) {
                        (Some(t), _) => t.to_string(),
                        (None, Some(url)) => file_label(url),
                        (None, None) => "[attachment]".to_string(),
                    };
                    let recipient = &json["recipient"];
                    let channel = if let Some(comment) = recipient["comment_id"].as_str() {
                        if comment.contains('_') {
                            SimChannel::PageComment
                        } else {
                            SimChannel::InstagramComment
                        }
                    } else if recipient["id"].as_str()
                        == Some(customer_address(SimChannel::InstagramDm))
                    {
                        SimChannel::InstagramDm
                    } else {
                        SimChannel::Messenger
                    };
                    let shown = if recipient["comment_id"].is_string() {
                        format!("(private reply) {text}")
                    } else {
                        text
                    };
                    if self.failing(channel) {
                        let reason = "This person isn't available right now.";
                        self.record(channel, false, &shown, Some(reason.into()));
                        return graph_error(551, reason, None);
                    }
                    let n = self.record_with(channel, false, &shown, None, media);
                    let mid = format!("m_simout{n}");
                    self.store().sent.insert(mid.clone(), (channel, n));
                    self.receipts(channel, mid.clone(), None);
                    ok_json(messenger::fake::send_success_json(
                        customer_address(channel),
                        &mid,
                    ))
                }
                (Method::POST, [comment, edge @ ("comments" | "replies")]) => {
                    let channel = if *edge == "comments" {
                        SimChannel::PageComment
                    } else {
                        SimChannel::InstagramComment
                    };
                    let text = field("message").unwrap_or_default();
                    if self.failing(channel) {
                        let reason = "The comment could not be posted.";
                        self.record(channel, false, &text, Some(reason.into()));
                        return graph_error(100, reason, None);
                    }
                    let n = self.record(
                        channel,
                        false,
                        &format!("(reply to {comment}) {text}"),
                        None,
                    );
                    let id = format!("{comment}_reply{n}");
                    self.store().sent.insert(id.clone(), (channel, n));
                    ok_json(json!({"id": id}).to_string())
                }
                (Method::GET, [node]) => match *node {
                    demo::WHATSAPP_PHONE_NUMBER_ID => ok_json(json!({"id": node, "verified_name": "Switchboard demo", "display_phone_number": "+1 555-010-0101"}).to_string()),
                    demo::FACEBOOK_PAGE_ID => ok_json(json!({"id": node, "name": "Switchboard demo Page"}).to_string()),
                    demo::INSTAGRAM_ACCOUNT_ID => ok_json(json!({"id": node, "username": "switchboard.demo"}).to_string()),
                    _ => graph_error(100, "Unsupported get request (simulator)", None),
                },
                (Method::DELETE, [id]) => {
                    let channel = if id.contains('_') {
                        SimChannel::PageComment
                    } else {
                        SimChannel::InstagramComment
                    };
                    self.record(
                        channel,
                        false,
                        &format!("(the Page deleted your comment {id})"),
                        None,
                    );
                    ok_json(json!({"success": true}).to_string())
                }
                _ => graph_error(100, "Unsupported request (simulator)", None),
            };
        }

        if let Some(rest) = path.strip_prefix(demo::TELEGRAM_API_PATH) {
            let method_name = rest.rsplit('/').next().unwrap_or_default();
            return match method_name {
                "sendPhoto" | "sendDocument" | "sendVideo" | "sendAudio" => {
                    let url = ["photo", "document", "video", "audio"]
                        .iter()
                        .find_map(|k| json[*k].as_str())
                        .unwrap_or_default()
                        .to_string();
                    let n = self.record_with(
                        SimChannel::Telegram,
                        false,
                        &file_label(&url),
                        None,
                        Some(url),
                    );
                    let chat: i64 = customer_address(SimChannel::Telegram)
                        .parse()
                        .unwrap_or(4242);
                    ok_json(telegram::fake::sent_message_json(
                        n as i64,
                        demo::TELEGRAM_BOT_ID.parse().unwrap_or(1),
                        chat,
                        now_ms() / 1000,
                        "",
                    ))
                }
                "sendMessage" => {
                    let text = json["text"].as_str().unwrap_or_default().to_string();
                    if self.failing(SimChannel::Telegram) {
                        self.record(
                            SimChannel::Telegram,
                            false,
                            &text,
                            Some("Forbidden: bot was blocked by the user".into()),
                        );
                        return (
                            StatusCode::FORBIDDEN,
                            [("content-type", "application/json")],
                            telegram::fake::error_json(
                                403,
                                "Forbidden: bot was blocked by the user",
                                None,
                            ),
                        )
                            .into_response();
                    }
                    let n = self.record(SimChannel::Telegram, false, &text, None);
                    let chat: i64 = customer_address(SimChannel::Telegram)
                        .parse()
                        .unwrap_or(4242);
                    ok_json(telegram::fake::sent_message_json(
                        n as i64,
                        demo::TELEGRAM_BOT_ID.parse().unwrap_or(1),
                        chat,
                        now_ms() / 1000,
                        &text,
                    ))
                }
                "getFile" => {
                    let file_id = uri
                        .query()
                        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect::<Vec<_>>())
                        .unwrap_or_default()
                        .into_iter()
                        .find(|(k, _)| k == "file_id")
                        .map(|(_, v)| v)
                        .unwrap_or_default();
                    match file_id.strip_prefix(SIM_PHOTO) {
                        Some(n) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => ok_json(
                            json!({"ok": true, "result": {"file_id": file_id, "file_unique_id": format!("u{n}"), "file_size": PHOTO_PNG.len(), "file_path": format!("photos/file_{n}.png")}}).to_string(),
                        ),
                        _ => (
                            StatusCode::BAD_REQUEST,
                            [("content-type", "application/json")],
                            telegram::fake::error_json(400, "Bad Request: invalid file_id", None),
                        )
                            .into_response(),
                    }
                }
                "sendChatAction" => {
                    if json["action"].as_str() == Some("typing") {
                        self.set_typing(SimChannel::Telegram, Some(5_000));
                    }
                    ok_json(json!({"ok": true, "result": true}).to_string())
                }
                "getMe" => ok_json(json!({"ok": true, "result": {"id": 7000000000i64, "is_bot": true, "first_name": "Switchboard demo", "username": "switchboard_demo_bot"}}).to_string()),
                _ => (
                    StatusCode::NOT_FOUND,
                    [("content-type", "application/json")],
                    telegram::fake::error_json(404, "Not Found", None),
                )
                    .into_response(),
            };
        }
        let _ = text_body;
        (StatusCode::NOT_FOUND, "no such simulated API").into_response()
    }

    fn failing(&self, c: SimChannel) -> bool {
        self.store().failing.contains(&c.phone())
    }
}

/// A template send as the phone shows it: the approved text with the values filled in.
fn rendered_template(json: &Value) -> String {
    let name = json["template"]["name"].as_str().unwrap_or("?");
    let Some((_, _, text)) = demo::TEMPLATES.iter().find(|(n, _, _)| *n == name) else {
        return format!("[template {name}]");
    };
    let mut text = text.to_string();
    let values = json["template"]["components"][0]["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, v) in values.iter().enumerate() {
        text = text.replace(
            &format!("{{{{{}}}}}", i + 1),
            v["text"].as_str().unwrap_or(""),
        );
    }
    text
}

fn business() -> whatsapp::fake::Business {
    whatsapp::fake::Business {
        waba_id: demo::WHATSAPP_WABA_ID.into(),
        phone_number_id: demo::WHATSAPP_PHONE_NUMBER_ID.into(),
        display_phone_number: demo::WHATSAPP_DISPLAY_NUMBER.into(),
    }
}

fn ok_json(body: String) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

fn graph_error(code: i64, message: &str, details: Option<&str>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "application/json")],
        meta::fake::graph_error_json(code, message, details),
    )
        .into_response()
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `ANY /simulator/api/*`: the fake provider API.
pub async fn api_handler(
    State(state): State<crate::state::AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match &state.simulator {
        Some(sim) => sim.api(&method, &uri, &headers, &body).await,
        None => (
            StatusCode::NOT_FOUND,
            "the simulator runs in demo mode only",
        )
            .into_response(),
    }
}

/// What the phone says of a file the business sent: its name, from the URL.
fn file_label(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    let name = path.rsplit('/').next().unwrap_or_default();
    let name: String = percent_decode(name);
    format!("📎 {}", if name.is_empty() { "a file" } else { &name })
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
