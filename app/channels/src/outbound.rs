//! Outbound: the typed request the engine builds, the account it goes out on, the refusals an
//! adapter makes before anything is sent, and the normalised outcome of the provider's answer.
//! Refusing early matters because a send the provider rejects may still cost money or quality
//! rating (WhatsApp), and an agent deserves the reason before they hit Send, not after.

use crate::capabilities::{AttachmentKind, Capabilities, WindowClosed, WindowStatus, WindowVia};
use crate::inbound::FailureKind;
use std::fmt;
use std::time::Duration;
use switchboard_domain::conversation::Channel;

/// How to authenticate API calls. Secrets are redacted from `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub enum ApiAuth {
    /// HTTP Basic (Twilio: AccountSid:AuthToken or ApiKeySid:ApiKeySecret).
    Basic { username: String, password: String },
    /// `Authorization: Bearer` (WhatsApp Cloud; accepted by Graph for Pages too, unconfirmed).
    Bearer { token: String },
    /// Graph `access_token=` query parameter (Messenger Send API as documented).
    AccessTokenQuery { token: String },
    /// Telegram bot token, which goes in the URL path.
    BotToken { token: String },
}

impl fmt::Debug for ApiAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiAuth::Basic { username, .. } => write!(f, "Basic({username}:<redacted>)"),
            ApiAuth::Bearer { .. } => f.write_str("Bearer(<redacted>)"),
            ApiAuth::AccessTokenQuery { .. } => f.write_str("AccessTokenQuery(<redacted>)"),
            ApiAuth::BotToken { .. } => f.write_str("BotToken(<redacted>)"),
        }
    }
}

/// One connected account: which of our addresses a conversation runs on, and how to call the
/// provider for it. The base URL is configurable so staging, tests and the demo simulator can
/// point at fakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Twilio sender number E.164 (no `whatsapp:` prefix), WhatsApp `phone_number_id`, Page id,
    /// Instagram account id, Telegram bot id.
    pub address: String,
    /// `https://api.twilio.com`, `https://graph.facebook.com/v25.0` (version included),
    /// `https://api.telegram.org`.
    pub api_base: String,
    pub auth: ApiAuth,
    /// Twilio: the AccountSid for the URL path when `auth` is an API key (defaults to the Basic
    /// username).
    pub twilio_account_sid: Option<String>,
    /// Twilio: send from a Messaging Service instead of `From`.
    pub messaging_service_sid: Option<String>,
    /// Twilio: `StatusCallback` URL (our `/webhooks/twilio/status`).
    pub status_callback_url: Option<String>,
    /// Graph node that sends DMs when it differs from `address`: for Instagram with Facebook
    /// Login, the linked Page id (`POST /{PAGE_ID}/messages`); `me` also works with a Page token.
    pub send_node: Option<String>,
}

impl Account {
    pub fn new(address: impl Into<String>, api_base: impl Into<String>, auth: ApiAuth) -> Self {
        Self {
            address: address.into(),
            api_base: api_base.into(),
            auth,
            twilio_account_sid: None,
            messaging_service_sid: None,
            status_callback_url: None,
            send_node: None,
        }
    }
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundContent {
    Text {
        body: String,
    },
    /// Media by public URL (the provider fetches it); size/mime when known let us refuse early.
    Attachment {
        kind: AttachmentKind,
        url: String,
        mime: Option<String>,
        size: Option<u64>,
        caption: Option<String>,
        filename: Option<String>,
    },
    /// WhatsApp template by name (Cloud API) or Twilio Content SID (`HX…`); parameters fill
    /// `{{1}}`, `{{2}}`… in order.
    Template {
        name: String,
        language: String,
        parameters: Vec<String>,
    },
    /// Public reply under a Page/Instagram comment.
    CommentReply {
        comment_id: String,
        text: String,
    },
    /// Private (DM) reply to a comment: once per comment, within 7 days of its creation. The
    /// engine knows both facts; the adapter enforces them.
    PrivateReply {
        comment_id: String,
        text: String,
        comment_created_ms: Option<i64>,
        already_replied: bool,
    },
    DeleteComment {
        comment_id: String,
    },
    Typing {
        on: bool,
    },
}

impl OutboundContent {
    pub fn action(&self) -> Action {
        match self {
            OutboundContent::Text { .. } => Action::Text,
            OutboundContent::Attachment { .. } => Action::Attachment,
            OutboundContent::Template { .. } => Action::Template,
            OutboundContent::CommentReply { .. } => Action::CommentReply,
            OutboundContent::PrivateReply { .. } => Action::PrivateReply,
            OutboundContent::DeleteComment { .. } => Action::DeleteComment,
            OutboundContent::Typing { on: true } => Action::TypingOn,
            OutboundContent::Typing { on: false } => Action::TypingOff,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Text,
    Attachment,
    Template,
    CommentReply,
    PrivateReply,
    DeleteComment,
    TypingOn,
    TypingOff,
}

/// A send the engine asks for, with the facts the window rule needs (time is passed in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub channel: Channel,
    /// The contact's address: E.164, wa_id, PSID, IGSID or Telegram chat id.
    pub to: String,
    pub content: OutboundContent,
    /// Provider id of the message being answered (WhatsApp `context`, Telegram reply).
    pub reply_to: Option<String>,
    pub last_inbound_ms: Option<i64>,
    pub now_ms: i64,
}

impl Outbound {
    pub fn new(
        channel: Channel,
        to: impl Into<String>,
        content: OutboundContent,
        now_ms: i64,
    ) -> Self {
        Self {
            channel,
            to: to.into(),
            content,
            reply_to: None,
            last_inbound_ms: None,
            now_ms,
        }
    }

    pub fn last_inbound(mut self, ms: i64) -> Self {
        self.last_inbound_ms = Some(ms);
        self
    }
}

/// Refusals before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("{channel:?} can't do {action:?}")]
    Unsupported { channel: Channel, action: Action },
    #[error("this adapter sends {expected:?}, not {got:?}")]
    WrongChannel { expected: Channel, got: Channel },
    #[error("the message is empty")]
    EmptyText,
    #[error("the text has {actual} characters, the limit is {max}")]
    TooLong { max: usize, actual: usize },
    #[error("{kind:?} attachments can't be sent on this channel")]
    AttachmentKindNotAllowed { kind: AttachmentKind },
    #[error("the attachment is {actual} bytes, the limit for {kind:?} is {max}")]
    AttachmentTooBig {
        kind: AttachmentKind,
        max: u64,
        actual: u64,
    },
    #[error("the MIME type {mime} is not accepted for {kind:?}")]
    MimeNotAllowed { kind: AttachmentKind, mime: String },
    #[error("captions can't be sent on this channel; send the text separately")]
    CaptionNotSupported,
    #[error("outside the reply window: {0}")]
    OutsideWindow(WindowClosed),
    #[error("this comment already has a private reply")]
    PrivateReplyAlreadySent,
    #[error(
        "private replies are possible only within 7 days of the comment (until {deadline_ms})"
    )]
    PrivateReplyExpired { deadline_ms: i64 },
    #[error("the template needs a name and a language")]
    InvalidTemplate,
    #[error("invalid recipient address {0:?}")]
    InvalidRecipient(String),
    #[error("account misconfigured: {0}")]
    Misconfigured(&'static str),
}

/// The provider's answer, normalised for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted: never send again. The id is absent for actions without one (delete, typing).
    Accepted { provider_message_id: Option<String> },
    /// Try again later: timeouts, 5xx, 429 and rate-limit codes. `after` from `Retry-After` or
    /// Telegram's `retry_after` when the provider said.
    Retry {
        after: Option<Duration>,
        code: Option<String>,
    },
    /// Don't retry; show `reason` (plain words) on the message.
    Permanent {
        code: String,
        kind: FailureKind,
        reason: String,
    },
}

impl SendOutcome {
    /// What a timeout or connection failure means: retry, provider unknown state. (Providers
    /// accept a duplicate send here at worst; none of them offers an idempotency key on send.)
    pub fn transport_failure() -> Self {
        SendOutcome::Retry {
            after: None,
            code: None,
        }
    }
}

/// Reads `Retry-After` as delta-seconds. HTTP-date values can't be turned into a delay without
/// a clock, so they yield `None` and the caller's own backoff applies.
pub fn retry_after(headers: &crate::http::Headers) -> Option<Duration> {
    headers
        .get("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// Character count the way providers count (Unicode scalar values).
pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Shared text check: non-empty, within `max`.
pub(crate) fn check_text(text: &str, max: usize) -> Result<(), SendError> {
    if text.trim().is_empty() {
        return Err(SendError::EmptyText);
    }
    let n = chars(text);
    if n > max {
        return Err(SendError::TooLong { max, actual: n });
    }
    Ok(())
}

/// Shared attachment check against the channel's rules.
pub(crate) fn check_attachment(
    caps: &Capabilities,
    kind: AttachmentKind,
    mime: Option<&str>,
    size: Option<u64>,
    caption: Option<&str>,
) -> Result<(), SendError> {
    let rule = caps
        .attachment_rule(kind)
        .ok_or(SendError::AttachmentKindNotAllowed { kind })?;
    if let Some(actual) = size {
        if actual > rule.max_bytes {
            return Err(SendError::AttachmentTooBig {
                kind,
                max: rule.max_bytes,
                actual,
            });
        }
    }
    if let Some(m) = mime {
        let base = m
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !rule.mime_types.is_empty() && !rule.mime_types.iter().any(|t| *t == base) {
            return Err(SendError::MimeNotAllowed {
                kind,
                mime: m.to_string(),
            });
        }
    }
    if let Some(c) = caption.filter(|c| !c.is_empty()) {
        match caps.max_caption_chars {
            None => return Err(SendError::CaptionNotSupported),
            Some(max) if chars(c) > max => {
                return Err(SendError::TooLong {
                    max,
                    actual: chars(c),
                })
            }
            _ => {}
        }
    }
    Ok(())
}

/// Shared window check for free-form content. Returns which rule allows it, so Messenger and
/// Instagram can add the `HUMAN_AGENT` tag.
pub(crate) fn check_window(
    caps: &Capabilities,
    out: &Outbound,
) -> Result<Option<WindowVia>, SendError> {
    match caps.window(out.last_inbound_ms, out.now_ms) {
        WindowStatus::Unlimited => Ok(None),
        WindowStatus::Open { via, .. } => Ok(Some(via)),
        WindowStatus::Closed(why) => Err(SendError::OutsideWindow(why)),
    }
}

/// Private-reply rule shared by Page and Instagram comments.
pub(crate) fn check_private_reply(
    caps: &Capabilities,
    created: Option<i64>,
    already: bool,
    now_ms: i64,
) -> Result<(), SendError> {
    if already {
        return Err(SendError::PrivateReplyAlreadySent);
    }
    if let (Some(within), Some(created)) = (caps.comments.private_reply_within_ms, created) {
        let deadline = created.saturating_add(within);
        if now_ms >= deadline {
            return Err(SendError::PrivateReplyExpired {
                deadline_ms: deadline,
            });
        }
    }
    Ok(())
}

pub(crate) fn unsupported(caps: &Capabilities, content: &OutboundContent) -> SendError {
    SendError::Unsupported {
        channel: caps.channel,
        action: content.action(),
    }
}
