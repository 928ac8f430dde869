//! The server-owned clock of routing. Deadlines live in the conversation rows, so a timer
//! that fell due while every server was down fires at the next start. Any node may fire a
//! timer: each firing is a command that compares the deadline it saw, and rows another node
//! holds are skipped, so a timer fires once however many nodes run.

use super::settings;
use crate::conversations::write::Lock;
use crate::error::Result;
use crate::store::entities::conversation;
use crate::Engine;
use futures::stream::{self, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::time::Duration;
use switchboard_domain::conversation::Command;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const TICK: Duration = Duration::from_millis(250);
/// Time-based routing also looks for waiting chats and free agents this often, in case a
/// wake-up was missed.
const DRAIN_EVERY_TICKS: u32 = 20;
const BATCH: u64 = 100;
/// Timers fired concurrently within a tick (their commits share WAL flushes).
const FIRING_AT_ONCE: usize = 4;

impl Engine {
    /// Fires every timer due at `now`; returns how many fired.
    pub async fn fire_due_timers(&self, now: i64) -> Result<usize> {
        #[derive(sea_orm::FromQueryResult)]
        struct Due {
            id: Uuid,
            deadline: Option<i64>,
        }
        // By deadline alone, on `idx_conversations_due` (the conversations with a timer), so a
        // tick reads the due rows and no others, however long the queue. Only a waiting
        // conversation has a deadline (the domain clears it on every other move), and the
        // command re-checks both.
        let due: Vec<Due> = conversation::Entity::find()
            .select_only()
            .column(conversation::Column::Id)
            .column(conversation::Column::Deadline)
            .filter(conversation::Column::Deadline.lte(now))
            .order_by_asc(conversation::Column::Deadline)
            .limit(BATCH)
            .into_model()
            .all(&self.db().read)
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let policy = settings::load(&self.db().read).await?.missed_policy;
        // Each timer fires in a transaction of its own (its conversation's command), a few at
        // a time: on PostgreSQL every commit waits for its WAL flush (about 4 ms on this
        // machine's disk), and commits in flight together share one flush, where one after
        // the other they paid it each (ten due timers took 40 ms). Different conversations
        // only: the due rows are distinct, and each command still locks its row.
        let fired = stream::iter(due.into_iter().filter_map(|d| Some((d.id, d.deadline?))))
            .map(|(id, deadline)| async move {
                crate::metrics::timer_fired(deadline, now);
                match self
                    .execute_at(
                        id,
                        Command::TimerFired { deadline, policy },
                        Lock::SkipLocked,
                    )
                    .await
                {
                    Ok(Some(outcome)) if !outcome.events.is_empty() => 1,
                    Ok(_) => 0,
                    Err(e) => {
                        tracing::warn!(error = %e, conversation = %id, "timer failed; tried again next tick");
                        0
                    }
                }
            })
            .buffer_unordered(FIRING_AT_ONCE)
            .fold(0, |n, one| async move { n + one })
            .await;
        Ok(fired)
    }

    /// The timer worker.
    pub(crate) async fn run_timers(self, token: CancellationToken) {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks = 0u32;
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(e) = self.fire_due_timers(crate::now()).await {
                tracing::warn!(error = %e, "routing timers failed");
            }
            ticks += 1;
            if ticks.is_multiple_of(DRAIN_EVERY_TICKS) {
                if let Err(e) = self.drain_queue().await {
                    tracing::warn!(error = %e, "queue drain failed");
                }
            }
        }
    }
}
