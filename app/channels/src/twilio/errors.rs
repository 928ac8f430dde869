//! Twilio error codes (channels.md §1.6) in plain words for an agent, with what the engine
//! should do. Used for synchronous API errors and for `ErrorCode` on status callbacks.

use crate::inbound::{FailureKind, ProviderError};

/// Maps a Twilio error code. `message` is Twilio's own text, used only for unknown codes.
pub fn describe(code: &str, message: Option<&str>) -> ProviderError {
    let (kind, reason, retryable): (FailureKind, String, bool) = match code.trim() {
        "21211" => (FailureKind::InvalidRecipient, "The phone number isn't valid, so the message can't be sent.".into(), false),
        "21610" => (
            FailureKind::OptedOut,
            "The customer has opted out (replied STOP); they must text START before we can message them again.".into(),
            false,
        ),
        "21614" => (FailureKind::InvalidRecipient, "This number isn't a mobile number and can't receive text messages.".into(), false),
        "21617" => (FailureKind::TooLong, "The message is longer than 1,600 characters; shorten it.".into(), false),
        "20003" => (FailureKind::Auth, "Twilio rejected our credentials; an administrator must check the Account SID and Auth Token.".into(), false),
        "20429" => (FailureKind::RateLimited, "Twilio is busy (too many requests); the message will be retried.".into(), true),
        "63016" => (
            FailureKind::OutsideWindow,
            "The customer's 24-hour WhatsApp window has closed; send an approved template.".into(),
            false,
        ),
        "63018" => (FailureKind::RateLimited, "The WhatsApp rate limit for this sender was reached; the message will be retried.".into(), true),
        "30007" => (FailureKind::CarrierFiltered, "The carrier filtered this message (it looked like spam).".into(), false),
        "30008" => (FailureKind::Unknown, "The carrier couldn't deliver the message for an unknown reason; it may work later.".into(), true),
        other => (
            FailureKind::Unknown,
            match message.map(str::trim).filter(|m| !m.is_empty()) {
                Some(m) => format!("Twilio error {other}: {m}"),
                None => format!("Twilio error {other}."),
            },
            false,
        ),
    };
    ProviderError {
        code: code.trim().to_string(),
        kind,
        reason,
        retryable,
    }
}
