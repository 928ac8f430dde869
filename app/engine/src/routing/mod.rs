//! Routing: where waiting chats go (`assign`: queue or capacity-based offers, draining the
//! queue), the timers (`timers`), working together (`collaborate`: transfer, invite),
//! presence across nodes (`presence`), the waiting visitor's place (`queue`) and the
//! settings (`settings`). The decisions are pure functions in `switchboard_domain`.

pub mod assign;
pub mod collaborate;
pub mod presence;
pub mod queue;
pub mod settings;
pub mod timers;

pub use assign::Routed;
