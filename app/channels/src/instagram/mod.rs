//! Instagram messaging and comments (channels.md §5), through Instagram Login
//! (`graph.instagram.com`, send node = the IG account) or Facebook Login (`graph.facebook.com`,
//! send node = the linked Page: set `Account::send_node`). Payload shapes are the same.

mod comments;
pub mod fake;

use crate::capabilities::*;
use crate::http::{Headers, HttpRequest};
use crate::inbound::{DedupeKey, Ignored, Inbound, InboundEvent};
use crate::json::{arr, content_key, int_of, secs_to_ms, str_of};
use crate::outbound::{unsupported, Account, Outbound, OutboundContent, SendError, SendOutcome};
use crate::ChannelAdapter;
use serde_json::Value;
use switchboard_domain::conversation::Channel;

/// Entry `time` is seconds on Instagram change entries and milliseconds on messaging entries;
/// anything past year 5138 in seconds is taken as milliseconds.
fn entry_time_ms(entry: &Value) -> Option<i64> {
    let t = int_of(entry, "time")?;
    if t > 100_000_000_000 {
        Some(t)
    } else {
        secs_to_ms(t)
    }
}

/// One `entry[]` item of an `instagram` body: DMs in `messaging[]`, comments in `changes[]`.
pub fn parse_entry(entry: &Value) -> Vec<Inbound> {
    let ig_id = str_of(entry, "id").unwrap_or_default();
    let mut out = Vec::new();
    for ev in arr(entry, "messaging") {
        out.extend(crate::meta::parse_messaging(
            ev,
            &ig_id,
            Channel::Instagram,
            "instagram",
        ));
    }
    for ev in arr(entry, "standby") {
        out.push(Inbound {
            key: DedupeKey::new("instagram", &["standby", &content_key(ev)]),
            channel: Channel::Instagram,
            account: ig_id.clone(),
            event: InboundEvent::Ignored(Ignored::Standby),
        });
    }
    let time = entry_time_ms(entry);
    for change in arr(entry, "changes") {
        out.push(comments::parse_change(change, &ig_id, time));
    }
    out
}

#[derive(Debug, Clone)]
pub struct InstagramAdapter {
    pub caps: Capabilities,
}

impl Default for InstagramAdapter {
    /// 24 h window, `HUMAN_AGENT` to 7 days; text under 1000 chars; image png/jpeg/gif 8 MB,
    /// audio/video 25 MB; comments with public reply, one private reply within 7 days, delete.
    fn default() -> Self {
        Self {
            caps: Capabilities {
                channel: Channel::Instagram,
                reply_window: Some(ReplyWindow {
                    standard_ms: DAY_MS,
                    human_agent_ms: Some(7 * DAY_MS),
                    templates_outside: false,
                }),
                max_text_chars: 1000,
                max_caption_chars: None,
                attachments: vec![
                    AttachmentRule {
                        kind: AttachmentKind::Image,
                        max_bytes: 8 * MB,
                        mime_types: vec!["image/png", "image/jpeg", "image/gif"],
                    },
                    AttachmentRule {
                        kind: AttachmentKind::Audio,
                        max_bytes: 25 * MB,
                        mime_types: vec![],
                    },
                    AttachmentRule {
                        kind: AttachmentKind::Video,
                        max_bytes: 25 * MB,
                        mime_types: vec![],
                    },
                ],
                max_attachments_per_message: 1,
                comments: CommentSupport {
                    receives_comments: true,
                    public_reply: true,
                    private_reply_within_ms: Some(7 * DAY_MS),
                    delete: true,
                },
                typing: TypingSupport::StartStop,
                templates: false,
                direct_messages: true,
            },
        }
    }
}

impl ChannelAdapter for InstagramAdapter {
    fn id(&self) -> &'static str {
        "instagram"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn build(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError> {
        match &out.content {
            OutboundContent::Text { .. }
            | OutboundContent::Attachment { .. }
            | OutboundContent::Typing { .. } => crate::meta::dm_request(&self.caps, out, account),
            OutboundContent::CommentReply { comment_id, text } => crate::meta::comment_reply(
                account,
                comment_id,
                "replies",
                text,
                self.caps.max_text_chars,
            ),
            OutboundContent::PrivateReply { .. } => {
                crate::meta::private_reply(&self.caps, out, account, self.caps.max_text_chars)
            }
            OutboundContent::DeleteComment { comment_id } => {
                crate::meta::delete_comment(account, comment_id)
            }
            other => Err(unsupported(&self.caps, other)),
        }
    }

    fn read_response(&self, status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
        crate::meta::read_graph_response(
            Channel::Instagram,
            status,
            headers,
            body,
            crate::meta::send_api_id_of,
        )
    }

    fn profile_request(&self, address: &str, account: &Account) -> Option<HttpRequest> {
        crate::profile::instagram(address, account)
    }
}
