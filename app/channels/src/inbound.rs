//! Normalised inbound events: what every webhook parser produces. The engine stores and routes
//! these without knowing a provider's JSON. Every event carries a dedupe key (providers retry
//! and duplicate, so handlers must be idempotent) and the account it reached.

use crate::capabilities::AttachmentKind;
use serde::{Deserialize, Serialize};
use switchboard_domain::conversation::Channel;

/// A provider-scoped idempotency key, e.g. `twilio:SM…`, `whatsapp:wamid…:delivered`,
/// `fb_comment:<comment_id>:add`, `telegram:<bot>:<update_id>`. Stable across retries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DedupeKey(pub String);

impl DedupeKey {
    pub fn new(provider: &str, parts: &[&str]) -> Self {
        let mut s = String::from(provider);
        for p in parts {
            s.push(':');
            s.push_str(p);
        }
        DedupeKey(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One normalised event from a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inbound {
    pub key: DedupeKey,
    pub channel: Channel,
    /// Which of our accounts it reached: Twilio number (E.164, no `whatsapp:` prefix), WhatsApp
    /// `phone_number_id`, Page id, Instagram account id, Telegram bot id. Empty only when the
    /// provider doesn't say and the caller gave no hint (see `WebhookSecrets::account`).
    pub account: String,
    pub event: InboundEvent,
}

// Events are built once per webhook item and moved straight into storage; boxing the large
// message variant would add an allocation and clumsier matching for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboundEvent {
    /// The contact wrote (a message, a comment, a button press).
    Message(ContactMessage),
    /// Delivery progress of something we sent.
    Status(StatusUpdate),
    /// Messenger/Instagram "everything up to this time" receipts without message ids.
    Watermark {
        contact: String,
        status: DeliveryStatus,
        up_to_ms: i64,
    },
    /// A comment was edited, removed, hidden or unhidden.
    CommentChanged(CommentChange),
    /// The contact unsent a direct message (Instagram `is_deleted`).
    MessageDeleted { provider_message_id: String },
    /// Our own send (or our own comment) coming back; never a contact message.
    Echo(Echo),
    /// Acknowledged on purpose and dropped; typed so it can be counted, not an error.
    Ignored(Ignored),
}

/// Who wrote: the channel identity the contact is found by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// E.164 number, WhatsApp id, PSID, IGSID, Facebook user id or Telegram chat id.
    pub address: String,
    pub display_name: Option<String>,
    /// Handle where the channel has one (Instagram username, Telegram @username).
    pub username: Option<String>,
}

/// Where an attachment's bytes can be fetched from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum MediaSource {
    /// A URL (Twilio media resource, Meta CDN link). May need the channel's auth to fetch.
    Url { url: String },
    /// A WhatsApp Cloud media id, resolved via `GET /{version}/{media_id}` (expires in 7 days).
    MediaId { id: String },
    /// A Telegram `file_id` for `getFile`; `unique_id` is stable across bots.
    TelegramFile {
        file_id: String,
        unique_id: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: AttachmentKind,
    pub mime: Option<String>,
    pub source: MediaSource,
    pub caption: Option<String>,
    pub filename: Option<String>,
    pub size: Option<u64>,
    pub sha256: Option<String>,
}

/// A shared location (WhatsApp, Twilio WhatsApp, Telegram).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// What the contact was answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum ReplyContext {
    /// A reply to one of the thread's messages (provider message id).
    Message { provider_message_id: String },
    /// An Instagram story reply; `url` stops working when the story expires (~24 h).
    Story {
        story_id: String,
        url: Option<String>,
    },
}

/// A comment on a Page or Instagram post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentRef {
    pub post_id: String,
    pub comment_id: String,
    /// The parent comment for replies; for Page comments Meta sends the post id for top-level.
    pub parent_id: Option<String>,
    /// True when this comment answers another comment (not the post).
    pub is_reply: bool,
    /// Instagram live comment (private replies only during the broadcast).
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactMessage {
    pub provider_message_id: String,
    pub from: Identity,
    pub text: Option<String>,
    pub attachments: Vec<Attachment>,
    pub location: Option<Location>,
    /// Button / quick-reply / postback payload chosen by the contact.
    pub payload: Option<String>,
    /// Provider time, unix ms.
    pub sent_at_ms: Option<i64>,
    pub reply_to: Option<ReplyContext>,
    /// Set for Page/Instagram comments: the conversation is about this post.
    pub comment: Option<CommentRef>,
}

/// One bubble in the inbox. WhatsApp shows an image and its caption as two items (seed 002),
/// so a captioned attachment becomes the attachment followed by its caption as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum DisplayItem {
    Text {
        key: DedupeKey,
        text: String,
    },
    Attachment {
        key: DedupeKey,
        attachment: Attachment,
    },
    Location {
        key: DedupeKey,
        location: Location,
    },
}

impl ContactMessage {
    /// Splits the message into display items, each with its own stable key: the first item
    /// keeps the event key, later ones get `#1`, `#2`… so re-deliveries still dedupe.
    pub fn items(&self, key: &DedupeKey) -> Vec<DisplayItem> {
        enum Part {
            Text(String),
            Att(Attachment),
            Loc(Location),
        }
        let mut parts = Vec::new();
        for a in &self.attachments {
            let mut bare = a.clone();
            let caption = bare.caption.take().filter(|c| !c.trim().is_empty());
            parts.push(Part::Att(bare));
            if let Some(c) = caption {
                parts.push(Part::Text(c));
            }
        }
        if let Some(t) = self.text.as_ref().filter(|t| !t.trim().is_empty()) {
            // Providers that put the caption in both places (Twilio has only `Body`) would
            // otherwise show it twice.
            let dup = parts.iter().any(|p| matches!(p, Part::Text(c) if c == t));
            if !dup {
                parts.push(Part::Text(t.clone()));
            }
        }
        if let Some(l) = &self.location {
            parts.push(Part::Loc(l.clone()));
        }
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let key = if i == 0 {
                    key.clone()
                } else {
                    DedupeKey(format!("{}#{}", key.0, i))
                };
                match p {
                    Part::Text(text) => DisplayItem::Text { key, text },
                    Part::Att(attachment) => DisplayItem::Attachment { key, attachment },
                    Part::Loc(location) => DisplayItem::Location { key, location },
                }
            })
            .collect()
    }

    /// Instagram story reply (the composer shows the story link next to the text).
    pub fn is_story_reply(&self) -> bool {
        matches!(self.reply_to, Some(ReplyContext::Story { .. }))
    }
}

/// Delivery state of one of our messages (the domain's, with its forward-only order).
pub use switchboard_domain::DeliveryStatus;

/// Why a send failed, typed so the engine can act (template flow, unsubscribe, alert an admin)
/// without reading English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    OutsideWindow,
    OptedOut,
    InvalidRecipient,
    Undeliverable,
    Blocked,
    TooLong,
    RateLimited,
    Auth,
    Permission,
    BadRequest,
    ChatMigrated,
    CarrierFiltered,
    Unknown,
}

/// A provider error code with its meaning in plain words for an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderError {
    /// The provider's code as text (`131047`, `21610`, Telegram's HTTP-like `403`).
    pub code: String,
    pub kind: FailureKind,
    pub reason: String,
    /// Whether trying the same send later may work (rate limits, carrier hiccups).
    pub retryable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    pub status: DeliveryStatus,
    /// The provider's own word (`undelivered`, `accepted`…), kept for audit.
    pub provider_status: String,
    /// Who it was for (E.164, wa_id, PSID…), when given.
    pub recipient: Option<String>,
    pub at_ms: Option<i64>,
    pub error: Option<ProviderError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum CommentChangeKind {
    Edited { text: Option<String> },
    Removed,
    Hidden,
    Unhidden,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentChange {
    pub comment_id: String,
    pub post_id: Option<String>,
    pub by: Option<String>,
    pub change: CommentChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Echo {
    pub provider_message_id: String,
    /// Whom it was sent to, when known.
    pub contact: Option<String>,
    /// The sending app (Messenger `app_id`): ours, or another tool/the Page inbox.
    pub app_id: Option<String>,
}

/// Things acknowledged and deliberately dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Ignored {
    /// A Meta `object` we don't handle (e.g. `user`, `permissions`).
    UnknownObject { object: String },
    /// A `changes[].field` we don't handle (e.g. `message_template_status_update`, `mentions`).
    UnknownField { field: String },
    /// A messaging event kind we don't handle (optin, referral, handover…).
    UnknownEvent { kind: String },
    /// A message type we don't turn into a message (reaction, order, system, unsupported…).
    UnsupportedMessage { kind: String },
    /// A reaction to a message (Messenger/WhatsApp).
    Reaction,
    /// Handover-protocol standby events: another app owns the thread.
    Standby,
    /// A Page `feed` change that isn't about a comment (posts, likes, shares).
    NotAComment { item: String, verb: String },
    /// A status value we don't map (Twilio `receiving`, WhatsApp `played`…).
    UnknownStatus { status: String },
    /// A Telegram update other than a new message (edits, callback queries, member changes).
    TelegramUpdate { kind: String },
    /// Sent by a bot (Telegram), never a contact.
    FromBot,
    /// A provider-level error report (WhatsApp `value.errors[]`).
    ProviderNotice { code: String, message: String },
    /// An item too malformed to use (missing ids); kept visible instead of failing the batch.
    Malformed { detail: String },
}
