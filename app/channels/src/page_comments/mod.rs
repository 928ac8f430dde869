//! Facebook Page comments (channels.md §4): `feed` changes on the Page object in, public
//! replies, private replies (one per comment, 7 days) and deletion out.

pub mod fake;

use crate::capabilities::*;
use crate::http::{Headers, HttpRequest};
use crate::inbound::*;
use crate::json::{content_key, int_of, secs_to_ms, str_at, str_of};
use crate::outbound::{unsupported, Account, Outbound, OutboundContent, SendError, SendOutcome};
use crate::ChannelAdapter;
use serde_json::Value;
use switchboard_domain::conversation::Channel;

const P: &str = "fb_comment";

/// Private replies land in Messenger, so they follow Messenger's text limit (unconfirmed 2000).
const PRIVATE_REPLY_MAX: usize = 2000;

/// One `changes[]` item of a Page entry.
pub fn parse_change(change: &Value, page_id: &str) -> Vec<Inbound> {
    let mk = |key: DedupeKey, event: InboundEvent| Inbound {
        key,
        channel: Channel::PageComment,
        account: page_id.to_string(),
        event,
    };
    let field = str_of(change, "field").unwrap_or_default();
    let value = change.get("value").cloned().unwrap_or(Value::Null);
    if field != "feed" {
        return vec![mk(
            DedupeKey::new(P, &[&field, &content_key(change)]),
            InboundEvent::Ignored(Ignored::UnknownField { field }),
        )];
    }
    let item = str_of(&value, "item").unwrap_or_default();
    let verb = str_of(&value, "verb").unwrap_or_default();
    if item != "comment" {
        return vec![mk(
            DedupeKey::new(P, &[&item, &verb, &content_key(&value)]),
            InboundEvent::Ignored(Ignored::NotAComment { item, verb }),
        )];
    }
    let Some(comment_id) = str_of(&value, "comment_id") else {
        return vec![mk(
            DedupeKey::new(P, &[&content_key(&value)]),
            InboundEvent::Ignored(Ignored::Malformed {
                detail: "comment without comment_id".into(),
            }),
        )];
    };
    let key = DedupeKey::new(P, &[&comment_id, &verb]);
    let post_id = str_of(&value, "post_id").or_else(|| str_at(&value, &["post", "id"]));
    let from_id = str_at(&value, &["from", "id"]);
    let change = match verb.as_str() {
        "add" => None,
        "edited" => Some(CommentChangeKind::Edited {
            text: str_of(&value, "message"),
        }),
        "remove" => Some(CommentChangeKind::Removed),
        "hide" => Some(CommentChangeKind::Hidden),
        "unhide" => Some(CommentChangeKind::Unhidden),
        _ => {
            return vec![mk(
                key,
                InboundEvent::Ignored(Ignored::UnknownEvent { kind: verb }),
            )]
        }
    };
    if let Some(change) = change {
        return vec![mk(
            key,
            InboundEvent::CommentChanged(CommentChange {
                comment_id,
                post_id,
                by: from_id,
                change,
            }),
        )];
    }
    // The Page's own comments (our public replies) come back too: never a contact message.
    if from_id.as_deref() == Some(page_id) {
        return vec![mk(
            key,
            InboundEvent::Echo(Echo {
                provider_message_id: comment_id,
                contact: None,
                app_id: None,
            }),
        )];
    }
    let parent_id = str_of(&value, "parent_id");
    let is_reply = matches!((&parent_id, &post_id), (Some(p), Some(post)) if p != post);
    let attachments = str_of(&value, "photo")
        .map(|url| Attachment {
            kind: AttachmentKind::Image,
            mime: None,
            source: MediaSource::Url { url },
            caption: None,
            filename: None,
            size: None,
            sha256: None,
        })
        .into_iter()
        .chain(str_of(&value, "video").map(|url| Attachment {
            kind: AttachmentKind::Video,
            mime: None,
            source: MediaSource::Url { url },
            caption: None,
            filename: None,
            size: None,
            sha256: None,
        }))
        .collect();
    let msg = ContactMessage {
        provider_message_id: comment_id.clone(),
        from: Identity {
            address: from_id.unwrap_or_default(),
            display_name: str_at(&value, &["from", "name"]),
            username: None,
        },
        text: str_of(&value, "message"),
        attachments,
        location: None,
        payload: None,
        sent_at_ms: int_of(&value, "created_time").and_then(secs_to_ms),
        reply_to: None,
        comment: Some(CommentRef {
            post_id: post_id.unwrap_or_default(),
            comment_id,
            parent_id,
            is_reply,
            live: false,
        }),
    };
    vec![mk(key, InboundEvent::Message(msg))]
}

#[derive(Debug, Clone)]
pub struct PageCommentsAdapter {
    pub caps: Capabilities,
}

impl Default for PageCommentsAdapter {
    /// No window on public replies; private replies once per comment within 7 days; text limit
    /// 8000 for public replies (Facebook's comment limit, unconfirmed here).
    fn default() -> Self {
        Self {
            caps: Capabilities {
                channel: Channel::PageComment,
                reply_window: None,
                max_text_chars: 8000,
                max_caption_chars: None,
                attachments: vec![],
                max_attachments_per_message: 0,
                comments: CommentSupport {
                    receives_comments: true,
                    public_reply: true,
                    private_reply_within_ms: Some(7 * DAY_MS),
                    delete: true,
                },
                typing: TypingSupport::None,
                templates: false,
                direct_messages: false,
            },
        }
    }
}

impl ChannelAdapter for PageCommentsAdapter {
    fn id(&self) -> &'static str {
        "page_comments"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn build(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError> {
        match &out.content {
            OutboundContent::CommentReply { comment_id, text } => crate::meta::comment_reply(
                account,
                comment_id,
                "comments",
                text,
                self.caps.max_text_chars,
            ),
            OutboundContent::PrivateReply { .. } => {
                crate::meta::private_reply(&self.caps, out, account, PRIVATE_REPLY_MAX)
            }
            OutboundContent::DeleteComment { comment_id } => {
                crate::meta::delete_comment(account, comment_id)
            }
            other => Err(unsupported(&self.caps, other)),
        }
    }

    fn read_response(&self, status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
        crate::meta::read_graph_response(
            Channel::PageComment,
            status,
            headers,
            body,
            crate::meta::send_api_id_of,
        )
    }
}
