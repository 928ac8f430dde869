//! Assignment: puts a waiting conversation in the queue with its timer, or offers it to the
//! agent with the most free capacity. The choice is the domain's (`rank_agents`); here the
//! chosen agent's row is locked and their load counted again inside the assigning
//! transaction, so two nodes assigning at once never exceed anyone's capacity.

use super::settings;
use crate::conversations::write::{retrying, Lock, Tx};
use crate::error::Result;
use crate::store::codec;
use crate::store::entities::{account, conversation};
use crate::store::for_update;
use crate::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use switchboard_domain::conversation::{decide, Command, Refusal};
use switchboard_domain::routing::rank_agents;
use switchboard_domain::{AgentLoad, ConversationStatus, Presence, RoutingMode};
use uuid::Uuid;

/// How many chats each agent holds now (open with them, or offered to them): two grouped
/// counts, whatever the number of conversations.
pub(crate) async fn active_counts<C: ConnectionTrait>(db: &C) -> Result<HashMap<Uuid, u32>> {
    let mut active: HashMap<Uuid, u32> = HashMap::new();
    for (status, holder) in [
        (ConversationStatus::Open, conversation::Column::AssigneeId),
        (ConversationStatus::Offered, conversation::Column::OfferedTo),
    ] {
        #[derive(sea_orm::FromQueryResult)]
        struct Held {
            agent: Option<Uuid>,
            n: i64,
        }
        let rows: Vec<Held> = conversation::Entity::find()
            .select_only()
            .column_as(holder, "agent")
            .column_as(Expr::col(conversation::Column::Id).count(), "n")
            .filter(conversation::Column::Status.eq(status.as_str()))
            .group_by(holder)
            .into_model()
            .all(db)
            .await?;
        for Held { agent, n } in rows {
            if let Some(a) = agent {
                *active.entry(a).or_default() += n.max(0) as u32;
            }
        }
    }
    Ok(active)
}

/// Every active agent as routing sees them.
pub(crate) async fn agent_loads<C: ConnectionTrait>(db: &C) -> Result<Vec<AgentLoad>> {
    let active = active_counts(db).await?;
    account::Entity::find()
        .filter(account::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            Ok(AgentLoad {
                id: a.id,
                presence: codec::presence(&a.presence)?,
                capacity: a.capacity.max(0) as u32,
                active: active.get(&a.id).copied().unwrap_or(0),
                last_assigned_at: a.last_assigned_at,
            })
        })
        .collect()
}

/// Locks an agent's row and tells whether they can take one more chat right now.
async fn has_room_locked(tx: &Tx, agent: Uuid) -> Result<bool> {
    let Some(row) = for_update(account::Entity::find_by_id(agent), tx.backend())
        .one(&tx.txn)
        .await?
    else {
        return Ok(false);
    };
    if !row.active || codec::presence(&row.presence)? != Presence::Online {
        return Ok(false);
    }
    let held = conversation::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(conversation::Column::Status.eq(ConversationStatus::Open.as_str()))
                        .add(conversation::Column::AssigneeId.eq(agent)),
                )
                .add(
                    Condition::all()
                        .add(conversation::Column::Status.eq(ConversationStatus::Offered.as_str()))
                        .add(conversation::Column::OfferedTo.eq(agent)),
                ),
        )
        .count(&tx.txn)
        .await?;
    Ok(held < row.capacity.max(0) as u64)
}

/// What routing did with one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routed {
    Offered(Uuid),
    /// In the queue (its timer running, or flagged missed).
    Queued,
    /// Time-based, offer only: nobody has room.
    NobodyFree,
    /// Not waiting any more (taken, closed) or gone: nothing to do.
    NotWaiting,
}

impl Engine {
    /// Routes one waiting conversation. With `offer_only`, a chat nobody can take now is left
    /// as it is (draining the queue); otherwise it waits in the queue with its timer.
    pub async fn route(&self, conversation_id: Uuid, offer_only: bool) -> Result<Routed> {
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let Some(state) = tx.load(conversation_id, Lock::Wait).await? else {
                return Ok(Routed::NotWaiting);
            };
            if state.status != ConversationStatus::Queued || state.lead {
                return Ok(Routed::NotWaiting);
            }
            let settings = settings::load(&tx.txn).await?;
            let mut chosen = None;
            if settings.mode == RoutingMode::TimeBased {
                let loads = agent_loads(&tx.txn).await?;
                for agent in rank_agents(&loads, &state.passed_by) {
                    if has_room_locked(&tx, agent).await? {
                        chosen = Some(agent);
                        break;
                    }
                }
            }
            let command = match chosen {
                Some(agent) => Command::Offer {
                    agent,
                    deadline: now + settings.accept_timeout_secs as i64 * 1000,
                },
                None if offer_only => return Ok(Routed::NobodyFree),
                None => Command::Enqueue {
                    deadline: now + settings.queue_timeout_secs as i64 * 1000,
                },
            };
            let decision = match decide(&state, &command, now, &mut Uuid::now_v7) {
                Ok(d) => d,
                Err(Refusal::NotWaiting) => return Ok(Routed::NotWaiting),
                Err(r) => return Err(r.into()),
            };
            if let Some(agent) = chosen {
                account::Entity::update_many()
                    .col_expr(account::Column::LastAssignedAt, Expr::value(now))
                    .filter(account::Column::Id.eq(agent))
                    .exec(&tx.txn)
                    .await?;
            }
            if !decision.events.is_empty() {
                tx.apply(&state, decision, now).await?;
            }
            let hold = self.config().test_hold_assignment;
            if chosen.is_some() && !hold.is_zero() {
                tokio::time::sleep(hold).await;
            }
            tx.commit().await?;
            Ok(chosen.map(Routed::Offered).unwrap_or(Routed::Queued))
        })
        .await
    }

    /// Time-based routing: offers waiting chats, oldest first, while agents have room
    /// (someone came Online, closed a chat, or got more capacity). Bounded per call.
    pub async fn drain_queue(&self) -> Result<usize> {
        if self.settings().await?.mode != RoutingMode::TimeBased {
            return Ok(0);
        }
        let mut offered = 0;
        for _round in 0..10 {
            let waiting: Vec<Uuid> = conversation::Entity::find()
                .select_only()
                .column(conversation::Column::Id)
                .filter(conversation::Column::Status.eq(ConversationStatus::Queued.as_str()))
                .filter(conversation::Column::Lead.eq(false))
                .order_by_asc(conversation::Column::QueuedAt)
                .order_by_asc(conversation::Column::Id)
                .limit(20)
                .into_tuple()
                .all(&self.db().read)
                .await?;
            if waiting.is_empty() {
                return Ok(offered);
            }
            for id in &waiting {
                match self.route(*id, true).await? {
                    Routed::NobodyFree => return Ok(offered),
                    Routed::Offered(_) => offered += 1,
                    Routed::Queued | Routed::NotWaiting => {}
                }
            }
            if waiting.len() < 20 {
                return Ok(offered);
            }
        }
        Ok(offered)
    }
}
