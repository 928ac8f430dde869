use super::*;
use crate::instagram::{fake, InstagramAdapter};
use serde_json::json;

const DM_EXAMPLE: &str = r#"{
  "object": "instagram",
  "entry": [{
    "id": "IG1",
    "time": 1788523200,
    "messaging": [{
      "sender": {"id": "IGSID1"},
      "recipient": {"id": "IG1"},
      "timestamp": 1788523200123,
      "message": {"mid": "aWdfZAG1faXRlbToxOklHTWVzc2FnZ", "text": "Is the M size available?",
                  "reply_to": {"story": {"id": "STORY1", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/s1"}}}
    }]
  }]
}"#;

const COMMENT_EXAMPLE: &str = r#"{
  "object": "instagram",
  "entry": [{
    "id": "IG1",
    "time": 1788523300,
    "changes": [{
      "field": "comments",
      "value": {"id": "IGC2", "from": {"id": "IGSID2", "username": "priya.k"},
                "text": "Price please?", "media": {"id": "MEDIA1", "media_product_type": "FEED"},
                "parent_id": "IGC1"}
    }]
  }]
}"#;

#[test]
fn story_reply_dm() {
    let got = only(parse_meta(DM_EXAMPLE));
    assert_eq!(
        (got.key.as_str(), got.channel, got.account.as_str()),
        (
            "instagram:aWdfZAG1faXRlbToxOklHTWVzc2FnZ",
            Channel::Instagram,
            "IG1"
        )
    );
    let m = message(&got);
    assert!(m.is_story_reply());
    assert_eq!(
        m.reply_to,
        Some(ReplyContext::Story {
            story_id: "STORY1".into(),
            url: Some("https://lookaside.fbsbx.com/ig_messaging_cdn/s1".into())
        })
    );
    assert_eq!(
        (m.text.as_deref(), m.sent_at_ms, m.from.address.as_str()),
        (
            Some("Is the M size available?"),
            Some(1788523200123),
            "IGSID1"
        )
    );
}

#[test]
fn comment_example() {
    let got = only(parse_meta(COMMENT_EXAMPLE));
    assert_eq!(got.key, DedupeKey("instagram:comment:IGC2".into()));
    let m = message(&got);
    assert_eq!(
        m.from,
        Identity {
            address: "IGSID2".into(),
            display_name: None,
            username: Some("priya.k".into())
        }
    );
    assert_eq!(
        m.comment,
        Some(CommentRef {
            post_id: "MEDIA1".into(),
            comment_id: "IGC2".into(),
            parent_id: Some("IGC1".into()),
            is_reply: true,
            live: false
        })
    );
    assert_eq!(m.sent_at_ms, Some(1_788_523_300_000));
    assert!(!m.is_story_reply());
}

#[test]
fn echoes_deletions_mentions_reads_and_own_comments() {
    let messaging = vec![
        json!({"sender": {"id": "IG1"}, "recipient": {"id": "IGSID1"}, "timestamp": 1, "message": {"mid": "m_echo", "is_echo": true, "text": "ours"}}),
        json!({"sender": {"id": "IGSID1"}, "recipient": {"id": "IG1"}, "timestamp": 2, "message": {"mid": "m_del", "is_deleted": true}}),
        json!({"sender": {"id": "IGSID1"}, "recipient": {"id": "IG1"}, "timestamp": 3, "message": {"mid": "m_sm", "attachments": [{"type": "story_mention", "payload": {"url": "https://cdn/s"}}]}}),
        json!({"sender": {"id": "IGSID1"}, "recipient": {"id": "IG1"}, "timestamp": 4, "read": {"mid": "m_echo"}}),
        fake::story_reply_event("IG1", "IGSID1", "m_sr", 5, "nice", "S2", "https://cdn/s2"),
    ];
    let changes = vec![
        fake::comment_change("IGC9", "IG1", "shop", "Thanks!", "MEDIA1", Some("IGC2")),
        json!({"field": "mentions", "value": {}}),
    ];
    let body = json!({"object": "instagram", "entry": [fake::messaging_entry("IG1", 1, messaging), fake::changes_entry("IG1", 2, changes)]});
    let got = parse_meta(&body.to_string());
    assert_eq!(got.len(), 7);
    assert_eq!(
        got[0].event,
        InboundEvent::Echo(Echo {
            provider_message_id: "m_echo".into(),
            contact: Some("IGSID1".into()),
            app_id: None
        })
    );
    assert_eq!(
        got[1].event,
        InboundEvent::MessageDeleted {
            provider_message_id: "m_del".into()
        }
    );
    assert_eq!(
        message(&got[2]).attachments[0].kind,
        AttachmentKind::StoryMention
    );
    assert!(
        matches!(&got[3].event, InboundEvent::Status(s) if s.status == DeliveryStatus::Read && s.provider_message_id == "m_echo")
    );
    assert!(message(&got[4]).is_story_reply());
    assert_eq!(
        got[5].event,
        InboundEvent::Echo(Echo {
            provider_message_id: "IGC9".into(),
            contact: None,
            app_id: None
        })
    );
    assert_eq!(
        got[6].event,
        InboundEvent::Ignored(Ignored::UnknownField {
            field: "mentions".into()
        })
    );
}

fn ig_login() -> Account {
    Account::new(
        "IG1",
        "https://graph.instagram.com/v25.0",
        ApiAuth::Bearer {
            token: "IGT".into(),
        },
    )
}

#[test]
fn sends_for_both_logins() {
    let a = InstagramAdapter::default();
    let out = Outbound::new(
        Channel::Instagram,
        "IGSID1",
        text("Yes, M is in stock."),
        NOW,
    )
    .last_inbound(NOW - HOUR);
    let r = a.build_request(&out, &ig_login()).unwrap();
    assert_eq!(r.url, "https://graph.instagram.com/v25.0/IG1/messages");
    assert_eq!(
        json_body(&r),
        json!({"recipient": {"id": "IGSID1"}, "messaging_type": "RESPONSE", "message": {"text": "Yes, M is in stock."}})
    );
    let mut fb = Account::new(
        "IG1",
        "https://graph.facebook.com/v25.0",
        ApiAuth::AccessTokenQuery { token: "PT".into() },
    );
    fb.send_node = Some("PAGE1".into());
    assert_eq!(
        a.build_request(&out, &fb).unwrap().url,
        "https://graph.facebook.com/v25.0/PAGE1/messages?access_token=PT"
    );

    let pr = OutboundContent::PrivateReply {
        comment_id: "IGC2".into(),
        text: "Sent you the price".into(),
        comment_created_ms: Some(NOW - HOUR),
        already_replied: false,
    };
    let r = a
        .build_request(
            &Outbound::new(Channel::Instagram, "IGSID2", pr, NOW),
            &ig_login(),
        )
        .unwrap();
    assert_eq!(
        (r.url.as_str(), json_body(&r)),
        (
            "https://graph.instagram.com/v25.0/IG1/messages",
            json!({"recipient": {"comment_id": "IGC2"}, "message": {"text": "Sent you the price"}})
        )
    );
    let reply = OutboundContent::CommentReply {
        comment_id: "IGC2".into(),
        text: "12 EUR".into(),
    };
    let r = a
        .build_request(
            &Outbound::new(Channel::Instagram, "IGSID2", reply, NOW),
            &ig_login(),
        )
        .unwrap();
    assert_eq!(
        (r.url.as_str(), r.body_text().as_str()),
        (
            "https://graph.instagram.com/v25.0/IGC2/replies",
            "message=12+EUR"
        )
    );
    let del = a
        .build_request(
            &Outbound::new(
                Channel::Instagram,
                "",
                OutboundContent::DeleteComment {
                    comment_id: "IGC2".into(),
                },
                NOW,
            ),
            &ig_login(),
        )
        .unwrap();
    assert_eq!(
        (del.method, del.url.as_str()),
        (Method::Delete, "https://graph.instagram.com/v25.0/IGC2")
    );
    let long = Outbound::new(Channel::Instagram, "IGSID1", text(&"a".repeat(1001)), NOW)
        .last_inbound(NOW - HOUR);
    assert_eq!(
        a.build_request(&long, &ig_login()),
        Err(SendError::TooLong {
            max: 1000,
            actual: 1001
        })
    );
    let doc = OutboundContent::Attachment {
        kind: AttachmentKind::Document,
        url: "https://x/a.pdf".into(),
        mime: None,
        size: None,
        caption: None,
        filename: None,
    };
    assert_eq!(
        a.build_request(
            &Outbound::new(Channel::Instagram, "IGSID1", doc, NOW).last_inbound(NOW - HOUR),
            &ig_login()
        ),
        Err(SendError::AttachmentKindNotAllowed {
            kind: AttachmentKind::Document
        })
    );
    let tagged = Outbound::new(Channel::Instagram, "IGSID1", text("Following up"), NOW)
        .last_inbound(NOW - 2 * 24 * HOUR);
    assert_eq!(
        json_body(&a.build_request(&tagged, &ig_login()).unwrap())["tag"],
        json!("HUMAN_AGENT")
    );
}
