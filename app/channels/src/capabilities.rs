//! What each channel can do, as data the engine and composer read instead of knowing any
//! provider. The reply-window rule lives here too because it is the same arithmetic for every
//! channel that has one; only the numbers differ.

use serde::{Deserialize, Serialize};
use switchboard_domain::conversation::Channel;

pub const HOUR_MS: i64 = 60 * 60 * 1000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
pub const MB: u64 = 1024 * 1024;

/// Kinds of attachment, in and out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
    /// Instagram story mention: a CDN link only, the media must not be stored.
    StoryMention,
    /// A shared post/reel/link card (Messenger/Instagram `share`, `ig_post`, `ig_reel`...).
    Share,
    /// Anything the provider labels in a way we don't model; the URL is still kept.
    Other,
}

impl AttachmentKind {
    /// Guess from a MIME type, as Twilio gives no kind field.
    pub fn from_mime(mime: &str) -> Self {
        let m = mime.to_ascii_lowercase();
        if m == "image/webp" {
            AttachmentKind::Sticker
        } else if m.starts_with("image/") {
            AttachmentKind::Image
        } else if m.starts_with("video/") {
            AttachmentKind::Video
        } else if m.starts_with("audio/") {
            AttachmentKind::Audio
        } else {
            AttachmentKind::Document
        }
    }
}

/// One allowed outbound attachment kind and its size cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentRule {
    pub kind: AttachmentKind,
    pub max_bytes: u64,
    /// Accepted MIME types; empty = any type of this kind (the provider checks the rest).
    pub mime_types: Vec<&'static str>,
}

/// How a channel limits when we may write first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplyWindow {
    /// Free text allowed for this long after the contact's last inbound message.
    pub standard_ms: i64,
    /// Messenger/Instagram `HUMAN_AGENT` tag: a human may still answer up to this long after the
    /// last inbound message. `None` where the tag doesn't exist or the Page lacks the permission.
    pub human_agent_ms: Option<i64>,
    /// Outside the window an approved template may still be sent (WhatsApp).
    pub templates_outside: bool,
}

/// What a channel offers on comments (Page and Instagram).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct CommentSupport {
    pub receives_comments: bool,
    pub public_reply: bool,
    /// Private reply to a comment: allowed once per comment, within this long of its creation.
    pub private_reply_within_ms: Option<i64>,
    pub delete: bool,
}

/// Typing indicator support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TypingSupport {
    None,
    /// Start only; it expires by itself (Telegram: about 5 s, the caller repeats it).
    StartOnly,
    StartStop,
}

/// Everything the engine needs to know about a channel. Adapters hold their own copy so a
/// deployment can override a number that channels.md marks as unconfirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub channel: Channel,
    pub reply_window: Option<ReplyWindow>,
    /// Maximum text length in Unicode scalar values (what providers count).
    pub max_text_chars: usize,
    /// Maximum caption length on an attachment; `None` = captions are not sent.
    pub max_caption_chars: Option<usize>,
    pub attachments: Vec<AttachmentRule>,
    pub max_attachments_per_message: usize,
    pub comments: CommentSupport,
    pub typing: TypingSupport,
    pub templates: bool,
    /// Direct messages (text/attachments to a contact) are possible at all; false for Page
    /// comments, where the only outputs are comment actions.
    pub direct_messages: bool,
}

impl Capabilities {
    pub fn attachment_rule(&self, kind: AttachmentKind) -> Option<&AttachmentRule> {
        self.attachments.iter().find(|r| r.kind == kind)
    }

    /// Whether free text may be sent now; see [`window_status`].
    pub fn window(&self, last_inbound_ms: Option<i64>, now_ms: i64) -> WindowStatus {
        window_status(self.reply_window.as_ref(), last_inbound_ms, now_ms)
    }
}

/// Which rule makes free text possible right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowVia {
    /// Inside the standard window (WhatsApp customer-service, Messenger/Instagram standard).
    Standard,
    /// Only with the `HUMAN_AGENT` message tag (a person must be writing).
    HumanAgentTag,
}

/// Why free text can't be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum WindowClosed {
    #[error("the contact has not written to us on this channel yet")]
    NoInboundMessage,
    #[error("the reply window closed at {closed_at_ms} (unix ms)")]
    Expired {
        closed_at_ms: i64,
        templates_allowed: bool,
    },
}

/// Answer of [`window_status`], shaped for the composer: the time left or the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WindowStatus {
    /// The channel has no window (SMS, Telegram, comments).
    Unlimited,
    Open {
        closes_at_ms: i64,
        via: WindowVia,
    },
    Closed(WindowClosed),
}

impl WindowStatus {
    /// Milliseconds of free text left, `None` when unlimited or closed.
    pub fn time_left_ms(&self, now_ms: i64) -> Option<i64> {
        match self {
            WindowStatus::Open { closes_at_ms, .. } => {
                Some(closes_at_ms.saturating_sub(now_ms).max(0))
            }
            _ => None,
        }
    }

    pub fn allows_free_text(&self) -> bool {
        !matches!(self, WindowStatus::Closed(_))
    }
}

/// Given the contact's last inbound message time and now (both unix ms), says whether free
/// text may be sent, until when and under which rule, or why not. Pure: the caller supplies the
/// clock. The window is half-open: at exactly `last + 24 h` it is closed, matching Meta's
/// "within 24 hours".
pub fn window_status(
    window: Option<&ReplyWindow>,
    last_inbound_ms: Option<i64>,
    now_ms: i64,
) -> WindowStatus {
    let Some(w) = window else {
        return WindowStatus::Unlimited;
    };
    let Some(last) = last_inbound_ms else {
        return WindowStatus::Closed(WindowClosed::NoInboundMessage);
    };
    let standard_end = last.saturating_add(w.standard_ms);
    if now_ms < standard_end {
        return WindowStatus::Open {
            closes_at_ms: standard_end,
            via: WindowVia::Standard,
        };
    }
    if let Some(extended) = w.human_agent_ms {
        let end = last.saturating_add(extended);
        if now_ms < end {
            return WindowStatus::Open {
                closes_at_ms: end,
                via: WindowVia::HumanAgentTag,
            };
        }
        return WindowStatus::Closed(WindowClosed::Expired {
            closed_at_ms: end,
            templates_allowed: w.templates_outside,
        });
    }
    WindowStatus::Closed(WindowClosed::Expired {
        closed_at_ms: standard_end,
        templates_allowed: w.templates_outside,
    })
}
