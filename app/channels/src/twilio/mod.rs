//! Twilio Programmable Messaging: SMS/MMS and WhatsApp through Twilio (channels.md §1). Both
//! share one webhook (`/webhooks/twilio/sms` and `/webhooks/twilio/status`, same signature and
//! form format) and one send API; they differ in capabilities and the `whatsapp:` prefix.

mod errors;
pub mod fake;
mod parse;
mod send;
mod signature;

pub use errors::describe;
pub use parse::{channel_of, map_status};
pub use signature::{
    sign, signature_string, url_with_body_hash, verify, IDEMPOTENCY_HEADER, SIGNATURE_HEADER,
};

use crate::capabilities::*;
use crate::http::{Headers, HttpRequest, WebhookRequest};
use crate::inbound::Inbound;
use crate::outbound::{Account, Outbound, SendError, SendOutcome};
use crate::webhook::{WebhookError, WebhookSecrets};
use crate::{ChannelAdapter, WebhookEndpoint};
use switchboard_domain::conversation::Channel;

/// Twilio's default API base.
pub const API_BASE: &str = "https://api.twilio.com";

/// Outbound adapter for one Twilio flavour.
#[derive(Debug, Clone)]
pub struct TwilioAdapter {
    pub caps: Capabilities,
}

impl TwilioAdapter {
    /// SMS/MMS: no reply window; 1600 chars; up to 10 media totalling 5 MB (the total is
    /// checked per item here, the engine sends one attachment per request).
    pub fn sms() -> Self {
        let rule = |kind| AttachmentRule {
            kind,
            max_bytes: 5 * MB,
            mime_types: vec![],
        };
        Self {
            caps: Capabilities {
                channel: Channel::Sms,
                reply_window: None,
                max_text_chars: 1600,
                max_caption_chars: Some(1600),
                attachments: vec![
                    rule(AttachmentKind::Image),
                    rule(AttachmentKind::Video),
                    rule(AttachmentKind::Audio),
                    rule(AttachmentKind::Document),
                ],
                max_attachments_per_message: 10,
                comments: CommentSupport::default(),
                typing: TypingSupport::None,
                templates: false,
                direct_messages: true,
            },
        }
    }

    /// WhatsApp through Twilio: 24 h window, templates (`ContentSid`) outside it, one media per
    /// message; images 5 MB and 16 MB for the rest (a newer doc may say 20 MB, unconfirmed).
    pub fn whatsapp() -> Self {
        Self {
            caps: Capabilities {
                channel: Channel::Whatsapp,
                reply_window: Some(ReplyWindow {
                    standard_ms: DAY_MS,
                    human_agent_ms: None,
                    templates_outside: true,
                }),
                max_text_chars: 1600,
                max_caption_chars: Some(1600),
                attachments: vec![
                    AttachmentRule {
                        kind: AttachmentKind::Image,
                        max_bytes: 5 * MB,
                        mime_types: vec!["image/jpeg", "image/jpg", "image/png"],
                    },
                    AttachmentRule {
                        kind: AttachmentKind::Video,
                        max_bytes: 16 * MB,
                        mime_types: vec![],
                    },
                    AttachmentRule {
                        kind: AttachmentKind::Audio,
                        max_bytes: 16 * MB,
                        mime_types: vec![],
                    },
                    AttachmentRule {
                        kind: AttachmentKind::Document,
                        max_bytes: 16 * MB,
                        mime_types: vec![],
                    },
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

impl ChannelAdapter for TwilioAdapter {
    fn id(&self) -> &'static str {
        match self.caps.channel {
            Channel::Whatsapp => "twilio_whatsapp",
            _ => "twilio_sms",
        }
    }

    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn build(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError> {
        send::build(&self.caps, out, account)
    }

    fn read_response(&self, status: u16, headers: &Headers, body: &[u8]) -> SendOutcome {
        send::read_response(status, headers, body)
    }

    fn media_request(
        &self,
        source: &crate::inbound::MediaSource,
        account: &Account,
    ) -> Option<HttpRequest> {
        crate::media::twilio(source, account)
    }
}

/// The Twilio webhook endpoint (inbound messages and status callbacks alike).
#[derive(Debug, Clone, Copy, Default)]
pub struct TwilioWebhook;

impl WebhookEndpoint for TwilioWebhook {
    fn name(&self) -> &'static str {
        "twilio"
    }

    fn verify(&self, req: &WebhookRequest, secrets: &WebhookSecrets) -> Result<(), WebhookError> {
        signature::verify(req, &secrets.signing_secret)
    }

    fn parse(
        &self,
        req: &WebhookRequest,
        _secrets: &WebhookSecrets,
    ) -> Result<Vec<Inbound>, WebhookError> {
        parse::parse(req)
    }
}

/// What to answer Twilio after accepting a webhook: an empty TwiML document, so no reply is
/// sent from the webhook and no debugger warning is raised (replies go via REST).
pub const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;
pub const TWIML_CONTENT_TYPE: &str = "text/xml";
