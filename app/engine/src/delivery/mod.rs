//! Delivery: this node's sockets (`hub`, with the inbox-view index in `views`), the
//! `dispatcher` that fans committed events out to them, and one socket's `session`.

pub mod access;
pub mod dispatcher;
pub mod hub;
pub mod session;
pub mod typing;
pub mod views;

pub use hub::{Hub, Listener, Push};
pub use session::{Inbound, Outbound, Peer};
