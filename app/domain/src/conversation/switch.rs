//! Chat switch: the conversation's active channel moves (web to SMS, web to WhatsApp, and back)
//! without the thread changing. One state machine for any pair the channels allow, several
//! times in one conversation:
//!
//! ```text
//!   (none) --request--> Pending --welcome sent--> Confirmed --revert within 10 s--> (none, back)
//!                          \--welcome failed--> (none, back)       \--10 s pass--> stays on `to`
//! ```
//!
//! The active channel changes at the request (so the agent's next reply goes the new way); a
//! failed welcome puts it back. The revert is offered for `REVERT_WINDOW_MS` after the provider
//! took the welcome.

use super::Channel;
use crate::Millis;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long after the welcome went out the visitor may still go back.
pub const REVERT_WINDOW_MS: Millis = 10_000;

/// A switch in progress, or the last one made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSwitch {
    pub from: Channel,
    pub to: Channel,
    /// The contact's address on `to`, as it is dialled (`+15005550006`).
    pub address: String,
    /// The message that greets the contact on `to`.
    pub welcome: Uuid,
    pub phase: SwitchPhase,
    pub requested_at: Millis,
    /// An agent reconnected an ended chat or a lead this way: a failed welcome ends it again.
    #[serde(default)]
    pub reconnect: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum SwitchPhase {
    /// The welcome is on its way.
    Pending,
    /// The provider took the welcome at `at`.
    Confirmed { at: Millis },
}

impl ChannelSwitch {
    /// Until when the visitor may go back; none while the welcome is pending.
    pub fn revert_until(&self) -> Option<Millis> {
        match self.phase {
            SwitchPhase::Confirmed { at } => Some(at + REVERT_WINDOW_MS),
            SwitchPhase::Pending => None,
        }
    }

    pub fn revertible_at(&self, now: Millis) -> bool {
        self.revert_until().is_some_and(|until| now <= until)
    }

    pub fn pending(&self) -> bool {
        self.phase == SwitchPhase::Pending
    }
}

/// Channels a live chat can move to: ones we can write to first (a text, a WhatsApp template).
pub fn switchable(from: Channel, to: Channel) -> bool {
    from != to && matches!(to, Channel::Sms | Channel::Whatsapp | Channel::Web)
}

/// "+1 500 555 0006" for "+15005550006": grouped for reading (North American numbers as
/// 3-3-4, others in threes), the digits unchanged.
pub fn readable_number(e164: &str) -> String {
    let Some(digits) = e164.strip_prefix('+') else {
        return e164.to_string();
    };
    if let Some(rest) = digits.strip_prefix('1').filter(|r| r.len() == 10) {
        return format!("+1 {} {} {}", &rest[..3], &rest[3..6], &rest[6..]);
    }
    let mut out = String::from("+");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && i % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// A number we can text, in E.164 (`+15005550006`), from what the visitor typed.
pub fn dialable(raw: &str) -> Result<String, crate::contact::ContactError> {
    use crate::contact::{parse_phone, ContactError};
    match parse_phone(raw)? {
        None => Err(ContactError::PhoneMissing),
        Some(n) if !n.starts_with('+') => Err(ContactError::PhoneNeedsCountryCode),
        Some(n) => Ok(n),
    }
}

/// The line the timeline shows for a switch.
pub fn marker(to: Channel, address: &str) -> String {
    match to {
        Channel::Web => "Continued in the web chat.".to_string(),
        _ => format!(
            "Continued by {} at {}",
            to.label(),
            readable_number(address)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_revert_window_opens_when_the_welcome_went_out_and_lasts_ten_seconds() {
        let mut s = ChannelSwitch {
            from: Channel::Web,
            to: Channel::Sms,
            address: "+15005550006".into(),
            welcome: Uuid::nil(),
            phase: SwitchPhase::Pending,
            requested_at: 1_000,
            reconnect: false,
        };
        assert!(!s.revertible_at(1_000), "not while the welcome is pending");
        s.phase = SwitchPhase::Confirmed { at: 2_000 };
        assert!(s.revertible_at(2_000));
        assert!(s.revertible_at(12_000));
        assert!(!s.revertible_at(12_001));
    }

    #[test]
    fn numbers_read_as_they_are_dialled() {
        assert_eq!(readable_number("+15005550006"), "+1 500 555 0006");
        assert_eq!(readable_number("+447700900123"), "+447 700 900 123");
        assert_eq!(
            marker(Channel::Sms, "+15005550006"),
            "Continued by SMS at +1 500 555 0006"
        );
        assert_eq!(
            marker(Channel::Whatsapp, "+15005550006"),
            "Continued by WhatsApp at +1 500 555 0006"
        );
        assert_eq!(
            dialable(" +1 (500) 555-0006 ").as_deref(),
            Ok("+15005550006")
        );
        assert_eq!(
            dialable("5005550006"),
            Err(crate::contact::ContactError::PhoneNeedsCountryCode)
        );
        assert_eq!(
            dialable(""),
            Err(crate::contact::ContactError::PhoneMissing)
        );
        assert!(dialable("+1 call me").is_err());
        assert!(switchable(Channel::Web, Channel::Sms));
        assert!(switchable(Channel::Sms, Channel::Web));
        assert!(!switchable(Channel::Web, Channel::Web));
        assert!(!switchable(Channel::Web, Channel::Messenger));
    }
}
