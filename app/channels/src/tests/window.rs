use super::*;
use crate::capabilities::DAY_MS;

fn caps(id: &str) -> Capabilities {
    adapter(id)
        .map(|a| a.capabilities().clone())
        .expect("registered")
}

#[test]
fn no_window_channels_are_unlimited() {
    for id in ["twilio_sms", "telegram", "page_comments"] {
        assert_eq!(caps(id).window(None, NOW), WindowStatus::Unlimited, "{id}");
        assert_eq!(
            caps(id)
                .window(Some(NOW - 30 * DAY_MS), NOW)
                .time_left_ms(NOW),
            None
        );
    }
}

#[test]
fn whatsapp_window() {
    let c = caps("whatsapp_cloud");
    let last = NOW - HOUR;
    let open = c.window(Some(last), NOW);
    assert_eq!(
        open,
        WindowStatus::Open {
            closes_at_ms: last + DAY_MS,
            via: WindowVia::Standard
        }
    );
    assert_eq!(open.time_left_ms(NOW), Some(23 * HOUR));
    assert!(open.allows_free_text());
    // Half-open: at exactly 24 h it is closed.
    assert_eq!(
        c.window(Some(NOW - DAY_MS), NOW),
        WindowStatus::Closed(WindowClosed::Expired {
            closed_at_ms: NOW,
            templates_allowed: true
        })
    );
    assert_eq!(
        c.window(Some(NOW - DAY_MS + 1), NOW),
        WindowStatus::Open {
            closes_at_ms: NOW + 1,
            via: WindowVia::Standard
        }
    );
    assert_eq!(
        c.window(None, NOW),
        WindowStatus::Closed(WindowClosed::NoInboundMessage)
    );
    assert!(!c.window(None, NOW).allows_free_text());
    // Twilio's WhatsApp has the same rule.
    assert_eq!(
        caps("twilio_whatsapp").window(Some(NOW - DAY_MS), NOW),
        c.window(Some(NOW - DAY_MS), NOW)
    );
}

#[test]
fn messenger_and_instagram_human_agent_extension() {
    for id in ["messenger", "instagram"] {
        let c = caps(id);
        let last = NOW - 2 * DAY_MS;
        assert_eq!(
            c.window(Some(last), NOW),
            WindowStatus::Open {
                closes_at_ms: last + 7 * DAY_MS,
                via: WindowVia::HumanAgentTag
            },
            "{id}"
        );
        assert_eq!(
            c.window(Some(last), NOW).time_left_ms(NOW),
            Some(5 * DAY_MS)
        );
        assert_eq!(
            c.window(Some(NOW - 7 * DAY_MS), NOW),
            WindowStatus::Closed(WindowClosed::Expired {
                closed_at_ms: NOW,
                templates_allowed: false
            })
        );
        assert_eq!(
            c.window(Some(NOW - 1), NOW),
            WindowStatus::Open {
                closes_at_ms: NOW - 1 + DAY_MS,
                via: WindowVia::Standard
            }
        );
    }
}

#[test]
fn extreme_times_do_not_overflow() {
    let c = caps("messenger");
    assert_eq!(
        c.window(Some(i64::MAX), i64::MIN),
        WindowStatus::Open {
            closes_at_ms: i64::MAX,
            via: WindowVia::Standard
        }
    );
    assert!(matches!(
        c.window(Some(i64::MIN), i64::MAX),
        WindowStatus::Closed(_)
    ));
    assert_eq!(
        WindowStatus::Open {
            closes_at_ms: 5,
            via: WindowVia::Standard
        }
        .time_left_ms(10),
        Some(0)
    );
}

#[test]
fn capabilities_declare_what_channels_md_says() {
    assert_eq!(
        (
            caps("twilio_sms").max_text_chars,
            caps("whatsapp_cloud").max_text_chars,
            caps("telegram").max_text_chars
        ),
        (1600, 4096, 4096)
    );
    assert_eq!(
        (
            caps("messenger").max_text_chars,
            caps("instagram").max_text_chars
        ),
        (2000, 1000)
    );
    assert_eq!(
        caps("whatsapp_cloud")
            .attachment_rule(AttachmentKind::Document)
            .map(|r| r.max_bytes),
        Some(100 * 1024 * 1024)
    );
    assert_eq!(
        caps("page_comments").comments,
        CommentSupport {
            receives_comments: true,
            public_reply: true,
            private_reply_within_ms: Some(7 * DAY_MS),
            delete: true
        }
    );
    assert_eq!(
        (
            caps("messenger").typing,
            caps("telegram").typing,
            caps("twilio_sms").typing
        ),
        (
            TypingSupport::StartStop,
            TypingSupport::StartOnly,
            TypingSupport::None
        )
    );
    assert!(
        caps("whatsapp_cloud").templates
            && caps("twilio_whatsapp").templates
            && !caps("messenger").templates
    );
    assert_eq!(caps("twilio_whatsapp").max_attachments_per_message, 1);
}

#[test]
fn delivery_status_only_moves_forward() {
    use DeliveryStatus::*;
    assert!(Queued.advances_to(Sent) && Sent.advances_to(Delivered) && Delivered.advances_to(Read));
    assert!(
        !Delivered.advances_to(Sent) && !Read.advances_to(Delivered) && !Sent.advances_to(Sent)
    );
    assert!(Sent.advances_to(Failed) && Queued.advances_to(Failed));
    assert!(!Delivered.advances_to(Failed) && !Read.advances_to(Failed));
    assert_eq!(
        [Queued, Sent, Failed, Delivered, Read].map(DeliveryStatus::rank),
        [0, 1, 2, 3, 4]
    );
}

#[test]
fn items_without_captions_keep_one_key() {
    let m = ContactMessage {
        provider_message_id: "x".into(),
        from: Identity {
            address: "a".into(),
            display_name: None,
            username: None,
        },
        text: Some("hello".into()),
        attachments: vec![],
        location: None,
        payload: None,
        sent_at_ms: None,
        reply_to: None,
        comment: None,
    };
    let key = DedupeKey("p:x".into());
    assert_eq!(
        m.items(&key),
        vec![DisplayItem::Text {
            key: key.clone(),
            text: "hello".into()
        }]
    );
}

#[test]
fn retry_after_reads_seconds_only() {
    assert_eq!(
        retry_after(&Headers::from_pairs([("Retry-After", " 12 ")])),
        Some(std::time::Duration::from_secs(12))
    );
    assert_eq!(
        retry_after(&Headers::from_pairs([(
            "Retry-After",
            "Wed, 21 Oct 2015 07:28:00 GMT"
        )])),
        None
    );
    assert_eq!(retry_after(&Headers::new()), None);
}

#[test]
fn events_and_window_states_serialise_for_the_wire() {
    let ev = Inbound {
        key: DedupeKey("p:1".into()),
        channel: Channel::Sms,
        account: "+1".into(),
        event: InboundEvent::Ignored(Ignored::Reaction),
    };
    assert_eq!(
        serde_json::to_value(&ev).unwrap(),
        serde_json::json!({"key": "p:1", "channel": "sms", "account": "+1", "event": {"type": "ignored", "why": "reaction"}})
    );
    let closed = WindowStatus::Closed(WindowClosed::Expired {
        closed_at_ms: 5,
        templates_allowed: true,
    });
    assert_eq!(
        serde_json::to_value(closed).unwrap(),
        serde_json::json!({"state": "closed", "reason": "expired", "closed_at_ms": 5, "templates_allowed": true})
    );
    let open = WindowStatus::Open {
        closes_at_ms: 9,
        via: WindowVia::HumanAgentTag,
    };
    assert_eq!(
        serde_json::to_value(open).unwrap(),
        serde_json::json!({"state": "open", "closes_at_ms": 9, "via": "human_agent_tag"})
    );
}
