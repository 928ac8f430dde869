//! Presence across nodes. A node holds a lease per agent it serves sockets for and renews it
//! while they are open. When an agent's last socket on a node closes, that lease runs out
//! after a grace period (a reload is not leaving); when a node dies, its leases run out after
//! their time to live. Any node sweeps agents whose leases have all run out: they go
//! Offline, unless connected elsewhere. Each change is one transaction that locks the agent's
//! row, so a sweep and a reconnect on another node never both win.

use crate::conversations::write::{retrying, Tx};
use crate::error::{EngineError, Missing, Result};
use crate::store::entities::{account, agent_event, presence_lease, presence_log};
use crate::store::{codec, for_update};
use crate::Engine;
use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::time::Duration;
use switchboard_domain::conversation::Work;
use switchboard_domain::presence::{decide_presence, AgentPresence, PresenceCommand};
use switchboard_domain::Presence;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// An agent's presence changed (the payload of a `presence_changed` agent event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PresenceChanged {
    pub presence: Presence,
    pub auto: bool,
}

impl Tx {
    /// Applies a presence command to an agent whose row this transaction has locked.
    pub(crate) async fn presence(
        &mut self,
        row: &account::Model,
        command: PresenceCommand,
        now: i64,
    ) -> Result<Option<AgentPresence>> {
        let current = AgentPresence {
            presence: codec::presence(&row.presence)?,
            auto: row.presence_auto,
        };
        let Some(next) = decide_presence(current, command) else {
            return Ok(None);
        };
        account::Entity::update_many()
            .col_expr(
                account::Column::Presence,
                Expr::value(next.presence.as_str()),
            )
            .col_expr(account::Column::PresenceAuto, Expr::value(next.auto))
            .col_expr(account::Column::PresenceSince, Expr::value(now))
            .filter(account::Column::Id.eq(row.id))
            .exec(&self.txn)
            .await?;
        if next.presence != current.presence {
            presence_log::Entity::update_many()
                .col_expr(presence_log::Column::EndedAt, Expr::value(now))
                .filter(presence_log::Column::AccountId.eq(row.id))
                .filter(presence_log::Column::EndedAt.is_null())
                .exec(&self.txn)
                .await?;
            presence_log::Entity::insert(presence_log::ActiveModel {
                id: Set(Uuid::now_v7()),
                account_id: Set(row.id),
                presence: Set(next.presence.as_str().into()),
                started_at: Set(now),
                ended_at: Set(None),
            })
            .exec(&self.txn)
            .await?;
        }
        let payload = PresenceChanged {
            presence: next.presence,
            auto: next.auto,
        };
        agent_event::Entity::insert(agent_event::ActiveModel {
            account_id: Set(row.id),
            kind: Set("presence_changed".into()),
            payload: Set(serde_json::to_string(&payload).unwrap_or_default()),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(&self.txn)
        .await?;
        if next.presence == Presence::Online {
            // Someone can take chats now.
            self.enqueue(None, &[Work::DrainQueue], now).await?;
        }
        self.note(crate::bus::Note::Agent { a: row.id });
        tracing::info!(event = "presence_changed", agent = %row.id, presence = next.presence.as_str(), auto = next.auto);
        Ok(Some(next))
    }

    pub(crate) async fn lock_agent(&self, agent: Uuid) -> Result<account::Model> {
        for_update(account::Entity::find_by_id(agent), self.backend())
            .one(&self.txn)
            .await?
            .ok_or(EngineError::NotFound(Missing::Agent))
    }
}

impl Engine {
    /// Changes an agent's presence as the domain allows; `None` when nothing changed.
    pub async fn set_presence(
        &self,
        agent: Uuid,
        command: PresenceCommand,
    ) -> Result<Option<AgentPresence>> {
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let row = tx.lock_agent(agent).await?;
            let changed = tx.presence(&row, command, now).await?;
            if changed.is_some() {
                tx.commit().await?;
            }
            Ok(changed)
        })
        .await
    }

    /// An agent socket opened on this node: its lease counts one more, and an agent the
    /// system had set Offline is back Online.
    pub async fn agent_connected(&self, agent: Uuid) -> Result<()> {
        let ttl = self.config().presence_ttl.as_millis() as i64;
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let row = tx.lock_agent(agent).await?;
            presence_lease::Entity::insert(presence_lease::ActiveModel {
                node_id: Set(self.node_id()),
                account_id: Set(agent),
                sockets: Set(1),
                expires_at: Set(now + ttl),
            })
            .on_conflict(
                OnConflict::columns([
                    presence_lease::Column::NodeId,
                    presence_lease::Column::AccountId,
                ])
                .value(
                    presence_lease::Column::Sockets,
                    Expr::col((presence_lease::Entity, presence_lease::Column::Sockets)).add(1),
                )
                .value(presence_lease::Column::ExpiresAt, Expr::value(now + ttl))
                .to_owned(),
            )
            .exec_without_returning(&tx.txn)
            .await?;
            tx.presence(&row, PresenceCommand::Back, now).await?;
            tx.commit().await
        })
        .await
    }

    /// An agent socket closed on this node. With none left here, the lease runs out after
    /// the grace period unless a socket opens again.
    pub async fn agent_disconnected(&self, agent: Uuid) -> Result<()> {
        let grace = self.config().last_tab_grace.as_millis() as i64;
        let now = crate::now();
        let db = &self.db().write;
        presence_lease::Entity::update_many()
            .col_expr(
                presence_lease::Column::Sockets,
                Expr::col(presence_lease::Column::Sockets).sub(1),
            )
            .filter(presence_lease::Column::NodeId.eq(self.node_id()))
            .filter(presence_lease::Column::AccountId.eq(agent))
            .filter(presence_lease::Column::Sockets.gt(0))
            .exec(db)
            .await?;
        presence_lease::Entity::update_many()
            .col_expr(presence_lease::Column::ExpiresAt, Expr::value(now + grace))
            .filter(presence_lease::Column::NodeId.eq(self.node_id()))
            .filter(presence_lease::Column::AccountId.eq(agent))
            .filter(presence_lease::Column::Sockets.lte(0))
            .exec(db)
            .await?;
        Ok(())
    }

    /// Keeps this node's leases alive while it has the sockets.
    pub(crate) async fn renew_leases(&self) -> Result<()> {
        let ttl = self.config().presence_ttl.as_millis() as i64;
        presence_lease::Entity::update_many()
            .col_expr(
                presence_lease::Column::ExpiresAt,
                Expr::value(crate::now() + ttl),
            )
            .filter(presence_lease::Column::NodeId.eq(self.node_id()))
            .filter(presence_lease::Column::Sockets.gt(0))
            .exec(&self.db().write)
            .await?;
        Ok(())
    }

    /// Sets Offline every agent whose leases have all run out; returns how many.
    pub async fn sweep_presence(&self) -> Result<usize> {
        let now = crate::now();
        let stmt = Query::select()
            .column(presence_lease::Column::AccountId)
            .from(presence_lease::Entity)
            .group_by_col(presence_lease::Column::AccountId)
            .and_having(Expr::expr(Func::max(Expr::col(presence_lease::Column::ExpiresAt))).lt(now))
            .to_owned();
        let gone: Vec<Uuid> = self
            .db()
            .read
            .query_all(self.db().db_backend().build(&stmt))
            .await?
            .into_iter()
            .map(|row| row.try_get::<Uuid>("", "account_id"))
            .collect::<Result<_, _>>()?;
        let mut swept = 0;
        for agent in gone {
            let changed = retrying(|| async {
                let mut tx = Tx::begin(self).await?;
                let row = tx.lock_agent(agent).await?;
                // Connected again meanwhile (on any node)?
                let live = presence_lease::Entity::find()
                    .filter(presence_lease::Column::AccountId.eq(agent))
                    .filter(presence_lease::Column::ExpiresAt.gte(now))
                    .one(&tx.txn)
                    .await?;
                if live.is_some() {
                    return Ok(false);
                }
                presence_lease::Entity::delete_many()
                    .filter(presence_lease::Column::AccountId.eq(agent))
                    .filter(presence_lease::Column::ExpiresAt.lt(now))
                    .exec(&tx.txn)
                    .await?;
                let changed = tx
                    .presence(&row, PresenceCommand::Gone, now)
                    .await?
                    .is_some();
                tx.commit().await?;
                Ok(changed)
            })
            .await;
            match changed {
                Ok(true) => swept += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, %agent, "presence sweep failed"),
            }
        }
        Ok(swept)
    }

    /// The presence worker: renews this node's leases and sweeps expired ones.
    pub(crate) async fn run_presence(self, token: CancellationToken) {
        let renew_every = (self.config().presence_ttl / 3).max(Duration::from_millis(200));
        let mut renew = tokio::time::interval(renew_every);
        let mut sweep = tokio::time::interval(self.config().sweep_every);
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = renew.tick() => {
                    if let Err(e) = self.renew_leases().await {
                        tracing::warn!(error = %e, "renewing presence leases failed");
                    }
                }
                _ = sweep.tick() => {
                    if let Err(e) = self.sweep_presence().await {
                        tracing::warn!(error = %e, "presence sweep failed");
                    }
                }
            }
        }
    }
}
