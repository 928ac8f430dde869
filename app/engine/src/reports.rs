//! ReportData queries: closed-chat KPIs and time-in-status per agent over a date range.

use crate::error::{Result, Rule};
use crate::store::codec;
use crate::store::entities::{account, conversation, conversation_pass, presence_log};
use crate::Engine;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::collections::HashMap;
use switchboard_domain::reports::{mean_secs, overlap_millis};
use switchboard_domain::{ConversationStatus, Millis, Presence};
use switchboard_wire::admin::{ChatStats, ReportData, TimeInStatus};
use uuid::Uuid;

impl Engine {
    /// Closed chats and time-in-status per agent for `[from, to)` (unix milliseconds).
    pub async fn report(&self, from: Millis, to: Millis, now: Millis) -> Result<ReportData> {
        if to <= from {
            return Err(Rule::ReportRange.into());
        }
        build(&self.db().read, from, to, now).await
    }
}

async fn build(
    db: &impl sea_orm::ConnectionTrait,
    from: Millis,
    to: Millis,
    now: Millis,
) -> Result<ReportData> {
    let closed = conversation::Entity::find()
        .filter(conversation::Column::Status.eq(ConversationStatus::Closed.as_str()))
        .filter(conversation::Column::ClosedAt.gte(from))
        .filter(conversation::Column::ClosedAt.lt(to))
        .all(db)
        .await?;
    let (leads, chats): (Vec<_>, Vec<_>) = closed
        .into_iter()
        .partition(|c| c.lead && c.accepted_at.is_none());
    let first_responses: Vec<Millis> = chats
        .iter()
        .filter_map(|c| c.first_response_at.map(|f| f - c.queued_at))
        .collect();
    let handle_times: Vec<Millis> = chats
        .iter()
        .filter_map(|c| Some(c.closed_at? - c.accepted_at?))
        .collect();

    let passes = conversation_pass::Entity::find()
        .filter(conversation_pass::Column::Reason.eq("missed"))
        .filter(conversation_pass::Column::At.gte(from))
        .filter(conversation_pass::Column::At.lt(to))
        .all(db)
        .await?;
    let mut missed_by: HashMap<Uuid, u64> = HashMap::new();
    for p in &passes {
        *missed_by.entry(p.account_id).or_default() += 1;
    }
    let queue_missed = conversation::Entity::find()
        .filter(conversation::Column::Missed.eq(true))
        .filter(conversation::Column::QueuedAt.gte(from))
        .filter(conversation::Column::QueuedAt.lt(to))
        .count(db)
        .await?;

    let log = presence_log::Entity::find()
        .filter(presence_log::Column::StartedAt.lt(to))
        .filter(
            sea_orm::Condition::any()
                .add(presence_log::Column::EndedAt.is_null())
                .add(presence_log::Column::EndedAt.gt(from)),
        )
        .all(db)
        .await?;
    let mut per_agent: HashMap<Uuid, [Millis; 3]> = HashMap::new();
    for row in log {
        let slot = match codec::parse("presence_log", "presence", &row.presence, Presence::parse)? {
            Presence::Online => 0,
            Presence::Away => 1,
            Presence::Offline => 2,
        };
        per_agent.entry(row.account_id).or_default()[slot] +=
            overlap_millis(row.started_at, row.ended_at, from, to, now);
    }
    let mut agents: Vec<TimeInStatus> = account::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| {
            let t = per_agent.get(&a.id).copied().unwrap_or_default();
            TimeInStatus {
                agent_id: a.id,
                name: a.name,
                online_secs: (t[0] / 1000) as u64,
                away_secs: (t[1] / 1000) as u64,
                offline_secs: (t[2] / 1000) as u64,
                missed: missed_by.get(&a.id).copied().unwrap_or(0),
            }
        })
        .collect();
    agents.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(ReportData {
        from,
        to,
        chats: ChatStats {
            closed: chats.len() as u64,
            avg_first_response_secs: mean_secs(&first_responses),
            avg_handle_secs: mean_secs(&handle_times),
            missed: passes.len() as u64 + queue_missed,
            leads: leads.len() as u64,
        },
        agents,
    })
}
