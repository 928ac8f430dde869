//! Switchboard's pure core: the rules of conversations, messages, contacts, routing and
//! presence.
//!
//! No I/O lives here. Time (unix milliseconds) and ids are passed in, so every rule is a
//! plain function that is unit-tested and compiles for the server and for wasm32 alike.
//! `conversation::decide` is the one place that says what a command does.

pub mod access;
pub mod canned;
pub mod contact;
pub mod conversation;
pub mod files;
pub mod inbox;
pub mod message;
pub mod presence;
pub mod reports;
pub mod routing;
pub mod settings;
pub mod thread;

pub use contact::{ContactDetails, ContactError};
pub use conversation::{Channel, ConversationStatus, DisplayStatus, ParticipantRole};
pub use inbox::{Filter, Folder, InboxView, Scope};
pub use message::{
    Altered, Attachment, ContactChange, Delivery, DeliveryStatus, Direction, MediaKind, Message,
    MessageBody, MessageError, Reader, ReplyTo, Sender, SenderKind, TemplateRef, Visibility,
};
pub use routing::{AgentLoad, MissedPolicy, Presence, RoutingMode, WaitEstimate};
pub use settings::{BotAnswer, BotSettings, RoutingSettings};
pub use thread::{Applied, PendingMessage, PendingState, Thread};

/// Milliseconds since the unix epoch; the only clock type in the core.
pub type Millis = i64;

/// At most `max_chars` of a text, with "…" when cut (what a refusal may repeat of an input).
pub fn clip(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
