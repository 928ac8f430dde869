//! WhatsApp Business Cloud API (channels.md §2). Webhooks arrive on `/webhooks/whatsapp` and
//! are handled by the shared Meta endpoint (`meta::MetaWebhook::whatsapp`), which dispatches
//! `whatsapp_business_account` entries to [`parse_entry`].

pub mod fake;
mod parse;
mod send;

pub use parse::{map_status, parse_entry};
pub use send::mark_read;

use crate::capabilities::*;
use crate::http::{Headers, HttpRequest};
use crate::outbound::{Account, Outbound, SendError, SendOutcome};
use crate::ChannelAdapter;
use switchboard_domain::conversation::Channel;

#[derive(Debug, Clone)]
pub struct WhatsappAdapter {
    pub caps: Capabilities,
}

impl Default for WhatsappAdapter {
    /// 24 h customer-service window, templates outside it; text 4096, caption 1024; one media
    /// per message with the §2.7 size table (sticker: the animated 500 KB cap).
    fn default() -> Self {
        let rule = |kind, max_bytes, mime_types: &[&'static str]| AttachmentRule {
            kind,
            max_bytes,
            mime_types: mime_types.to_vec(),
        };
        Self {
            caps: Capabilities {
                channel: Channel::Whatsapp,
                reply_window: Some(ReplyWindow {
                    standard_ms: DAY_MS,
                    human_agent_ms: None,
                    templates_outside: true,
                }),
                max_text_chars: 4096,
                max_caption_chars: Some(1024),
                attachments: vec![
                    rule(AttachmentKind::Image, 5 * MB, &["image/jpeg", "image/png"]),
                    rule(
                        AttachmentKind::Video,
                        16 * MB,
                        &["video/mp4", "video/3gp", "video/3gpp"],
                    ),
                    rule(
                        AttachmentKind::Audio,
                        16 * MB,
                        &[
                            "audio/aac",
                            "audio/amr",
                            "audio/mpeg",
                            "audio/mp4",
                            "audio/ogg",
                        ],
                    ),
                    rule(AttachmentKind::Document, 100 * MB, &[]),
                    rule(AttachmentKind::Sticker, 500 * 1024, &["image/webp"]),
                ],
                max_attachments_per_message: 1,
                comments: CommentSupport::default(),
                typing: TypingSupport::None,
                templates: true,
                direct_messages: true,
            },
        }
    }
}

impl ChannelAdapter for WhatsappAdapter {
    fn id(&self) -> &'static str {
        "whatsapp_cloud"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn build(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError> {
        send::build(&self.caps, out, account)
    }

    fn read_response(&self, status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
        crate::meta::read_graph_response(Channel::Whatsapp, status, headers, body, send::id_of)
    }

    fn media_request(
        &self,
        source: &crate::inbound::MediaSource,
        account: &Account,
    ) -> Option<HttpRequest> {
        crate::media::whatsapp(source, account)
    }

    fn media_follow(&self, first: &[u8], account: &Account) -> crate::media::Follow {
        crate::media::whatsapp_follow(first, account)
    }
}
