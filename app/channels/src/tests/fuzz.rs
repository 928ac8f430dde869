//! Property tests: no parser, verifier or response reader panics on arbitrary input.

use super::*;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Field names the parsers look at, so generated JSON reaches deep code paths.
const KEYS: &[&str] = &[
    "object",
    "entry",
    "changes",
    "messaging",
    "standby",
    "field",
    "value",
    "id",
    "time",
    "messages",
    "statuses",
    "contacts",
    "errors",
    "metadata",
    "phone_number_id",
    "from",
    "type",
    "text",
    "body",
    "image",
    "caption",
    "mime_type",
    "timestamp",
    "status",
    "recipient_id",
    "sender",
    "recipient",
    "message",
    "mid",
    "is_echo",
    "is_deleted",
    "attachments",
    "payload",
    "url",
    "reply_to",
    "story",
    "delivery",
    "mids",
    "watermark",
    "read",
    "postback",
    "item",
    "verb",
    "comment_id",
    "post_id",
    "parent_id",
    "created_time",
    "media",
    "username",
    "update_id",
    "chat",
    "photo",
    "document",
    "date",
    "location",
    "latitude",
    "longitude",
    "code",
    "wa_id",
    "profile",
    "name",
    "context",
    "interactive",
    "button_reply",
    "file_id",
    "file_size",
    "animation",
    "voice",
    "sticker",
    "is_bot",
    "first_name",
    "reaction",
];
const OBJECTS: &[&str] = &["page", "instagram", "whatsapp_business_account", "user", ""];
const FORM_KEYS: &[&str] = &[
    "MessageSid",
    "SmsSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "MediaUrl0",
    "MediaContentType0",
    "MediaUrl1",
    "MessageStatus",
    "ErrorCode",
    "ProfileName",
    "Latitude",
    "Longitude",
    "ButtonPayload",
    "ButtonText",
    "OriginalRepliedMessageSid",
    "AccountSid",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(OBJECTS).prop_map(|s| Value::String(s.to_string())),
        prop::sample::select(
            &[
                "text",
                "image",
                "comment",
                "add",
                "feed",
                "comments",
                "messages",
                "delivered",
                "failed",
                "edited"
            ][..]
        )
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

fn json_ish() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn envelope() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(OBJECTS),
        prop::collection::vec(json_ish(), 0..4),
    )
        .prop_map(|(o, e)| serde_json::json!({"object": o, "entry": e}))
}

fn form_ish() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(
        (
            prop::sample::select(FORM_KEYS).prop_map(str::to_string),
            ".{0,16}",
        ),
        0..10,
    )
}

fn exercise_all_parsers(body: &[u8], headers: &Headers) {
    let secrets = WebhookSecrets::new("k")
        .with_verify_token("t")
        .with_account("1");
    for method in [Method::Post, Method::Get, Method::Other] {
        let mut req = WebhookRequest::new(
            method,
            "https://example.test/webhooks/x?hub.mode=subscribe&a=%ZZ",
        );
        req.headers = headers.clone();
        req.body = body.to_vec();
        for e in endpoints() {
            let _ = e.verify(&req, &secrets);
            let _ = e.handshake(&req, &secrets);
            let _ = e.parse(&req, &secrets);
        }
    }
}

fn exercise_readers(status: u16, headers: &Headers, body: &[u8]) {
    for a in adapters() {
        let _ = a.read_response(status, headers, body);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512), sig in ".{0,80}", url in ".{0,40}") {
        let headers = Headers::from_pairs([
            ("X-Twilio-Signature", sig.as_str()), ("X-Hub-Signature-256", sig.as_str()),
            ("X-Telegram-Bot-Api-Secret-Token", sig.as_str()), ("Content-Type", "application/x-www-form-urlencoded"),
        ]);
        exercise_all_parsers(&body, &headers);
        exercise_all_parsers(&body, &Headers::new());
        // Arbitrary URLs (ports, IPv6 brackets, userinfo, unicode) through the Twilio verifier.
        for candidate in [url.clone(), format!("https://{url}"), format!("http://{url}:80/x")] {
            let mut req = WebhookRequest::new(Method::Post, candidate);
            // A well-formed signature, so verification reaches the URL handling.
            req.headers = Headers::from_pairs([("X-Twilio-Signature", "NjlR+8V/batFennt5Lp3kxEsL0s=")]);
            req.body = body.clone();
            prop_assert!(crate::twilio::verify(&req, "tok").is_err());
        }
    }

    #[test]
    fn json_ish_bodies_never_panic(v in envelope(), update in json_ish()) {
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        let got = meta::parse_body(&bytes, Channel::Messenger);
        // Every event has a non-empty key.
        if let Ok(events) = got {
            for e in events {
                prop_assert!(!e.key.as_str().is_empty());
                if let InboundEvent::Message(m) = &e.event {
                    let _ = m.items(&e.key);
                }
            }
        }
        let _ = crate::telegram::parse_update(&update, 1, "bot".into());
        let mut with_id = update.clone();
        if let Some(o) = with_id.as_object_mut() { o.insert("update_id".into(), Value::from(5)); }
        let _ = crate::telegram::parse_update(&with_id, 5, "bot".into());
        exercise_all_parsers(&serde_json::to_vec(&with_id).unwrap_or_default(), &Headers::from_pairs([("Content-Type", "application/json")]));
    }

    #[test]
    fn form_ish_bodies_never_panic(params in form_ish(), url in "(https?://)?[a-z:0-9.@\\[\\]]{0,20}(/[a-z?=&#]{0,10})?") {
        let body = crate::twilio::fake::form_body(&params);
        let sig = crate::twilio::sign("tok", &url, &params);
        let mut req = crate::twilio::fake::signed_request(&url, "tok", &params, None);
        let secrets = WebhookSecrets::new("tok");
        // A body signed by the fake always verifies against the same URL.
        prop_assert_eq!(crate::twilio::TwilioWebhook.verify(&req, &secrets), Ok(()));
        let _ = crate::twilio::TwilioWebhook.parse(&req, &secrets);
        req.method = Method::Get;
        req.url = format!("{url}?{body}");
        req.query = body.clone();
        let _ = crate::twilio::TwilioWebhook.parse(&req, &secrets);
        let _ = crate::twilio::verify(&req, &sig);
    }

    #[test]
    fn response_readers_never_panic(status in 0u16..1000, body in prop::collection::vec(any::<u8>(), 0..256), v in json_ish(), ra in ".{0,10}") {
        let headers = Headers::from_pairs([("Retry-After", ra.as_str())]);
        exercise_readers(status, &headers, &body);
        let bytes = serde_json::to_vec(&v).unwrap_or_default();
        exercise_readers(status, &headers, &bytes);
        let wrapped = serde_json::to_vec(&serde_json::json!({"error": v, "ok": false, "code": 21610, "parameters": {"retry_after": -1}})).unwrap_or_default();
        exercise_readers(status, &headers, &wrapped);
    }

    #[test]
    fn builders_never_panic(to in ".{0,20}", body in ".{0,40}", url in ".{0,20}", last in any::<Option<i64>>(), now in any::<i64>(), size in any::<Option<u64>>()) {
        let contents = vec![
            OutboundContent::Text { body: body.clone() },
            OutboundContent::Attachment { kind: AttachmentKind::Image, url: url.clone(), mime: Some(body.clone()), size, caption: Some(body.clone()), filename: Some(body.clone()) },
            OutboundContent::Template { name: body.clone(), language: to.clone(), parameters: vec![body.clone()] },
            OutboundContent::CommentReply { comment_id: to.clone(), text: body.clone() },
            OutboundContent::PrivateReply { comment_id: to.clone(), text: body.clone(), comment_created_ms: last, already_replied: false },
            OutboundContent::DeleteComment { comment_id: to.clone() },
            OutboundContent::Typing { on: true },
        ];
        let auths = [
            ApiAuth::Basic { username: to.clone(), password: body.clone() },
            ApiAuth::Bearer { token: body.clone() },
            ApiAuth::AccessTokenQuery { token: body.clone() },
            ApiAuth::BotToken { token: to.clone() },
        ];
        for a in adapters() {
            for auth in &auths {
                let account = Account::new(to.clone(), url.clone(), auth.clone());
                for c in &contents {
                    let mut out = Outbound::new(a.channel(), to.clone(), c.clone(), now);
                    out.last_inbound_ms = last;
                    out.reply_to = Some(body.clone());
                    let _ = a.build_request(&out, &account);
                }
            }
            let _ = a.window(last, now);
        }
    }
}
