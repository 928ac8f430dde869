use super::*;
use crate::messenger::{fake, MessengerAdapter};
use serde_json::json;

const EXAMPLE: &str = r#"{
  "object": "page",
  "entry": [{
    "id": "PAGE1",
    "time": 1458692752478,
    "messaging": [{
      "sender": {"id": "PSID1"},
      "recipient": {"id": "PAGE1"},
      "timestamp": 1458692752478,
      "message": {"mid": "m_1457764197618:41d102a3e1ae206a38", "text": "hello, world!",
                  "quick_reply": {"payload": "<DEVELOPER_DEFINED_PAYLOAD>"}}
    }]
  }]
}"#;

#[test]
fn parses_the_example_exactly() {
    let got = only(parse_meta(EXAMPLE));
    assert_eq!(
        got,
        Inbound {
            key: DedupeKey("messenger:m_1457764197618:41d102a3e1ae206a38".into()),
            channel: Channel::Messenger,
            account: "PAGE1".into(),
            event: InboundEvent::Message(ContactMessage {
                provider_message_id: "m_1457764197618:41d102a3e1ae206a38".into(),
                from: Identity {
                    address: "PSID1".into(),
                    display_name: None,
                    username: None
                },
                text: Some("hello, world!".into()),
                attachments: vec![],
                location: None,
                payload: Some("<DEVELOPER_DEFINED_PAYLOAD>".into()),
                sent_at_ms: Some(1458692752478),
                reply_to: None,
                comment: None,
            }),
        }
    );
}

#[test]
fn echoes_receipts_postbacks_and_unknown_events() {
    let events = vec![
        fake::echo_event("PAGE1", "PSID1", "m_ours", 10, "APP1", "Hi from us"),
        fake::delivery_event("PAGE1", "PSID1", &["m_a", "m_b"], 20),
        json!({"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE1"}, "timestamp": 21, "delivery": {"watermark": 21}}),
        fake::read_event("PAGE1", "PSID1", 30),
        json!({"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE1"}, "timestamp": 40, "postback": {"mid": "m_pb", "title": "Get Started", "payload": "START"}}),
        json!({"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE1"}, "timestamp": 50, "reaction": {"reaction": "love", "emoji": "❤", "action": "react", "mid": "m_ours"}}),
        json!({"sender": {"id": "PSID1"}, "recipient": {"id": "PAGE1"}, "timestamp": 60, "optin": {"ref": "x"}}),
        fake::image_event("PAGE1", "PSID1", "m_img", 70, "https://cdn.fb/img.jpg"),
    ];
    let body = json!({"object": "page", "entry": [fake::entry("PAGE1", 1, events), {"id": "PAGE1", "time": 2, "standby": [{"sender": {"id": "PSID1"}}]}]});
    let got = parse_meta(&body.to_string());
    let events: Vec<&InboundEvent> = got.iter().map(|i| &i.event).collect();
    assert_eq!(events.len(), 10);
    assert_eq!(
        *events[0],
        InboundEvent::Echo(Echo {
            provider_message_id: "m_ours".into(),
            contact: Some("PSID1".into()),
            app_id: Some("APP1".into())
        })
    );
    assert_eq!(got[0].account, "PAGE1");
    for (i, mid) in [(1, "m_a"), (2, "m_b")] {
        let InboundEvent::Status(s) = events[i] else {
            panic!("{:?}", events[i])
        };
        assert_eq!(
            (s.provider_message_id.as_str(), s.status),
            (mid, DeliveryStatus::Delivered)
        );
    }
    assert_eq!(got[1].key, DedupeKey("messenger:m_a:delivered".into()));
    assert_eq!(
        *events[3],
        InboundEvent::Watermark {
            contact: "PSID1".into(),
            status: DeliveryStatus::Delivered,
            up_to_ms: 21
        }
    );
    assert_eq!(got[3].key, DedupeKey("messenger:delivery:PSID1:21".into()));
    assert_eq!(
        *events[4],
        InboundEvent::Watermark {
            contact: "PSID1".into(),
            status: DeliveryStatus::Read,
            up_to_ms: 30
        }
    );
    let pb = message(&got[5]);
    assert_eq!(
        (
            pb.text.as_deref(),
            pb.payload.as_deref(),
            got[5].key.as_str()
        ),
        (Some("Get Started"), Some("START"), "messenger:m_pb")
    );
    assert_eq!(*events[6], InboundEvent::Ignored(Ignored::Reaction));
    assert_eq!(
        *events[7],
        InboundEvent::Ignored(Ignored::UnknownEvent {
            kind: "optin".into()
        })
    );
    assert_eq!(
        message(&got[8]).attachments[0].source,
        MediaSource::Url {
            url: "https://cdn.fb/img.jpg".into()
        }
    );
    assert_eq!(message(&got[8]).attachments[0].kind, AttachmentKind::Image);
    assert_eq!(*events[9], InboundEvent::Ignored(Ignored::Standby));
}

fn account() -> Account {
    Account::new(
        "PAGE1",
        "https://graph.facebook.com/v25.0",
        ApiAuth::AccessTokenQuery {
            token: "PAGE_TOKEN".into(),
        },
    )
}

fn send_at(content: OutboundContent, since_inbound: i64) -> Result<HttpRequest, SendError> {
    MessengerAdapter::default().build_request(
        &Outbound::new(Channel::Messenger, "PSID1", content, NOW).last_inbound(NOW - since_inbound),
        &account(),
    )
}

#[test]
fn send_api_shapes_and_human_agent_tag() {
    let req = send_at(text("Hi! An agent is looking into it."), HOUR).unwrap();
    assert_eq!(
        req.url,
        "https://graph.facebook.com/v25.0/PAGE1/messages?access_token=PAGE_TOKEN"
    );
    assert_eq!(req.headers.get("authorization"), None);
    assert_eq!(
        json_body(&req),
        json!({"recipient": {"id": "PSID1"}, "messaging_type": "RESPONSE", "message": {"text": "Hi! An agent is looking into it."}})
    );
    let tagged = send_at(text("Following up on your order."), 3 * 24 * HOUR).unwrap();
    assert_eq!(
        json_body(&tagged),
        json!({"recipient": {"id": "PSID1"}, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT", "message": {"text": "Following up on your order."}})
    );
    assert_eq!(
        send_at(text("too late"), 8 * 24 * HOUR),
        Err(SendError::OutsideWindow(WindowClosed::Expired {
            closed_at_ms: NOW - 24 * HOUR,
            templates_allowed: false
        }))
    );
    assert_eq!(
        json_body(&send_at(OutboundContent::Typing { on: true }, HOUR).unwrap()),
        json!({"recipient": {"id": "PSID1"}, "sender_action": "typing_on"})
    );
    assert_eq!(
        json_body(&send_at(OutboundContent::Typing { on: false }, HOUR).unwrap()),
        json!({"recipient": {"id": "PSID1"}, "sender_action": "typing_off"})
    );
    assert_eq!(
        send_at(OutboundContent::Typing { on: true }, 2 * 24 * HOUR),
        Err(SendError::OutsideWindow(WindowClosed::Expired {
            closed_at_ms: NOW - 24 * HOUR,
            templates_allowed: false
        }))
    );
    let file = OutboundContent::Attachment {
        kind: AttachmentKind::Document,
        url: "https://x/manual.pdf".into(),
        mime: None,
        size: Some(1),
        caption: None,
        filename: None,
    };
    assert_eq!(
        json_body(&send_at(file, HOUR).unwrap()),
        json!({"recipient": {"id": "PSID1"}, "messaging_type": "RESPONSE", "message": {"attachment": {"type": "file", "payload": {"url": "https://x/manual.pdf", "is_reusable": true}}}})
    );
    let captioned = OutboundContent::Attachment {
        kind: AttachmentKind::Image,
        url: "https://x/a.jpg".into(),
        mime: None,
        size: None,
        caption: Some("c".into()),
        filename: None,
    };
    assert_eq!(
        send_at(captioned, HOUR),
        Err(SendError::CaptionNotSupported)
    );
    assert_eq!(
        send_at(text(&"a".repeat(2001)), HOUR),
        Err(SendError::TooLong {
            max: 2000,
            actual: 2001
        })
    );
    let bearer = Account::new(
        "PAGE1",
        "https://graph.facebook.com/v25.0",
        ApiAuth::Bearer { token: "T".into() },
    );
    let req = MessengerAdapter::default()
        .build_request(
            &Outbound::new(Channel::Messenger, "PSID1", text("x"), NOW).last_inbound(NOW - 1),
            &bearer,
        )
        .unwrap();
    assert_eq!(
        (req.url.as_str(), req.headers.get("Authorization")),
        (
            "https://graph.facebook.com/v25.0/PAGE1/messages",
            Some("Bearer T")
        )
    );
}

#[test]
fn without_human_agent_permission_the_window_is_24h() {
    let mut a = MessengerAdapter::default();
    if let Some(w) = a.caps.reply_window.as_mut() {
        w.human_agent_ms = None;
    }
    let out =
        Outbound::new(Channel::Messenger, "PSID1", text("x"), NOW).last_inbound(NOW - 25 * HOUR);
    assert_eq!(
        a.build_request(&out, &account()),
        Err(SendError::OutsideWindow(WindowClosed::Expired {
            closed_at_ms: NOW - HOUR,
            templates_allowed: false
        }))
    );
}

#[test]
fn response_mapping() {
    let a = MessengerAdapter::default();
    assert_eq!(
        a.read_response(
            200,
            &Headers::new(),
            fake::send_success_json("PSID1", "m_AG5Hz2U").as_bytes()
        ),
        SendOutcome::Accepted {
            provider_message_id: Some("m_AG5Hz2U".into())
        }
    );
    let outside = r#"{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278,"fbtrace_id":"x"}}"#;
    assert_eq!(
        a.read_response(400, &Headers::new(), outside.as_bytes()),
        SendOutcome::Permanent {
            code: "10".into(),
            kind: FailureKind::OutsideWindow,
            reason: "The customer's 24-hour Messenger window has closed; a person can still answer within 7 days of their last message.".into()
        }
    );
    assert!(matches!(
        a.read_response(
            400,
            &Headers::new(),
            meta::fake::graph_error_json(613, "Calls exceeded", None).as_bytes()
        ),
        SendOutcome::Retry { .. }
    ));
}
