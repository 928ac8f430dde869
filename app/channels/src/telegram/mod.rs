//! Telegram Bot API (channels.md §6): webhook with the `X-Telegram-Bot-Api-Secret-Token`
//! header, one Update per POST; sends via `sendMessage`, `sendPhoto`…, `sendChatAction`.
//! Long polling (`getUpdates`) yields the same Update objects: feed each to [`parse_update`].

pub mod fake;
mod parse;
pub mod poll;
mod send;

pub use parse::parse_update;

use crate::capabilities::*;
use crate::crypto::ct_eq;
use crate::http::{Headers, HttpRequest, Method, WebhookRequest};
use crate::inbound::Inbound;
use crate::outbound::{Account, Outbound, SendError, SendOutcome};
use crate::webhook::{WebhookError, WebhookSecrets};
use crate::{ChannelAdapter, WebhookEndpoint};
use switchboard_domain::conversation::Channel;

pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";
pub const API_BASE: &str = "https://api.telegram.org";

/// Checks the secret token header in constant time. An empty configured secret fails closed.
pub fn verify(req: &WebhookRequest, secret_token: &str) -> Result<(), WebhookError> {
    if req.method != Method::Post {
        return Err(WebhookError::MethodNotAllowed);
    }
    if secret_token.is_empty() {
        return Err(WebhookError::NoSecret);
    }
    let given = req
        .headers
        .get(SECRET_HEADER)
        .ok_or(WebhookError::MissingSignature(SECRET_HEADER))?;
    if ct_eq(secret_token.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// The bot id is the numeric prefix of its token (`<bot_id>:<secret>`): use it as the account.
pub fn bot_id(token: &str) -> Option<&str> {
    token
        .split_once(':')
        .map(|(id, _)| id)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TelegramWebhook;

impl WebhookEndpoint for TelegramWebhook {
    fn name(&self) -> &'static str {
        "telegram"
    }

    fn verify(&self, req: &WebhookRequest, secrets: &WebhookSecrets) -> Result<(), WebhookError> {
        verify(req, &secrets.signing_secret)
    }

    /// `secrets.account` names the bot (Telegram updates don't).
    fn parse(
        &self,
        req: &WebhookRequest,
        secrets: &WebhookSecrets,
    ) -> Result<Vec<Inbound>, WebhookError> {
        parse::parse(req, secrets)
    }
}

#[derive(Debug, Clone)]
pub struct TelegramAdapter {
    pub caps: Capabilities,
}

impl Default for TelegramAdapter {
    /// No window; text 4096, captions 1024; by-URL upload limits (photos 5 MB, other 20 MB);
    /// typing start only (it lasts about 5 s or until our next message).
    fn default() -> Self {
        let rule = |kind, max_bytes| AttachmentRule {
            kind,
            max_bytes,
            mime_types: vec![],
        };
        Self {
            caps: Capabilities {
                channel: Channel::Telegram,
                reply_window: None,
                max_text_chars: 4096,
                max_caption_chars: Some(1024),
                attachments: vec![
                    rule(AttachmentKind::Image, 5 * MB),
                    rule(AttachmentKind::Video, 20 * MB),
                    rule(AttachmentKind::Audio, 20 * MB),
                    rule(AttachmentKind::Document, 20 * MB),
                ],
                max_attachments_per_message: 1,
                comments: CommentSupport::default(),
                typing: TypingSupport::StartOnly,
                templates: false,
                direct_messages: true,
            },
        }
    }
}

impl ChannelAdapter for TelegramAdapter {
    fn id(&self) -> &'static str {
        "telegram"
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
        crate::media::telegram(source, account)
    }

    fn media_follow(&self, first: &[u8], account: &Account) -> crate::media::Follow {
        crate::media::telegram_follow(first, account)
    }
}
