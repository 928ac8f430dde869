use super::*;
use crate::telegram::{bot_id, fake, verify, TelegramAdapter, TelegramWebhook};
use serde_json::json;
use std::time::Duration;

const UPDATE_EXAMPLE: &str = r#"{
  "update_id": 234603669,
  "message": {
    "message_id": 25,
    "from": {"id": 123456789, "is_bot": false, "first_name": "Ana", "username": "ana_l", "language_code": "en"},
    "chat": {"id": 123456789, "first_name": "Ana", "username": "ana_l", "type": "private"},
    "date": 1700812949,
    "text": "Hi, where is my order?"
  }
}"#;

fn secrets() -> WebhookSecrets {
    WebhookSecrets::new("s3cr3t_TOKEN-1").with_account("7000000001")
}

fn post(body: &[u8], secret: Option<&str>) -> WebhookRequest {
    let mut h = Headers::from_pairs([("Content-Type", "application/json")]);
    if let Some(s) = secret {
        h.insert("X-Telegram-Bot-Api-Secret-Token", s);
    }
    WebhookRequest::post("https://example.test/webhooks/telegram", h, body.to_vec())
}

#[test]
fn secret_token_check() {
    assert_eq!(
        verify(&post(b"{}", Some("s3cr3t_TOKEN-1")), "s3cr3t_TOKEN-1"),
        Ok(())
    );
    assert_eq!(
        verify(&post(b"{}", Some("s3cr3t_TOKEN-2")), "s3cr3t_TOKEN-1"),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(&post(b"{}", Some("")), "s3cr3t_TOKEN-1"),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(&post(b"{}", None), "s3cr3t_TOKEN-1"),
        Err(WebhookError::MissingSignature(
            "X-Telegram-Bot-Api-Secret-Token"
        ))
    );
    assert_eq!(
        verify(&post(b"{}", Some("")), ""),
        Err(WebhookError::NoSecret)
    );
    assert_eq!(
        TelegramWebhook.receive(&post(UPDATE_EXAMPLE.as_bytes(), Some("nope")), &secrets()),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn parses_the_update_example_exactly() {
    let got = only(
        TelegramWebhook
            .receive(
                &post(UPDATE_EXAMPLE.as_bytes(), Some("s3cr3t_TOKEN-1")),
                &secrets(),
            )
            .unwrap(),
    );
    assert_eq!(
        got,
        Inbound {
            key: DedupeKey("telegram:7000000001:234603669".into()),
            channel: Channel::Telegram,
            account: "7000000001".into(),
            event: InboundEvent::Message(ContactMessage {
                provider_message_id: "25".into(),
                from: Identity {
                    address: "123456789".into(),
                    display_name: Some("Ana".into()),
                    username: Some("ana_l".into())
                },
                text: Some("Hi, where is my order?".into()),
                attachments: vec![],
                location: None,
                payload: None,
                sent_at_ms: Some(1_700_812_949_000),
                reply_to: None,
                comment: None,
            }),
        }
    );
}

#[test]
fn photo_with_caption_other_updates_and_bad_bodies() {
    let user = fake::User {
        id: 123456789,
        first_name: "Ana".into(),
        username: None,
    };
    let req = fake::signed_request(
        "https://e/t",
        "s3cr3t_TOKEN-1",
        &fake::photo_update(7, &user, 30, 1700813000, "FILE_BIG", Some("this one?")),
    );
    let got = only(TelegramWebhook.receive(&req, &secrets()).unwrap());
    let items = message(&got).items(&got.key);
    assert_eq!(
        items,
        vec![
            DisplayItem::Attachment {
                key: DedupeKey("telegram:7000000001:7".into()),
                attachment: Attachment {
                    kind: AttachmentKind::Image,
                    mime: Some("image/jpeg".into()),
                    source: MediaSource::TelegramFile {
                        file_id: "FILE_BIG".into(),
                        unique_id: Some("AQADlarge".into())
                    },
                    caption: None,
                    filename: None,
                    size: Some(48000),
                    sha256: None,
                }
            },
            DisplayItem::Text {
                key: DedupeKey("telegram:7000000001:7#1".into()),
                text: "this one?".into()
            },
        ]
    );
    let edited = json!({"update_id": 8, "edited_message": {"message_id": 1, "chat": {"id": 1}, "date": 1, "text": "x"}});
    assert_eq!(
        only(
            TelegramWebhook
                .parse(&post(edited.to_string().as_bytes(), None), &secrets())
                .unwrap()
        )
        .event,
        InboundEvent::Ignored(Ignored::TelegramUpdate {
            kind: "edited_message".into()
        })
    );
    let bot = json!({"update_id": 9, "message": {"message_id": 1, "from": {"id": 5, "is_bot": true, "first_name": "B"}, "chat": {"id": 1}, "date": 1, "text": "x"}});
    assert_eq!(
        only(
            TelegramWebhook
                .parse(&post(bot.to_string().as_bytes(), None), &secrets())
                .unwrap()
        )
        .event,
        InboundEvent::Ignored(Ignored::FromBot)
    );
    let poll = json!({"update_id": 10, "message": {"message_id": 1, "from": {"id": 5, "first_name": "A"}, "chat": {"id": 1}, "date": 1, "poll": {}}});
    assert_eq!(
        only(
            TelegramWebhook
                .parse(&post(poll.to_string().as_bytes(), None), &secrets())
                .unwrap()
        )
        .event,
        InboundEvent::Ignored(Ignored::UnsupportedMessage {
            kind: "poll".into()
        })
    );
    assert_eq!(
        TelegramWebhook.parse(&post(b"{\"message\":{}}", None), &secrets()),
        Err(WebhookError::MissingField("update_id"))
    );
    assert_eq!(
        TelegramWebhook.parse(&post(b"\xff\xfe", None), &secrets()),
        Err(WebhookError::MalformedBody("json"))
    );
    // Same update twice: same key.
    let a = only(
        TelegramWebhook
            .parse(&post(UPDATE_EXAMPLE.as_bytes(), None), &secrets())
            .unwrap(),
    )
    .key;
    assert_eq!(
        a,
        only(
            TelegramWebhook
                .parse(&post(UPDATE_EXAMPLE.as_bytes(), None), &secrets())
                .unwrap()
        )
        .key
    );
    assert_eq!(
        bot_id("7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
        Some("7000000001")
    );
    assert_eq!(bot_id("nope"), None);
}

fn account() -> Account {
    Account::new(
        "7000000001",
        "https://api.telegram.org",
        ApiAuth::BotToken {
            token: "7000000001:AAH-x_y".into(),
        },
    )
}

fn send(
    to: &str,
    content: OutboundContent,
    reply_to: Option<&str>,
) -> Result<HttpRequest, SendError> {
    let mut out = Outbound::new(Channel::Telegram, to, content, NOW);
    out.reply_to = reply_to.map(str::to_string);
    TelegramAdapter::default().build_request(&out, &account())
}

#[test]
fn request_shapes() {
    let r = send("123456789", text("Your order ships today."), Some("25")).unwrap();
    assert_eq!(
        r.url,
        "https://api.telegram.org/bot7000000001:AAH-x_y/sendMessage"
    );
    assert_eq!(r.content_type(), Some("application/json"));
    assert_eq!(
        json_body(&r),
        json!({"chat_id": 123456789, "text": "Your order ships today.", "reply_parameters": {"message_id": 25}})
    );
    let t = send("-1001234567890", OutboundContent::Typing { on: true }, None).unwrap();
    assert_eq!(
        (t.url.as_str(), json_body(&t)),
        (
            "https://api.telegram.org/bot7000000001:AAH-x_y/sendChatAction",
            json!({"chat_id": -1001234567890_i64, "action": "typing"})
        )
    );
    assert_eq!(
        send("1", OutboundContent::Typing { on: false }, None),
        Err(SendError::Unsupported {
            channel: Channel::Telegram,
            action: Action::TypingOff
        })
    );
    assert_eq!(
        json_body(&send("@shop_news", text("hi"), None).unwrap())["chat_id"],
        json!("@shop_news")
    );
    assert_eq!(
        send("ana", text("hi"), None),
        Err(SendError::InvalidRecipient("ana".into()))
    );
    let photo = OutboundContent::Attachment {
        kind: AttachmentKind::Image,
        url: "https://x/p.jpg".into(),
        mime: None,
        size: Some(100),
        caption: Some("here".into()),
        filename: None,
    };
    let p = send("1", photo, None).unwrap();
    assert_eq!(
        (p.url.ends_with("/sendPhoto"), json_body(&p)),
        (
            true,
            json!({"chat_id": 1, "photo": "https://x/p.jpg", "caption": "here"})
        )
    );
    let big = OutboundContent::Attachment {
        kind: AttachmentKind::Image,
        url: "u".into(),
        mime: None,
        size: Some(6 * 1024 * 1024),
        caption: None,
        filename: None,
    };
    assert_eq!(
        send("1", big, None),
        Err(SendError::AttachmentTooBig {
            kind: AttachmentKind::Image,
            max: 5 * 1024 * 1024,
            actual: 6 * 1024 * 1024
        })
    );
    assert_eq!(
        send("1", text(&"x".repeat(4097)), None),
        Err(SendError::TooLong {
            max: 4096,
            actual: 4097
        })
    );
}

#[test]
fn response_mapping() {
    let a = TelegramAdapter::default();
    let h = Headers::new();
    assert_eq!(
        a.read_response(
            200,
            &h,
            fake::sent_message_json(26, 7000000001, 123456789, 1700813000, "x").as_bytes()
        ),
        SendOutcome::Accepted {
            provider_message_id: Some("26".into())
        }
    );
    assert_eq!(
        a.read_response(200, &h, br#"{"ok":true,"result":true}"#),
        SendOutcome::Accepted {
            provider_message_id: None
        }
    );
    let ra = Headers::from_pairs([("Retry-After", "35")]);
    assert_eq!(
        a.read_response(
            429,
            &ra,
            fake::error_json(429, "Too Many Requests: retry after 35", Some(35)).as_bytes()
        ),
        SendOutcome::Retry {
            after: Some(Duration::from_secs(35)),
            code: Some("429".into())
        }
    );
    assert_eq!(
        a.read_response(429, &ra, b"garbage"),
        SendOutcome::Retry {
            after: Some(Duration::from_secs(35)),
            code: Some("429".into())
        }
    );
    assert_eq!(
        a.read_response(
            403,
            &h,
            fake::error_json(403, "Forbidden: bot was blocked by the user", None).as_bytes()
        ),
        SendOutcome::Permanent {
            code: "403".into(),
            kind: FailureKind::Blocked,
            reason: "The customer blocked the bot or deleted their Telegram account.".into()
        }
    );
    assert_eq!(
        a.read_response(
            400,
            &h,
            fake::error_json(400, "Bad Request: chat not found", None).as_bytes()
        ),
        SendOutcome::Permanent {
            code: "400".into(),
            kind: FailureKind::BadRequest,
            reason: "Telegram refused the message: Bad Request: chat not found.".into()
        }
    );
    assert!(matches!(
        a.read_response(
            401,
            &h,
            fake::error_json(401, "Unauthorized", None).as_bytes()
        ),
        SendOutcome::Permanent {
            kind: FailureKind::Auth,
            ..
        }
    ));
    let migrated = r#"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234}}"#;
    assert_eq!(
        a.read_response(400, &h, migrated.as_bytes()),
        SendOutcome::Permanent {
            code: "400".into(),
            kind: FailureKind::ChatMigrated,
            reason: "The group became a supergroup; the conversation continues in chat -1001234."
                .into()
        }
    );
    assert_eq!(
        a.read_response(502, &h, b""),
        SendOutcome::Retry {
            after: None,
            code: Some("502".into())
        }
    );
}
