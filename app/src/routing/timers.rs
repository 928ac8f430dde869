//! The server-owned clock of routing. Deadlines live in the database, so a timer that fell
//! due while the server was down fires once at start-up, and a timer fires once even with
//! several nodes (each firing is a conditional update).

use crate::state::AppState;
use std::time::Duration;

pub const TICK: Duration = Duration::from_millis(250);

/// One pass: fire due timers, then (time-based) offer waiting chats to agents with room.
pub async fn tick(state: &AppState) {
    let now = crate::db::now_millis();
    match super::service::fire_due_timers(&state.db, now).await {
        Ok(events) => state.hub.publish_all(events),
        Err(e) => tracing::warn!(error = %e, "routing timers failed"),
    }
    match super::service::drain_queue(&state.db, now).await {
        Ok(events) => state.hub.publish_all(events),
        Err(e) => tracing::warn!(error = %e, "routing queue drain failed"),
    }
}

pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            tick(&state).await;
        }
    });
}
