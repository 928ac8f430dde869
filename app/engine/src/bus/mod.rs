//! The bus wakes every node after a commit: its dispatcher reads what is new from the event
//! log and fans it out, its reactors claim new work from the outbox. A notification carries
//! ids and a revision, never data: the database is the source of truth, and a node that
//! misses a notification still finds the events on its next poll.
//!
//! - `Local`: one node. `after_commit` wakes this node's workers.
//! - `Postgres`: several nodes on one PostgreSQL. `in_txn` sends `pg_notify` inside the
//!   transaction (delivered on commit, never for a rollback); each node listens and wakes its
//!   workers; when the listener reconnects, every socket catches up from the database.

use crate::delivery::Hub;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const CHANNEL: &str = "switchboard";
/// PostgreSQL refuses payloads of 8,000 bytes or more; stay well below.
const MAX_PAYLOAD: usize = 7000;

/// What a commit tells the other nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Note {
    /// A conversation has events up to revision `r`.
    Conversation { c: Uuid, r: u64 },
    /// An agent has a new event (presence).
    Agent { a: Uuid },
    /// The outbox has new work.
    Work { w: u8 },
}

impl Note {
    pub fn work() -> Self {
        Note::Work { w: 1 }
    }
}

/// What wakes this node's workers.
#[derive(Debug, Default)]
pub struct Signals {
    /// New events to fan out.
    pub events: Notify,
    /// New work in the outbox.
    pub work: Notify,
    /// An agent event was announced since the dispatcher last looked (it reads that log
    /// only then, and on its poll).
    pub agent_events: std::sync::atomic::AtomicBool,
}

impl Signals {
    pub fn wake(&self, notes: &[Note]) {
        if notes.iter().any(|n| matches!(n, Note::Agent { .. })) {
            self.agent_events.store(true, Ordering::Release);
        }
        if notes.iter().any(|n| !matches!(n, Note::Work { .. })) {
            self.events.notify_one();
        }
        if notes.iter().any(|n| matches!(n, Note::Work { .. })) {
            self.work.notify_one();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusKind {
    Local,
    Postgres,
}

#[derive(Clone)]
pub struct Bus {
    kind: BusKind,
    signals: Arc<Signals>,
    /// Test-only: commits announce nothing, as if the process failed right after committing.
    silent: Arc<AtomicBool>,
}

impl Bus {
    pub fn new(kind: BusKind) -> Self {
        Self {
            kind,
            signals: Arc::default(),
            silent: Arc::default(),
        }
    }

    pub fn kind(&self) -> BusKind {
        self.kind
    }

    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    /// Test hook: drop every notification from now on (fan-out must still happen, from the
    /// dispatcher's poll of the event log).
    pub fn set_silent(&self, silent: bool) {
        self.silent.store(silent, Ordering::SeqCst);
    }

    /// Whether the test hook above is on.
    pub fn is_silent(&self) -> bool {
        self.silent.load(Ordering::Relaxed)
    }

    /// Inside the transaction, just before commit.
    pub async fn in_txn(&self, txn: &impl ConnectionTrait, notes: &[Note]) -> Result<(), DbErr> {
        if self.kind != BusKind::Postgres || notes.is_empty() || self.silent.load(Ordering::Relaxed)
        {
            return Ok(());
        }
        let mut payload = serde_json::to_string(notes).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD {
            // Too many to list: a plain wake-up; the log says the rest.
            let mut wake = vec![Note::work()];
            wake.extend(
                notes
                    .iter()
                    .find(|n| !matches!(n, Note::Work { .. }))
                    .copied(),
            );
            payload = serde_json::to_string(&wake).unwrap_or_default();
        }
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
        Ok(())
    }

    /// After commit: this node need not wait for the notification's round trip.
    pub fn after_commit(&self, notes: &[Note]) {
        if !self.silent.load(Ordering::Relaxed) {
            self.signals.wake(notes);
        }
    }

    /// PostgreSQL: listens for other nodes' commits until cancelled. On a lost connection,
    /// every socket of this node catches up from the database once it is back.
    pub async fn listen(self, pool: sea_orm::sqlx::PgPool, hub: Hub, token: CancellationToken) {
        use sea_orm::sqlx::postgres::PgListener;
        let mut listener = loop {
            match PgListener::connect_with(&pool).await {
                Ok(mut l) => match l
                    .listen_all([
                        CHANNEL,
                        crate::delivery::typing::TYPING_CHANNEL,
                        crate::delivery::access::ACCESS_CHANNEL,
                    ])
                    .await
                {
                    Ok(()) => break l,
                    Err(e) => tracing::warn!(error = %e, "bus: LISTEN failed"),
                },
                Err(e) => tracing::warn!(error = %e, "bus: cannot connect the listener"),
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        };
        let mut lost = false;
        loop {
            let next = tokio::select! {
                _ = token.cancelled() => return,
                n = listener.try_recv() => n,
            };
            match next {
                Ok(Some(n)) => {
                    if lost {
                        lost = false;
                        tracing::info!(
                            "bus: listener reconnected; sockets catch up from the database"
                        );
                        hub.resync_all();
                        self.signals
                            .wake(&[Note::work(), Note::Agent { a: Uuid::nil() }]);
                    }
                    if n.channel() == crate::delivery::access::ACCESS_CHANNEL {
                        if let Ok(agent) = Uuid::parse_str(n.payload()) {
                            hub.recheck_agent(agent);
                        }
                        continue;
                    }
                    if n.channel() == crate::delivery::typing::TYPING_CHANNEL {
                        if let Ok(note) = serde_json::from_str(n.payload()) {
                            hub.typing(&note);
                        }
                        continue;
                    }
                    match serde_json::from_str::<Vec<Note>>(n.payload()) {
                        Ok(notes) => self.signals.wake(&notes),
                        Err(_) => self
                            .signals
                            .wake(&[Note::work(), Note::Agent { a: Uuid::nil() }]),
                    }
                }
                Ok(None) => {
                    // The connection dropped; the next try_recv reconnects and listens again.
                    tracing::warn!("bus: listener connection lost; reconnecting");
                    lost = true;
                    hub.resync_all();
                }
                Err(e) => {
                    tracing::warn!(error = %e, "bus: listener error");
                    lost = true;
                    tokio::select! {
                        _ = token.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_small_json() {
        let notes = [
            Note::Conversation {
                c: Uuid::nil(),
                r: 7,
            },
            Note::work(),
        ];
        let json = serde_json::to_string(&notes).unwrap();
        assert_eq!(
            json,
            r#"[{"c":"00000000-0000-0000-0000-000000000000","r":7},{"w":1}]"#
        );
        assert_eq!(serde_json::from_str::<Vec<Note>>(&json).unwrap(), notes);
    }

    #[tokio::test]
    async fn a_commit_wakes_the_right_workers_and_a_wake_is_never_lost() {
        let bus = Bus::new(BusKind::Local);
        bus.after_commit(&[Note::Conversation {
            c: Uuid::nil(),
            r: 1,
        }]);
        // Woken before anyone waited: the permit is kept.
        tokio::time::timeout(Duration::from_secs(1), bus.signals().events.notified())
            .await
            .unwrap();
        bus.after_commit(&[Note::work()]);
        tokio::time::timeout(Duration::from_secs(1), bus.signals().work.notified())
            .await
            .unwrap();
        bus.set_silent(true);
        bus.after_commit(&[Note::work()]);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), bus.signals().work.notified())
                .await
                .is_err()
        );
    }
}
