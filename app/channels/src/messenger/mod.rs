//! Facebook Messenger (channels.md §3). Webhook events (`object: "page"`, `messaging[]`) are
//! parsed by the shared Meta messaging parser; this folder holds the channel's capabilities,
//! its sends and fake bodies.

pub mod fake;

use crate::capabilities::*;
use crate::http::{Headers, HttpRequest};
use crate::outbound::{Account, Outbound, SendError, SendOutcome};
use crate::ChannelAdapter;
use switchboard_domain::conversation::Channel;

#[derive(Debug, Clone)]
pub struct MessengerAdapter {
    pub caps: Capabilities,
}

impl Default for MessengerAdapter {
    /// 24 h standard window, extended to 7 days for a human agent with the `HUMAN_AGENT` tag (set
    /// `human_agent_ms` to `None` when the Page lacks that permission). Text limit 2000
    /// (unconfirmed); attachments 25 MB, images 8 MB when fetched from a URL; no captions.
    fn default() -> Self {
        let rule = |kind, max_bytes| AttachmentRule {
            kind,
            max_bytes,
            mime_types: vec![],
        };
        Self {
            caps: Capabilities {
                channel: Channel::Messenger,
                reply_window: Some(ReplyWindow {
                    standard_ms: DAY_MS,
                    human_agent_ms: Some(7 * DAY_MS),
                    templates_outside: false,
                }),
                max_text_chars: 2000,
                max_caption_chars: None,
                attachments: vec![
                    rule(AttachmentKind::Image, 8 * MB),
                    rule(AttachmentKind::Video, 25 * MB),
                    rule(AttachmentKind::Audio, 25 * MB),
                    rule(AttachmentKind::Document, 25 * MB),
                ],
                max_attachments_per_message: 1,
                comments: CommentSupport::default(),
                typing: TypingSupport::StartStop,
                templates: false,
                direct_messages: true,
            },
        }
    }
}

impl ChannelAdapter for MessengerAdapter {
    fn id(&self) -> &'static str {
        "messenger"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn build(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError> {
        crate::meta::dm_request(&self.caps, out, account)
    }

    fn read_response(&self, status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
        crate::meta::read_graph_response(
            Channel::Messenger,
            status,
            headers,
            body,
            crate::meta::send_api_id_of,
        )
    }

    fn profile_request(&self, address: &str, account: &Account) -> Option<HttpRequest> {
        crate::profile::messenger(address, account)
    }
}
