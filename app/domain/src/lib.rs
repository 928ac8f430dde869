//! Switchboard's pure core: the rules of conversations, messages and contacts.
//!
//! No I/O lives here. Time (unix milliseconds) and ids are passed in, so every rule is a
//! plain function that is unit-tested and compiles for the server and for wasm32 alike.
//! The types double as the wire format shared by the server, the widget and the inbox.

pub mod contact;
pub mod conversation;
pub mod events;
pub mod message;
pub mod reports;
pub mod routing;
pub mod thread;

pub use contact::{ContactDetails, ContactError};
pub use conversation::{
    Channel, ConversationStatus, ConversationSummary, Participant, ParticipantRole, StatusChange, SummaryRevisions,
    TransitionError,
};
pub use routing::{AgentLoad, MissedPolicy, Presence, RoutingMode, WaitEstimate};
pub use events::{Audience, DomainEvent};
pub use message::{Message, MessageBody, MessageError, Sender, SenderKind, Visibility};
pub use thread::{Applied, PendingMessage, PendingState, Thread};

/// Milliseconds since the unix epoch; the only clock type in the core.
pub type Millis = i64;
