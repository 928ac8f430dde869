//! The shared wire types: everything the server and the browser (widget, inbox, admin) send
//! each other. Server functions take and return these; the socket speaks `frames`.

pub mod admin;
pub mod api;
pub mod auth;
pub mod files;
pub mod frames;
pub mod inbox;
pub mod widget;

pub use api::ApiError;
pub use auth::{AgentProfile, AgentRole};
pub use frames::{ClientFrame, Role, ServerFrame};
pub use inbox::{ConversationSummary, InboxRow, Participant};
