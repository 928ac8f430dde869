//! Switchboard's channel adapters: pure translation between our model and each messaging
//! provider's wire format (channels.md). No I/O, no clock: the server hands in webhook requests
//! and the current time, and gets back normalised events, ready-to-send HTTP requests, and a
//! verdict on each provider response. That keeps every provider rule testable byte-for-byte and
//! lets the fakes and the demo simulator reuse the exact same signing and body builders.
//!
//! Two traits, because providers and channels don't line up one-to-one: one Meta webhook
//! carries Messenger, Page comments and Instagram, while Twilio carries SMS and WhatsApp.
//! - [`ChannelAdapter`]: one per way of sending (capabilities, build a request, read the answer).
//! - [`WebhookEndpoint`]: one per webhook URL (verify, handshake, parse).
//!
//! Adding a channel = a new folder implementing these, plus one line in [`adapters`] (and in
//! [`endpoints`] if it has its own webhook URL, or in `meta::OBJECTS` if it rides Meta's).

pub mod capabilities;
pub mod http;
pub mod inbound;
pub mod media;
pub mod outbound;
pub mod probe;
mod profile;
pub mod webhook;

mod crypto;
mod json;

pub mod instagram;
pub mod messenger;
pub mod meta;
pub mod page_comments;
pub mod telegram;
pub mod twilio;
pub mod whatsapp;

#[cfg(test)]
mod tests;

pub use capabilities::{
    window_status, AttachmentKind, AttachmentRule, Capabilities, CommentSupport, ReplyWindow,
    TypingSupport, WindowClosed, WindowStatus, WindowVia,
};
pub use http::{Headers, HttpRequest, HttpResponse, Method, WebhookRequest};
pub use inbound::{
    Attachment, CommentChange, CommentChangeKind, CommentRef, ContactMessage, DedupeKey,
    DeliveryStatus, DisplayItem, Echo, FailureKind, Identity, Ignored, Inbound, InboundEvent,
    Location, MediaSource, ProviderError, ReplyContext, StatusUpdate,
};
pub use json::to_ascii_json;
pub use outbound::{
    retry_after, Account, Action, ApiAuth, Outbound, OutboundContent, SendError, SendOutcome,
};
pub use switchboard_domain::conversation::Channel;
pub use webhook::{WebhookError, WebhookSecrets};

/// Sending on one channel through one provider.
pub trait ChannelAdapter: Send + Sync {
    /// Stable id stored on the account row: `twilio_sms`, `whatsapp_cloud`, `messenger`…
    fn id(&self) -> &'static str;

    fn capabilities(&self) -> &Capabilities;

    fn channel(&self) -> Channel {
        self.capabilities().channel
    }

    /// Turns a send into the exact HTTP call, or refuses what the channel can't do (window,
    /// length, attachment rules, one private reply per comment…) before anything leaves. A
    /// send meant for another channel is refused here, once for every adapter.
    fn build_request(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError> {
        let channel = self.channel();
        if out.channel != channel {
            return Err(SendError::WrongChannel {
                expected: channel,
                got: out.channel,
            });
        }
        self.build(out, account)
    }

    /// The adapter's part of `build_request`, for a send already known to be on its channel.
    fn build(&self, out: &Outbound, account: &Account) -> Result<HttpRequest, SendError>;

    /// Classifies the provider's answer: accepted (never resend), retry (5xx, 429, rate limits,
    /// honouring `Retry-After`), or permanent with a plain-words reason. For timeouts and
    /// connection errors use [`SendOutcome::transport_failure`].
    fn read_response(&self, status: u16, headers: &Headers, body: &[u8]) -> SendOutcome;

    /// Whether free text may be sent now; for the composer's "time left".
    fn window(&self, last_inbound_ms: Option<i64>, now_ms: i64) -> WindowStatus {
        self.capabilities().window(last_inbound_ms, now_ms)
    }

    /// The request that fetches a contact's file, or `None` where this channel can't. By
    /// default a plain GET of the URL the webhook gave (Meta's CDN links).
    fn media_request(&self, source: &MediaSource, account: &Account) -> Option<HttpRequest> {
        let _ = account;
        media::plain(source)
    }

    /// What the answer to `media_request` was: the file, or where to fetch it next.
    fn media_follow(&self, first: &[u8], account: &Account) -> media::Follow {
        let _ = (first, account);
        media::Follow::File
    }

    /// Where webhooks name a contact by id only: the request for their name.
    fn profile_request(&self, address: &str, account: &Account) -> Option<HttpRequest> {
        let _ = (address, account);
        None
    }

    /// The name in the answer to `profile_request`.
    fn read_profile(&self, body: &[u8]) -> Option<String> {
        profile::read(body)
    }
}

/// One webhook URL.
pub trait WebhookEndpoint: Send + Sync {
    /// `twilio`, `whatsapp`, `meta`, `telegram` (the path segment under `/webhooks/`).
    fn name(&self) -> &'static str;

    /// Checks the request is really from the provider, exactly as it signs; constant-time.
    fn verify(&self, req: &WebhookRequest, secrets: &WebhookSecrets) -> Result<(), WebhookError>;

    /// The GET subscription handshake (Meta): the body to answer 200 with, as text/plain.
    fn handshake(
        &self,
        _req: &WebhookRequest,
        _secrets: &WebhookSecrets,
    ) -> Result<String, WebhookError> {
        Err(WebhookError::HandshakeUnsupported)
    }

    /// Every event in the request, batches flattened. Unknown fields are ignored and unknown
    /// event kinds come back as [`InboundEvent::Ignored`]; never panics.
    fn parse(
        &self,
        req: &WebhookRequest,
        secrets: &WebhookSecrets,
    ) -> Result<Vec<Inbound>, WebhookError>;

    /// Verify, then parse: the only entry point a handler needs for POSTs.
    fn receive(
        &self,
        req: &WebhookRequest,
        secrets: &WebhookSecrets,
    ) -> Result<Vec<Inbound>, WebhookError> {
        self.verify(req, secrets)?;
        self.parse(req, secrets)
    }
}

/// Every sending adapter, with default (documented) capabilities. One line per channel.
pub fn adapters() -> Vec<Box<dyn ChannelAdapter>> {
    vec![
        Box::new(twilio::TwilioAdapter::sms()),
        Box::new(twilio::TwilioAdapter::whatsapp()),
        Box::new(whatsapp::WhatsappAdapter::default()),
        Box::new(messenger::MessengerAdapter::default()),
        Box::new(page_comments::PageCommentsAdapter::default()),
        Box::new(instagram::InstagramAdapter::default()),
        Box::new(telegram::TelegramAdapter::default()),
    ]
}

/// The path of the webhook an adapter's account is reached at (what an admin gives the
/// provider), under the server's public URL.
pub fn webhook_path(adapter: &str) -> Option<&'static str> {
    match adapter {
        "twilio_sms" | "twilio_whatsapp" => Some("/webhooks/twilio/sms"),
        "whatsapp_cloud" => Some("/webhooks/whatsapp"),
        "messenger" | "page_comments" | "instagram" => Some("/webhooks/meta"),
        "telegram" => Some("/webhooks/telegram"),
        _ => None,
    }
}

/// The adapter stored under `id` on an account row.
pub fn adapter(id: &str) -> Option<Box<dyn ChannelAdapter>> {
    adapters().into_iter().find(|a| a.id() == id)
}

/// Every webhook URL. One line per endpoint.
pub fn endpoints() -> Vec<Box<dyn WebhookEndpoint>> {
    vec![
        Box::new(twilio::TwilioWebhook),
        Box::new(meta::MetaWebhook::whatsapp()),
        Box::new(meta::MetaWebhook::meta()),
        Box::new(telegram::TelegramWebhook),
    ]
}

/// The endpoint served at `/webhooks/{name}`.
pub fn endpoint(name: &str) -> Option<Box<dyn WebhookEndpoint>> {
    endpoints().into_iter().find(|e| e.name() == name)
}
