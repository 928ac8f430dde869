//! Routing: broadcast queue or capacity-based offers with timers, accept / hold / decline,
//! transfer and invite, presence; the timer loop; and the server functions for all of it.
//! The decisions themselves are pure functions in `switchboard_domain::routing`.

pub mod settings;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod timers;

pub use settings::{BotAnswer, BotSettings, RoutingSettings};
