use super::*;
use crate::page_comments::{fake, PageCommentsAdapter};
use serde_json::json;

const EXAMPLE: &str = r#"{
  "object": "page",
  "entry": [{
    "id": "PAGE1",
    "time": 1742667604,
    "changes": [{
      "field": "feed",
      "value": {
        "from": {"id": "USER1", "name": "Ana Lima"},
        "post": {"id": "PAGE1_POST1", "status_type": "mobile_status_update", "is_published": true},
        "message": "How much is shipping?",
        "post_id": "PAGE1_POST1",
        "comment_id": "POST1_C1",
        "parent_id": "PAGE1_POST1",
        "created_time": 1742667604,
        "item": "comment",
        "verb": "add"
      }
    }]
  }]
}"#;

#[test]
fn parses_the_example_exactly() {
    let got = only(parse_meta(EXAMPLE));
    assert_eq!(
        got,
        Inbound {
            key: DedupeKey("fb_comment:POST1_C1:add".into()),
            channel: Channel::PageComment,
            account: "PAGE1".into(),
            event: InboundEvent::Message(ContactMessage {
                provider_message_id: "POST1_C1".into(),
                from: Identity {
                    address: "USER1".into(),
                    display_name: Some("Ana Lima".into()),
                    username: None
                },
                text: Some("How much is shipping?".into()),
                attachments: vec![],
                location: None,
                payload: None,
                sent_at_ms: Some(1_742_667_604_000),
                reply_to: None,
                comment: Some(CommentRef {
                    post_id: "PAGE1_POST1".into(),
                    comment_id: "POST1_C1".into(),
                    parent_id: Some("PAGE1_POST1".into()),
                    is_reply: false,
                    live: false
                }),
            }),
        }
    );
}

#[test]
fn replies_own_comments_verbs_and_other_items() {
    let changes = vec![
        fake::comment_change(
            "PAGE1_POST1",
            "POST1_C2",
            Some("POST1_C1"),
            "USER2",
            "Bo",
            "Same question",
            100,
        ),
        fake::comment_change(
            "PAGE1_POST1",
            "POST1_C3",
            Some("POST1_C1"),
            "PAGE1",
            "Shop",
            "Shipping is free",
            101,
        ),
        fake::comment_verb_change(
            "PAGE1_POST1",
            "POST1_C1",
            "USER1",
            "edited",
            Some("How much is shipping to PT?"),
            102,
        ),
        fake::comment_verb_change("PAGE1_POST1", "POST1_C2", "USER2", "remove", None, 103),
        fake::comment_verb_change("PAGE1_POST1", "POST1_C2", "PAGE1", "hide", None, 104),
        json!({"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "PAGE1_POST1", "reaction_type": "like"}}),
        json!({"field": "ratings", "value": {}}),
    ];
    let got = parse_meta(
        &json!({"object": "page", "entry": [fake::entry("PAGE1", 1, changes)]}).to_string(),
    );
    assert_eq!(got.len(), 7);
    let reply = message(&got[0]);
    assert_eq!(
        reply
            .comment
            .as_ref()
            .map(|c| (c.is_reply, c.parent_id.clone())),
        Some((true, Some("POST1_C1".into())))
    );
    assert_eq!(
        got[1].event,
        InboundEvent::Echo(Echo {
            provider_message_id: "POST1_C3".into(),
            contact: None,
            app_id: None
        })
    );
    assert_eq!(
        got[2].event,
        InboundEvent::CommentChanged(CommentChange {
            comment_id: "POST1_C1".into(),
            post_id: Some("PAGE1_POST1".into()),
            by: Some("USER1".into()),
            change: CommentChangeKind::Edited {
                text: Some("How much is shipping to PT?".into())
            }
        })
    );
    assert_eq!(got[2].key, DedupeKey("fb_comment:POST1_C1:edited".into()));
    assert!(matches!(
        &got[3].event,
        InboundEvent::CommentChanged(CommentChange {
            change: CommentChangeKind::Removed,
            ..
        })
    ));
    assert!(matches!(
        &got[4].event,
        InboundEvent::CommentChanged(CommentChange {
            change: CommentChangeKind::Hidden,
            ..
        })
    ));
    assert_eq!(
        got[5].event,
        InboundEvent::Ignored(Ignored::NotAComment {
            item: "reaction".into(),
            verb: "add".into()
        })
    );
    assert_eq!(
        got[6].event,
        InboundEvent::Ignored(Ignored::UnknownField {
            field: "ratings".into()
        })
    );
    assert!(got.iter().all(|i| i.channel == Channel::PageComment));
}

fn account() -> Account {
    Account::new(
        "PAGE1",
        "https://graph.facebook.com/v25.0",
        ApiAuth::AccessTokenQuery { token: "PT".into() },
    )
}

fn send(content: OutboundContent) -> Result<HttpRequest, SendError> {
    PageCommentsAdapter::default().build_request(
        &Outbound::new(Channel::PageComment, "USER1", content, NOW),
        &account(),
    )
}

#[test]
fn comment_actions() {
    let r = send(OutboundContent::CommentReply {
        comment_id: "POST1_C1".into(),
        text: "Shipping is free!".into(),
    })
    .unwrap();
    assert_eq!(
        (r.method, r.url.as_str()),
        (
            Method::Post,
            "https://graph.facebook.com/v25.0/POST1_C1/comments?access_token=PT"
        )
    );
    assert_eq!(
        (r.content_type(), r.body_text().as_str()),
        (
            Some("application/x-www-form-urlencoded"),
            "message=Shipping+is+free%21"
        )
    );

    let pr = |created: i64, already: bool| OutboundContent::PrivateReply {
        comment_id: "POST1_C1".into(),
        text: "Hi Ana, we sent you the details.".into(),
        comment_created_ms: Some(created),
        already_replied: already,
    };
    let r = send(pr(NOW - HOUR, false)).unwrap();
    assert_eq!(
        r.url,
        "https://graph.facebook.com/v25.0/PAGE1/messages?access_token=PT"
    );
    assert_eq!(
        json_body(&r),
        json!({"recipient": {"comment_id": "POST1_C1"}, "message": {"text": "Hi Ana, we sent you the details."}})
    );
    assert_eq!(
        send(pr(NOW - HOUR, true)),
        Err(SendError::PrivateReplyAlreadySent)
    );
    assert_eq!(
        send(pr(NOW - 7 * 24 * HOUR, false)),
        Err(SendError::PrivateReplyExpired { deadline_ms: NOW })
    );

    let d = send(OutboundContent::DeleteComment {
        comment_id: "POST1_C1".into(),
    })
    .unwrap();
    assert_eq!(
        (d.method, d.url.as_str(), d.body.len()),
        (
            Method::Delete,
            "https://graph.facebook.com/v25.0/POST1_C1?access_token=PT",
            0
        )
    );
    assert_eq!(
        send(text("hi")),
        Err(SendError::Unsupported {
            channel: Channel::PageComment,
            action: Action::Text
        })
    );
    assert_eq!(
        send(OutboundContent::DeleteComment {
            comment_id: "a/../b".into()
        })
        .unwrap()
        .url,
        "https://graph.facebook.com/v25.0/a%2F..%2Fb?access_token=PT"
    );

    let a = PageCommentsAdapter::default();
    assert_eq!(
        a.read_response(200, &Headers::new(), br#"{"id":"POST1_C9"}"#),
        SendOutcome::Accepted {
            provider_message_id: Some("POST1_C9".into())
        }
    );
    assert_eq!(
        a.read_response(200, &Headers::new(), br#"{"success":true}"#),
        SendOutcome::Accepted {
            provider_message_id: None
        }
    );
}
