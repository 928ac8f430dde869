//! The in-process fan-out of domain events to websocket sessions.
//!
//! Events are published after their transaction commits. A subscriber that falls behind is
//! told so (`Lagged`) and re-reads from the database, which stays the source of truth; the
//! hub never needs to hold history.

use std::sync::Arc;
use switchboard_domain::DomainEvent;
use tokio::sync::broadcast;

const CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<DomainEvent>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        Self { tx }
    }

    pub fn publish(&self, event: DomainEvent) {
        match (&event, event.summary()) {
            (DomainEvent::PresenceChanged { agent, presence }, _) => {
                tracing::info!(event = event.name(), %agent, presence = presence.as_str());
            }
            (_, Some(s)) => tracing::info!(
                event = event.name(), conversation = %s.id, status = s.status.as_str(),
                offered_to = ?s.offered_to, assignee = ?s.assignee_id
            ),
            (_, None) => tracing::info!(event = event.name()),
        }
        // No receivers is fine: nobody is connected.
        let _ = self.tx.send(Arc::new(event));
    }

    pub fn publish_all(&self, events: impl IntoIterator<Item = DomainEvent>) {
        for e in events {
            self.publish(e);
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DomainEvent>> {
        self.tx.subscribe()
    }

    pub fn receiver_count(&self) -> usize {
        self.tx.receiver_count()
    }
}
