//! Typing indicators: never stored, and shown only to the conversation's other parties (the
//! contact sees agents typing; agents see the contact and each other). One node fans out to
//! its own sockets; with several nodes, a small `NOTIFY` on its own channel reaches every node's
//! hub. An agent's typing also reaches the contact's app where the provider can show it
//! (Messenger and Instagram sender actions, Telegram's chat action), at most every few seconds.

use crate::bus::BusKind;
use crate::error::Result;
use crate::store::entities::conversation_link;
use crate::Engine;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use switchboard_channels::{Outbound, OutboundContent, TypingSupport};
use switchboard_wire::frames::Typist;
use uuid::Uuid;

/// The `NOTIFY` channel typing crosses nodes on (apart from commits: nothing is stored).
pub const TYPING_CHANNEL: &str = "switchboard_typing";
/// How often an agent's typing is repeated to a provider while it lasts (Telegram's action
/// fades after about 5 s; Messenger's after 20 s).
const PROVIDER_REFRESH: Duration = Duration::from_secs(4);
/// One call to show typing on a provider may take this long; it is never retried.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(3);

/// One typing signal between nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingNote {
    pub c: Uuid,
    pub t: Typist,
    pub on: bool,
}

/// What this node last told providers, per conversation.
#[derive(Default)]
pub(crate) struct Forwarded {
    last: HashMap<Uuid, (bool, Instant)>,
}

impl Forwarded {
    /// Whether to tell the provider now: `on` at most every [`PROVIDER_REFRESH`], `off` only
    /// after an `on` and only where the provider has a stop.
    fn admit(&mut self, conversation: Uuid, on: bool, stops: bool, now: Instant) -> bool {
        if self.last.len() > 10_000 {
            self.last
                .retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(60));
        }
        match (on, self.last.get(&conversation)) {
            (true, Some((true, at))) if now.duration_since(*at) < PROVIDER_REFRESH => false,
            (true, _) => {
                self.last.insert(conversation, (true, now));
                true
            }
            (false, Some((true, _))) => {
                self.last.remove(&conversation);
                stops
            }
            (false, _) => false,
        }
    }
}

impl Engine {
    /// Someone typing (or stopping) in a conversation, already checked to be one of its
    /// parties: fanned out to the other parties on every node.
    pub async fn typing(&self, conversation_id: Uuid, typist: Typist, on: bool) -> Result<()> {
        let agent = matches!(typist, Typist::Agent { .. });
        let note = TypingNote {
            c: conversation_id,
            t: typist,
            on,
        };
        match self.bus().kind() {
            BusKind::Local => self.hub().typing(&note),
            BusKind::Postgres => {
                // Every node hears it, this one included.
                let payload = serde_json::to_string(&note).unwrap_or_default();
                self.db()
                    .write
                    .execute(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_notify($1, $2)",
                        [TYPING_CHANNEL.into(), payload.into()],
                    ))
                    .await?;
            }
        }
        if agent {
            self.forward_typing(conversation_id, on).await?;
        }
        Ok(())
    }

    /// Shows an agent's typing in the contact's app, where the conversation runs on a
    /// provider that can. Best effort: a refusal (a closed window) or a slow provider is only
    /// logged, and the call never holds up the socket.
    async fn forward_typing(&self, conversation_id: Uuid, on: bool) -> Result<()> {
        let Some(state) = self.state(conversation_id).await? else {
            return Ok(());
        };
        let channel = state.active_channel;
        if !channel.via_provider() {
            return Ok(());
        }
        let Some(link) =
            conversation_link::Entity::find_by_id((conversation_id, channel.as_str().to_string()))
                .one(&self.db().read)
                .await?
        else {
            return Ok(());
        };
        let Some(connected) = self.channels().find(channel, &link.account) else {
            return Ok(());
        };
        let support = connected.adapter.capabilities().typing;
        if support == TypingSupport::None {
            return Ok(());
        }
        let admitted = self
            .inner_typing()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .admit(
                conversation_id,
                on,
                support == TypingSupport::StartStop,
                Instant::now(),
            );
        if !admitted {
            return Ok(());
        }
        let mut out = Outbound::new(
            channel,
            link.contact_address.clone(),
            OutboundContent::Typing { on },
            crate::now(),
        );
        out.last_inbound_ms = link.last_inbound_at;
        let request = match connected.adapter.build_request(&out, &connected.account) {
            Ok(r) => r,
            Err(refused) => {
                tracing::debug!(%refused, conversation = %conversation_id, "typing not shown");
                return Ok(());
            }
        };
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.call(&request, PROVIDER_TIMEOUT).await {
                tracing::debug!(error = %e, conversation = %conversation_id, "typing not shown");
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_hear_typing_at_most_every_few_seconds_and_stop_only_after_a_start() {
        let mut f = Forwarded::default();
        let (c, t0) = (Uuid::from_u128(1), Instant::now());
        assert!(!f.admit(c, false, true, t0), "no stop without a start");
        assert!(f.admit(c, true, true, t0));
        assert!(!f.admit(c, true, true, t0 + Duration::from_secs(1)));
        assert!(f.admit(c, true, true, t0 + PROVIDER_REFRESH));
        assert!(f.admit(c, false, true, t0 + PROVIDER_REFRESH));
        assert!(!f.admit(c, false, true, t0 + PROVIDER_REFRESH), "one stop");
        // Telegram has no stop: it fades by itself.
        assert!(f.admit(c, true, false, t0));
        assert!(!f.admit(c, false, false, t0));
        // Other conversations are their own.
        assert!(f.admit(Uuid::from_u128(2), true, true, t0));
    }
}
