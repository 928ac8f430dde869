use super::*;
use crate::whatsapp::{fake, WhatsappAdapter};
use serde_json::json;
use std::time::Duration;

const TEXT_EXAMPLE: &str = r#"{
  "object": "whatsapp_business_account",
  "entry": [{
    "id": "<WABA_ID>",
    "changes": [{
      "field": "messages",
      "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
        "messages": [{
          "from": "16505551234",
          "id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
          "timestamp": "1749416383",
          "type": "text",
          "text": {"body": "Does it come in another color?"}
        }]
      }
    }]
  }]
}"#;

fn biz() -> fake::Business {
    fake::Business {
        waba_id: "WABA1".into(),
        phone_number_id: "106540352242922".into(),
        display_phone_number: "15550783881".into(),
    }
}

#[test]
fn parses_the_text_example_exactly() {
    let got = only(parse_meta(TEXT_EXAMPLE));
    let expected = Inbound {
        key: DedupeKey(
            "whatsapp:wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=".into(),
        ),
        channel: Channel::Whatsapp,
        account: "106540352242922".into(),
        event: InboundEvent::Message(ContactMessage {
            provider_message_id: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
                .into(),
            from: Identity {
                address: "16505551234".into(),
                display_name: Some("Sheena Nelson".into()),
                username: None,
            },
            text: Some("Does it come in another color?".into()),
            attachments: vec![],
            location: None,
            payload: None,
            sent_at_ms: Some(1_749_416_383_000),
            reply_to: None,
            comment: None,
        }),
    };
    assert_eq!(got, expected);
}

#[test]
fn image_with_caption_shows_as_two_items() {
    let body = biz().body(vec![biz().messages_change(
        "16505551234",
        "Sheena",
        vec![fake::image(
            "16505551234",
            "wamid.IMG",
            1749416500,
            "1003383421387256",
            "image/jpeg",
            Some("Is this one in stock?"),
        )],
    )]);
    let got = only(parse_meta(&body.to_string()));
    let m = message(&got);
    let att = Attachment {
        kind: AttachmentKind::Image,
        mime: Some("image/jpeg".into()),
        source: MediaSource::MediaId {
            id: "1003383421387256".into(),
        },
        caption: Some("Is this one in stock?".into()),
        filename: None,
        size: None,
        sha256: Some("ZmFrZS1zaGEyNTY=".into()),
    };
    assert_eq!(m.attachments, vec![att.clone()]);
    assert_eq!(m.text, None);
    let items = m.items(&got.key);
    assert_eq!(
        items,
        vec![
            DisplayItem::Attachment {
                key: DedupeKey("whatsapp:wamid.IMG".into()),
                attachment: Attachment {
                    caption: None,
                    ..att
                }
            },
            DisplayItem::Text {
                key: DedupeKey("whatsapp:wamid.IMG#1".into()),
                text: "Is this one in stock?".into()
            },
        ]
    );
}

#[test]
fn statuses_including_async_131047() {
    let body = biz().body(vec![biz().statuses_change(vec![
        fake::status("wamid.A", "delivered", 1749416600, "16505551234", None),
        fake::status(
            "wamid.B",
            "failed",
            1749416601,
            "16505551234",
            Some((131047, "Re-engagement message")),
        ),
        fake::status("wamid.C", "deleted", 1749416602, "16505551234", None),
    ])]);
    let got = parse_meta(&body.to_string());
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].key, DedupeKey("whatsapp:wamid.A:delivered".into()));
    assert_eq!(
        got[0].event,
        InboundEvent::Status(StatusUpdate {
            provider_message_id: "wamid.A".into(),
            status: DeliveryStatus::Delivered,
            provider_status: "delivered".into(),
            recipient: Some("16505551234".into()),
            at_ms: Some(1_749_416_600_000),
            error: None,
        })
    );
    let InboundEvent::Status(failed) = &got[1].event else {
        panic!()
    };
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(
        failed.error,
        Some(ProviderError {
            code: "131047".into(),
            kind: FailureKind::OutsideWindow,
            reason: "The customer's 24-hour WhatsApp window has closed; send an approved template."
                .into(),
            retryable: false,
        })
    );
    assert_eq!(
        got[2].event,
        InboundEvent::Ignored(Ignored::UnknownStatus {
            status: "deleted".into()
        })
    );
}

#[test]
fn batches_yield_every_event_and_duplicates_keep_keys() {
    let b = biz();
    let other = fake::Business {
        waba_id: "WABA2".into(),
        phone_number_id: "999".into(),
        display_phone_number: "1555".into(),
    };
    let body = json!({"object": "whatsapp_business_account", "entry": [
        {"id": "WABA1", "changes": [
            b.messages_change("111", "A", vec![fake::text("111", "wamid.1", 1, "one")]),
            b.statuses_change(vec![fake::status("wamid.S", "read", 2, "111", None)]),
            {"field": "message_template_status_update", "value": {"event": "APPROVED"}}
        ]},
        {"id": "WABA2", "changes": [other.messages_change("222", "B", vec![fake::text("222", "wamid.2", 3, "two"), fake::text("222", "wamid.3", 4, "three")])]}
    ]});
    let raw = body.to_string();
    let got = parse_meta(&raw);
    let keys: Vec<&str> = got.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys[..2], ["whatsapp:wamid.1", "whatsapp:wamid.S:read"]);
    assert!(
        keys[2].starts_with("whatsapp:message_template_status_update:sha256:"),
        "{}",
        keys[2]
    );
    assert_eq!(keys[3..], ["whatsapp:wamid.2", "whatsapp:wamid.3"]);
    assert_eq!(
        got[2].event,
        InboundEvent::Ignored(Ignored::UnknownField {
            field: "message_template_status_update".into()
        })
    );
    assert_eq!(got[3].account, "999");
    assert_eq!(message(&got[4]).from.display_name.as_deref(), Some("B"));
    let again: Vec<DedupeKey> = parse_meta(&raw).into_iter().map(|i| i.key).collect();
    assert_eq!(again, got.iter().map(|i| i.key.clone()).collect::<Vec<_>>());
}

#[test]
fn other_message_types() {
    let b = biz();
    let msgs = vec![
        json!({"from": "1", "id": "wamid.R", "timestamp": "1", "type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}}),
        json!({"from": "1", "id": "wamid.O", "timestamp": "1", "type": "order", "order": {}}),
        json!({"from": "1", "id": "wamid.L", "timestamp": "1", "type": "location", "location": {"latitude": 38.7, "longitude": -9.1, "name": "Shop"}}),
        json!({"from": "1", "id": "wamid.I", "timestamp": "1", "type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes"}}, "context": {"from": "15550783881", "id": "wamid.Q"}}),
        json!({"from": "1", "timestamp": "1", "type": "text", "text": {"body": "no id"}}),
    ];
    let got = parse_meta(&b.body(vec![b.messages_change("1", "A", msgs)]).to_string());
    assert_eq!(got[0].event, InboundEvent::Ignored(Ignored::Reaction));
    assert_eq!(
        got[1].event,
        InboundEvent::Ignored(Ignored::UnsupportedMessage {
            kind: "order".into()
        })
    );
    assert_eq!(
        message(&got[2]).location,
        Some(Location {
            latitude: 38.7,
            longitude: -9.1,
            name: Some("Shop".into()),
            address: None
        })
    );
    let i = message(&got[3]);
    assert_eq!(
        (i.text.as_deref(), i.payload.as_deref()),
        (Some("Yes"), Some("yes"))
    );
    assert_eq!(
        i.reply_to,
        Some(ReplyContext::Message {
            provider_message_id: "wamid.Q".into()
        })
    );
    assert_eq!(
        got[4].event,
        InboundEvent::Ignored(Ignored::Malformed {
            detail: "message without id".into()
        })
    );
}

fn account() -> Account {
    Account::new(
        "106540352242922",
        "https://graph.facebook.com/v25.0/",
        ApiAuth::Bearer {
            token: "EAAG".into(),
        },
    )
}

fn send(content: OutboundContent) -> Result<HttpRequest, SendError> {
    WhatsappAdapter::default().build_request(
        &Outbound::new(Channel::Whatsapp, "16505551234", content, NOW).last_inbound(NOW - HOUR),
        &account(),
    )
}

#[test]
fn request_shapes_match_channels_md() {
    let req = send(text("Hi Sheena, yes - blue and red.")).unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://graph.facebook.com/v25.0/106540352242922/messages"
    );
    assert_eq!(req.headers.get("Authorization"), Some("Bearer EAAG"));
    assert_eq!(req.content_type(), Some("application/json"));
    assert_eq!(
        json_body(&req),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "text", "text": {"preview_url": false, "body": "Hi Sheena, yes - blue and red."}})
    );
    let img = OutboundContent::Attachment {
        kind: AttachmentKind::Image,
        url: "https://cdn.example.test/p/42.jpg".into(),
        mime: Some("image/jpeg".into()),
        size: Some(10),
        caption: Some("Blue variant".into()),
        filename: None,
    };
    assert_eq!(
        json_body(&send(img).unwrap()),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "image", "image": {"link": "https://cdn.example.test/p/42.jpg", "caption": "Blue variant"}})
    );
    let tpl = OutboundContent::Template {
        name: "order_update".into(),
        language: "en_US".into(),
        parameters: vec!["ORD-1001".into()],
    };
    let out = Outbound::new(Channel::Whatsapp, "16505551234", tpl, NOW); // no inbound ever: templates still go
    assert_eq!(
        json_body(
            &WhatsappAdapter::default()
                .build_request(&out, &account())
                .unwrap()
        ),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234", "type": "template",
               "template": {"name": "order_update", "language": {"code": "en_US"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "ORD-1001"}]}]}})
    );
    let mut reply =
        Outbound::new(Channel::Whatsapp, "+16505551234", text("yes"), NOW).last_inbound(NOW - HOUR);
    reply.reply_to = Some("wamid.Q".into());
    let body = json_body(
        &WhatsappAdapter::default()
            .build_request(&reply, &account())
            .unwrap(),
    );
    assert_eq!(
        (body["context"].clone(), body["to"].clone()),
        (json!({"message_id": "wamid.Q"}), json!("16505551234"))
    );
    assert_eq!(
        json_body(&crate::whatsapp::mark_read(&account(), "wamid.Q").unwrap()),
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.Q"})
    );
}

#[test]
fn refusals() {
    let late = Outbound::new(Channel::Whatsapp, "1", text("hi"), NOW).last_inbound(NOW - 24 * HOUR);
    assert_eq!(
        WhatsappAdapter::default().build_request(&late, &account()),
        Err(SendError::OutsideWindow(WindowClosed::Expired {
            closed_at_ms: NOW,
            templates_allowed: true
        }))
    );
    assert_eq!(
        send(text(&"é".repeat(4097))),
        Err(SendError::TooLong {
            max: 4096,
            actual: 4097
        })
    );
    assert_eq!(send(text("  ")), Err(SendError::EmptyText));
    let att = |kind, mime: &str, size, caption: Option<String>| OutboundContent::Attachment {
        kind,
        url: "https://x/y".into(),
        mime: Some(mime.into()),
        size: Some(size),
        caption,
        filename: None,
    };
    assert_eq!(
        send(att(
            AttachmentKind::Image,
            "image/jpeg",
            5 * 1024 * 1024 + 1,
            None
        )),
        Err(SendError::AttachmentTooBig {
            kind: AttachmentKind::Image,
            max: 5 * 1024 * 1024,
            actual: 5 * 1024 * 1024 + 1
        })
    );
    assert_eq!(
        send(att(AttachmentKind::Image, "image/gif", 10, None)),
        Err(SendError::MimeNotAllowed {
            kind: AttachmentKind::Image,
            mime: "image/gif".into()
        })
    );
    assert_eq!(
        send(att(AttachmentKind::Share, "text/html", 10, None)),
        Err(SendError::AttachmentKindNotAllowed {
            kind: AttachmentKind::Share
        })
    );
    assert_eq!(
        send(att(
            AttachmentKind::Image,
            "image/png",
            10,
            Some("c".repeat(1025))
        )),
        Err(SendError::TooLong {
            max: 1024,
            actual: 1025
        })
    );
    assert_eq!(
        send(OutboundContent::Typing { on: true }),
        Err(SendError::Unsupported {
            channel: Channel::Whatsapp,
            action: Action::TypingOn
        })
    );
    assert_eq!(
        send(OutboundContent::Template {
            name: "".into(),
            language: "en".into(),
            parameters: vec![]
        }),
        Err(SendError::InvalidTemplate)
    );
    let sms = Outbound::new(Channel::Sms, "1", text("hi"), NOW);
    assert_eq!(
        WhatsappAdapter::default().build_request(&sms, &account()),
        Err(SendError::WrongChannel {
            expected: Channel::Whatsapp,
            got: Channel::Sms
        })
    );
}

#[test]
fn response_mapping() {
    let a = WhatsappAdapter::default();
    let h = Headers::new();
    assert_eq!(
        a.read_response(
            200,
            &h,
            fake::send_success_json("16505551234", "wamid.NEW").as_bytes()
        ),
        SendOutcome::Accepted {
            provider_message_id: Some("wamid.NEW".into())
        }
    );
    let window = meta::fake::graph_error_json(131047, "(#131047) Re-engagement message", Some("Message failed to send because more than 24 hours have passed since the customer last replied to this number."));
    assert_eq!(
        a.read_response(400, &h, window.as_bytes()),
        SendOutcome::Permanent {
            code: "131047".into(),
            kind: FailureKind::OutsideWindow,
            reason: "The customer's 24-hour WhatsApp window has closed; send an approved template."
                .into()
        }
    );
    let ra = Headers::from_pairs([("retry-after", "30")]);
    assert_eq!(
        a.read_response(
            429,
            &ra,
            meta::fake::graph_error_json(130429, "Rate limit hit", None).as_bytes()
        ),
        SendOutcome::Retry {
            after: Some(Duration::from_secs(30)),
            code: Some("130429".into())
        }
    );
    assert_eq!(
        a.read_response(
            400,
            &h,
            meta::fake::graph_error_json(131056, "pair rate limit", None).as_bytes()
        ),
        SendOutcome::Retry {
            after: None,
            code: Some("131056".into())
        }
    );
    assert!(matches!(
        a.read_response(
            401,
            &h,
            meta::fake::graph_error_json(190, "expired", None).as_bytes()
        ),
        SendOutcome::Permanent {
            kind: FailureKind::Auth,
            ..
        }
    ));
    assert!(matches!(
        a.read_response(
            403,
            &h,
            meta::fake::graph_error_json(200, "perm", None).as_bytes()
        ),
        SendOutcome::Permanent {
            kind: FailureKind::Permission,
            ..
        }
    ));
    assert_eq!(
        a.read_response(502, &h, b"<html>"),
        SendOutcome::Retry {
            after: None,
            code: None
        }
    );
    assert_eq!(
        a.read_response(
            400,
            &h,
            meta::fake::graph_error_json(
                100,
                "Invalid parameter",
                Some("Parameter 'to' is invalid.")
            )
            .as_bytes()
        ),
        SendOutcome::Permanent {
            code: "100".into(),
            kind: FailureKind::BadRequest,
            reason: "The provider rejected a parameter of this message: Parameter 'to' is invalid."
                .into()
        }
    );
    assert_eq!(
        a.read_response(400, &h, meta::fake::graph_error_json(131026, "Message Undeliverable", None).as_bytes()),
        SendOutcome::Permanent { code: "131026".into(), kind: FailureKind::Undeliverable, reason: "This number can't receive WhatsApp messages (not on WhatsApp, blocked us, or an old app).".into() }
    );
    assert_eq!(
        a.read_response(400, &h, b""),
        SendOutcome::Permanent {
            code: "400".into(),
            kind: FailureKind::BadRequest,
            reason: "The provider refused the message (HTTP 400).".into()
        }
    );
}

#[test]
fn signed_fake_body_goes_through_the_endpoint() {
    let body = meta::fake::body_bytes(&biz().body(vec![biz().messages_change(
        "1",
        "Zoë",
        vec![fake::text("1", "wamid.Z", 5, "olá")],
    )]));
    let req =
        meta::fake::signed_request("https://example.test/webhooks/whatsapp", "app_secret", body);
    let got = only(
        endpoint("whatsapp")
            .unwrap()
            .receive(&req, &WebhookSecrets::new("app_secret"))
            .unwrap(),
    );
    let m = message(&got);
    assert_eq!(
        (m.text.as_deref(), m.from.display_name.as_deref()),
        (Some("olá"), Some("Zoë"))
    );
}
