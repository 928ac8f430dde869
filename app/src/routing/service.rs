//! The routing adapter: applies the pure decisions of `switchboard_domain::routing` to the
//! database. Every state change is a conditional update on the state it expects, so racing
//! agents and racing timers (several nodes included) change a conversation exactly once.

use super::settings::RoutingSettings;
use crate::auth::AgentProfile;
use crate::conversations::service::{append_in_txn, load_summary, AppendOutcome, Author};
use crate::db::entities::{account, conversation, conversation_participant, conversation_pass, presence_log, setting};
use crate::error::AppError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use std::collections::HashMap;
use switchboard_domain::conversation::{transition, StatusChange};
use switchboard_domain::routing::pick_agent;
use switchboard_domain::{
    AgentLoad, ConversationStatus, DomainEvent, MessageBody, Millis, MissedPolicy, ParticipantRole, Presence, RoutingMode,
    Visibility,
};
use uuid::Uuid;

const SETTINGS_KEY: &str = "routing";

pub async fn load_settings<C: ConnectionTrait>(db: &C) -> Result<RoutingSettings, AppError> {
    match setting::Entity::find_by_id(SETTINGS_KEY).one(db).await? {
        Some(row) => serde_json::from_str(&row.value).map_err(|e| AppError::Internal(format!("routing settings: {e}"))),
        None => Ok(RoutingSettings::default()),
    }
}

pub async fn save_settings(db: &DatabaseConnection, settings: &RoutingSettings) -> Result<(), AppError> {
    settings.validate().map_err(AppError::Invalid)?;
    let value = serde_json::to_string(settings).map_err(|e| AppError::Internal(e.to_string()))?;
    setting::Entity::insert(setting::ActiveModel { key: Set(SETTINGS_KEY.into()), value: Set(value) })
        .on_conflict(OnConflict::column(setting::Column::Key).update_column(setting::Column::Value).to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Seeds the demo routing settings once.
pub async fn seed_settings(db: &DatabaseConnection, settings: &RoutingSettings) -> Result<(), AppError> {
    if setting::Entity::find_by_id(SETTINGS_KEY).one(db).await?.is_none() {
        save_settings(db, settings).await?;
    }
    Ok(())
}

/// Adds an agent to a room (no-op if already there).
pub async fn join_room<C: ConnectionTrait>(
    db: &C,
    conversation_id: Uuid,
    agent: Uuid,
    role: ParticipantRole,
    now: Millis,
) -> Result<(), AppError> {
    conversation_participant::Entity::insert(conversation_participant::ActiveModel {
        conversation_id: Set(conversation_id),
        account_id: Set(agent),
        role: Set(role.as_str().into()),
        joined_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([conversation_participant::Column::ConversationId, conversation_participant::Column::AccountId])
            .update_column(conversation_participant::Column::Role)
            .to_owned(),
    )
    .exec(db)
    .await?;
    touch(db, conversation_id).await
}

/// Every active agent with presence, capacity and current load.
pub async fn agent_loads<C: ConnectionTrait>(db: &C) -> Result<Vec<(account::Model, AgentLoad)>, AppError> {
    let agents = account::Entity::find().filter(account::Column::Active.eq(true)).all(db).await?;
    let busy = conversation::Entity::find()
        .filter(conversation::Column::Status.is_in([ConversationStatus::Open.as_str(), ConversationStatus::Offered.as_str()]))
        .all(db)
        .await?;
    let mut active: HashMap<Uuid, u32> = HashMap::new();
    for c in busy {
        let holder = if c.status == ConversationStatus::Offered.as_str() { c.offered_to } else { c.assignee_id };
        if let Some(a) = holder {
            *active.entry(a).or_default() += 1;
        }
    }
    Ok(agents
        .into_iter()
        .map(|a| {
            let load = AgentLoad {
                id: a.id,
                presence: Presence::parse(&a.presence).unwrap_or(Presence::Offline),
                capacity: a.capacity.max(0) as u32,
                active: active.get(&a.id).copied().unwrap_or(0),
                last_assigned_at: a.last_assigned_at,
            };
            (a, load)
        })
        .collect())
}

async fn passes_of<C: ConnectionTrait>(db: &C, conversation_id: Uuid) -> Result<Vec<Uuid>, AppError> {
    Ok(conversation_pass::Entity::find()
        .filter(conversation_pass::Column::ConversationId.eq(conversation_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.account_id)
        .collect())
}

async fn record_pass<C: ConnectionTrait>(db: &C, conversation_id: Uuid, agent: Uuid, reason: &str, now: Millis) -> Result<(), AppError> {
    conversation_pass::Entity::insert(conversation_pass::ActiveModel {
        id: Set(Uuid::now_v7()),
        conversation_id: Set(conversation_id),
        account_id: Set(agent),
        reason: Set(reason.into()),
        at: Set(now),
    })
    .exec(db)
    .await?;
    touch(db, conversation_id).await
}

/// A change kept in another table (participants, passes) is still a change of the
/// conversation: its revision moves on.
async fn touch<C: ConnectionTrait>(db: &C, conversation_id: Uuid) -> Result<(), AppError> {
    conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Puts a queued conversation where the routing mode says: the shared queue with its timer,
/// or an offer to the best agent.
pub async fn route(db: &DatabaseConnection, conversation_id: Uuid, now: Millis) -> Result<Vec<DomainEvent>, AppError> {
    let settings = load_settings(db).await?;
    if settings.mode == RoutingMode::TimeBased {
        if let Some(events) = offer_next(db, conversation_id, &settings, now).await? {
            return Ok(events);
        }
    }
    // Broadcast, or nobody free: wait in the queue with its timer.
    let deadline = now + settings.queue_timeout_secs as i64 * 1000;
    let res = conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::Deadline, Expr::value(deadline))
        .filter(conversation::Column::Id.eq(conversation_id))
        .filter(conversation::Column::Status.eq(ConversationStatus::Queued.as_str()))
        .filter(conversation::Column::Missed.eq(false))
        .filter(conversation::Column::Deadline.is_null())
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(vec![]);
    }
    Ok(vec![DomainEvent::ConversationQueued { summary: load_summary(db, conversation_id).await? }])
}

/// Offers a queued conversation to the best free agent; `None` when nobody has room.
async fn offer_next(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    settings: &RoutingSettings,
    now: Millis,
) -> Result<Option<Vec<DomainEvent>>, AppError> {
    let loads: Vec<AgentLoad> = agent_loads(db).await?.into_iter().map(|(_, l)| l).collect();
    let passed = passes_of(db, conversation_id).await?;
    let Some(agent) = pick_agent(&loads, &passed) else { return Ok(None) };
    transition(ConversationStatus::Queued, StatusChange::Offered)?;
    let deadline = now + settings.accept_timeout_secs as i64 * 1000;
    let txn = db.begin().await?;
    let res = conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Offered.as_str()))
        .col_expr(conversation::Column::OfferedTo, Expr::value(agent))
        .col_expr(conversation::Column::Deadline, Expr::value(deadline))
        .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .filter(conversation::Column::Status.eq(ConversationStatus::Queued.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(Some(vec![]));
    }
    account::Entity::update_many()
        .col_expr(account::Column::LastAssignedAt, Expr::value(now))
        .filter(account::Column::Id.eq(agent))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some(vec![DomainEvent::ConversationOffered { summary: load_summary(db, conversation_id).await? }]))
}

/// Start chat / Accept / Put on hold: the agent takes the conversation. Of two agents
/// clicking at once, exactly one wins; the other gets `AlreadyTaken`.
pub async fn accept(db: &DatabaseConnection, conversation_id: Uuid, agent: &AgentProfile, now: Millis) -> Result<Vec<DomainEvent>, AppError> {
    let txn = db.begin().await?;
    let res = conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Open.as_str()))
        .col_expr(conversation::Column::AssigneeId, Expr::value(agent.id))
        .col_expr(conversation::Column::OfferedTo, Expr::value(Option::<Uuid>::None))
        .col_expr(conversation::Column::Deadline, Expr::value(Option::<i64>::None))
        .col_expr(conversation::Column::AcceptedAt, Expr::value(now))
        .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .filter(
            Condition::any()
                .add(conversation::Column::Status.eq(ConversationStatus::Queued.as_str()))
                .add(
                    Condition::all()
                        .add(conversation::Column::Status.eq(ConversationStatus::Offered.as_str()))
                        .add(conversation::Column::OfferedTo.eq(agent.id)),
                ),
        )
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        txn.rollback().await?;
        let current = load_summary(db, conversation_id).await?;
        return Err(match current.status {
            ConversationStatus::Open if current.assignee_id == Some(agent.id) => {
                AppError::Conflict("You already have this chat.".into())
            }
            ConversationStatus::Open => AppError::Conflict("Another agent already took this chat.".into()),
            ConversationStatus::Offered => AppError::Conflict("This chat is offered to another agent.".into()),
            ConversationStatus::Closed => AppError::Conflict("This conversation is closed.".into()),
            ConversationStatus::Queued => AppError::Conflict("This chat is not waiting for you.".into()),
        });
    }
    join_room(&txn, conversation_id, agent.id, ParticipantRole::Owner, now).await?;
    let note = MessageBody::parse(&format!("{} joined the chat.", agent.name))?;
    let appended = append_in_txn(&txn, conversation_id, &Author::System, &note, Visibility::Public, None, now).await?;
    txn.commit().await?;
    let summary = load_summary(db, conversation_id).await?;
    let mut events = vec![];
    if let AppendOutcome::Stored { message, .. } = appended {
        events.push(DomainEvent::MessageAppended { message, summary: summary.clone() });
    }
    events.push(DomainEvent::ConversationAssigned { summary });
    Ok(events)
}

/// Decline: the chat disappears for this agent and goes to someone else.
pub async fn decline(db: &DatabaseConnection, conversation_id: Uuid, agent: &AgentProfile, now: Millis) -> Result<Vec<DomainEvent>, AppError> {
    let summary = load_summary(db, conversation_id).await?;
    let offered_to_me = summary.status == ConversationStatus::Offered && summary.offered_to == Some(agent.id);
    if !(offered_to_me || summary.status == ConversationStatus::Queued) {
        return Err(AppError::Conflict("Only a waiting chat can be declined.".into()));
    }
    record_pass(db, conversation_id, agent.id, "declined", now).await?;
    // An offer goes straight to the next agent; a broadcast request just leaves this agent's queue.
    let rerouted = offered_to_me && withdraw_offer(db, conversation_id, agent.id, summary.deadline, now).await?;
    let mut events =
        vec![DomainEvent::ConversationDeclined { summary: load_summary(db, conversation_id).await?, agent: agent.id }];
    if rerouted {
        events.extend(route(db, conversation_id, now).await?);
    }
    Ok(events)
}

/// Offered → queued, only if the offer is still the one we saw.
async fn withdraw_offer(db: &DatabaseConnection, conversation_id: Uuid, agent: Uuid, deadline: Option<Millis>, now: Millis) -> Result<bool, AppError> {
    let mut q = conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Queued.as_str()))
        .col_expr(conversation::Column::OfferedTo, Expr::value(Option::<Uuid>::None))
        .col_expr(conversation::Column::Deadline, Expr::value(Option::<i64>::None))
        .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .filter(conversation::Column::Status.eq(ConversationStatus::Offered.as_str()))
        .filter(conversation::Column::OfferedTo.eq(agent));
    q = match deadline {
        Some(d) => q.filter(conversation::Column::Deadline.eq(d)),
        None => q.filter(conversation::Column::Deadline.is_null()),
    };
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Fires every timer that is due (including ones that fell due while the server was down):
/// lapsed offers are re-routed, expired queue waits are handled per the missed policy.
pub async fn fire_due_timers(db: &DatabaseConnection, now: Millis) -> Result<Vec<DomainEvent>, AppError> {
    let due = conversation::Entity::find()
        .filter(conversation::Column::Deadline.lte(now))
        .filter(conversation::Column::Status.is_in([ConversationStatus::Queued.as_str(), ConversationStatus::Offered.as_str()]))
        .order_by_asc(conversation::Column::Deadline)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(vec![]);
    }
    let settings = load_settings(db).await?;
    let mut events = vec![];
    for c in due {
        if c.status == ConversationStatus::Offered.as_str() {
            let Some(agent) = c.offered_to else { continue };
            if !withdraw_offer(db, c.id, agent, c.deadline, now).await? {
                continue; // accepted, declined or fired elsewhere in the meantime
            }
            record_pass(db, c.id, agent, "missed", now).await?;
            events.push(DomainEvent::ConversationMissed { summary: load_summary(db, c.id).await?, agent: Some(agent) });
            events.extend(route(db, c.id, now).await?);
        } else {
            events.extend(queue_timed_out(db, &c, settings.missed_policy, now).await?);
        }
    }
    Ok(events)
}

async fn queue_timed_out(
    db: &DatabaseConnection,
    c: &conversation::Model,
    policy: MissedPolicy,
    now: Millis,
) -> Result<Vec<DomainEvent>, AppError> {
    let txn = db.begin().await?;
    let mut q = conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::Missed, Expr::value(true))
        .col_expr(conversation::Column::Deadline, Expr::value(Option::<i64>::None))
        .col_expr(conversation::Column::UpdatedAt, Expr::value(now));
    if policy == MissedPolicy::OfflineLead {
        q = q
            .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Closed.as_str()))
            .col_expr(conversation::Column::Lead, Expr::value(true))
            .col_expr(conversation::Column::ClosedAt, Expr::value(now));
    }
    let res = q
        .filter(conversation::Column::Id.eq(c.id))
        .filter(conversation::Column::Status.eq(ConversationStatus::Queued.as_str()))
        .filter(conversation::Column::Deadline.eq(c.deadline))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(vec![]);
    }
    let text = match policy {
        MissedPolicy::StayQueued => "Sorry for the wait: all our agents are busy. Please stay here; we'll answer as soon as someone is free.",
        MissedPolicy::OfflineLead => "All our agents are busy right now. We have saved your message and will get back to you by email.",
    };
    let appended = append_in_txn(&txn, c.id, &Author::System, &MessageBody::parse(text)?, Visibility::Public, None, now).await?;
    txn.commit().await?;
    let summary = load_summary(db, c.id).await?;
    let mut events = vec![];
    if let AppendOutcome::Stored { message, .. } = appended {
        events.push(DomainEvent::MessageAppended { message, summary: summary.clone() });
    }
    let closed = policy == MissedPolicy::OfflineLead;
    events.push(DomainEvent::ConversationMissed { summary: summary.clone(), agent: None });
    if closed {
        events.push(DomainEvent::ConversationClosed { summary });
    }
    Ok(events)
}

/// Time-based routing: hands waiting chats, oldest first, to agents who have room now
/// (someone came Online, closed a chat, or got more capacity).
pub async fn drain_queue(db: &DatabaseConnection, now: Millis) -> Result<Vec<DomainEvent>, AppError> {
    let settings = load_settings(db).await?;
    if settings.mode != RoutingMode::TimeBased {
        return Ok(vec![]);
    }
    let waiting = conversation::Entity::find()
        .filter(conversation::Column::Status.eq(ConversationStatus::Queued.as_str()))
        .filter(conversation::Column::Lead.eq(false))
        .order_by_asc(conversation::Column::QueuedAt)
        .all(db)
        .await?;
    let mut events = vec![];
    for c in waiting {
        match offer_next(db, c.id, &settings, now).await? {
            Some(e) => events.extend(e),
            None => break,
        }
    }
    Ok(events)
}

fn online_target(row: Option<account::Model>, who: &str) -> Result<account::Model, AppError> {
    let row = row.ok_or_else(|| AppError::NotFound(format!("No such {who}.")))?;
    if !row.active || row.presence != Presence::Online.as_str() {
        return Err(AppError::Invalid(format!("{} is not online.", row.name)));
    }
    Ok(row)
}

/// Hands a chat to another Online agent, with a comment only agents see.
pub async fn transfer(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    from: &AgentProfile,
    to: Uuid,
    comment: &str,
    now: Millis,
) -> Result<Vec<DomainEvent>, AppError> {
    if to == from.id {
        return Err(AppError::Invalid("Pick another agent to transfer to.".into()));
    }
    let target = online_target(account::Entity::find_by_id(to).one(db).await?, "agent")?;
    let summary = load_summary(db, conversation_id).await?;
    if summary.status == ConversationStatus::Closed {
        return Err(AppError::Conflict("This conversation is closed.".into()));
    }
    let comment = comment.trim();
    let note = if comment.is_empty() {
        format!("{} transferred this chat to {}.", from.name, target.name)
    } else {
        format!("{} transferred this chat to {}: {}", from.name, target.name, comment)
    };
    let note = MessageBody::parse(&note)?;
    let txn = db.begin().await?;
    conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Open.as_str()))
        .col_expr(conversation::Column::AssigneeId, Expr::value(to))
        .col_expr(conversation::Column::OfferedTo, Expr::value(Option::<Uuid>::None))
        .col_expr(conversation::Column::Deadline, Expr::value(Option::<i64>::None))
        .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(&txn)
        .await?;
    conversation_participant::Entity::delete_many()
        .filter(conversation_participant::Column::ConversationId.eq(conversation_id))
        .filter(conversation_participant::Column::AccountId.eq(from.id))
        .exec(&txn)
        .await?;
    join_room(&txn, conversation_id, to, ParticipantRole::Owner, now).await?;
    // The comment is an internal message: the contact never sees it.
    let appended = append_in_txn(&txn, conversation_id, &Author::Agent(from.clone()), &note, Visibility::Internal, None, now).await?;
    txn.commit().await?;
    let summary = load_summary(db, conversation_id).await?;
    let mut events = vec![];
    if let AppendOutcome::Stored { message, .. } = appended {
        events.push(DomainEvent::MessageAppended { message, summary: summary.clone() });
    }
    events.push(DomainEvent::ConversationTransferred { summary, from: from.id, to });
    Ok(events)
}

/// Invites another Online agent into the room.
pub async fn invite(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    by: &AgentProfile,
    agent: Uuid,
    now: Millis,
) -> Result<Vec<DomainEvent>, AppError> {
    let target = online_target(account::Entity::find_by_id(agent).one(db).await?, "agent")?;
    let summary = load_summary(db, conversation_id).await?;
    if summary.status == ConversationStatus::Closed {
        return Err(AppError::Conflict("This conversation is closed.".into()));
    }
    if summary.participants.iter().any(|p| p.id == agent) || summary.assignee_id == Some(agent) {
        return Err(AppError::Conflict(format!("{} is already in this chat.", target.name)));
    }
    let note = MessageBody::parse(&format!("{} invited {} to the chat.", by.name, target.name))?;
    let txn = db.begin().await?;
    join_room(&txn, conversation_id, agent, ParticipantRole::Invited, now).await?;
    let appended = append_in_txn(&txn, conversation_id, &Author::System, &note, Visibility::Internal, None, now).await?;
    txn.commit().await?;
    let summary = load_summary(db, conversation_id).await?;
    let mut events = vec![];
    if let AppendOutcome::Stored { message, .. } = appended {
        events.push(DomainEvent::MessageAppended { message, summary: summary.clone() });
    }
    events.push(DomainEvent::ParticipantInvited { summary, agent });
    Ok(events)
}

/// Sets an agent's presence and logs it for the time-in-status report. `auto` marks a
/// change the system made (idle, last tab closed), which the agent's return undoes.
pub async fn set_presence(
    db: &DatabaseConnection,
    agent: Uuid,
    presence: Presence,
    auto: bool,
    now: Millis,
) -> Result<Option<DomainEvent>, AppError> {
    let row = account::Entity::find_by_id(agent).one(db).await?.ok_or(AppError::Unauthorized)?;
    if row.presence == presence.as_str() && row.presence_auto == auto {
        return Ok(None);
    }
    let txn = db.begin().await?;
    account::Entity::update_many()
        .col_expr(account::Column::Presence, Expr::value(presence.as_str()))
        .col_expr(account::Column::PresenceAuto, Expr::value(auto))
        .col_expr(account::Column::PresenceSince, Expr::value(now))
        .filter(account::Column::Id.eq(agent))
        .exec(&txn)
        .await?;
    if row.presence != presence.as_str() {
        presence_log::Entity::update_many()
            .col_expr(presence_log::Column::EndedAt, Expr::value(now))
            .filter(presence_log::Column::AccountId.eq(agent))
            .filter(presence_log::Column::EndedAt.is_null())
            .exec(&txn)
            .await?;
        presence_log::Entity::insert(presence_log::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(agent),
            presence: Set(presence.as_str().into()),
            started_at: Set(now),
            ended_at: Set(None),
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok((row.presence != presence.as_str()).then_some(DomainEvent::PresenceChanged { agent, presence }))
}

/// Position and an honest wait estimate for a waiting visitor.
pub async fn queue_status(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    now: Millis,
) -> Result<crate::widget::QueueInfo, AppError> {
    use switchboard_domain::routing::{queue_position, wait_estimate};
    let me = load_summary(db, conversation_id).await?;
    let waiting = matches!(me.status, ConversationStatus::Queued | ConversationStatus::Offered);
    if !waiting {
        return Ok(crate::widget::QueueInfo { status: me.status, position: None, estimate: None, missed: me.missed });
    }
    let queue: Vec<Uuid> = conversation::Entity::find()
        .filter(conversation::Column::Status.is_in([ConversationStatus::Queued.as_str(), ConversationStatus::Offered.as_str()]))
        .filter(conversation::Column::Lead.eq(false))
        .order_by_asc(conversation::Column::QueuedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let position = queue_position(&queue, conversation_id).unwrap_or(1);
    let online = agent_loads(db).await?.iter().filter(|(_, l)| l.presence == Presence::Online).count();
    // Pick-up times of the last chats taken in the past day.
    let recent: Vec<u64> = conversation::Entity::find()
        .filter(conversation::Column::AcceptedAt.gte(now - 24 * 3600 * 1000))
        .order_by_desc(conversation::Column::AcceptedAt)
        .all(db)
        .await?
        .into_iter()
        .take(20)
        .filter_map(|c| c.accepted_at.map(|a| ((a - c.queued_at).max(0) / 1000) as u64))
        .collect();
    Ok(crate::widget::QueueInfo {
        status: me.status,
        position: Some(position),
        estimate: Some(wait_estimate(position, online, &recent)),
        missed: me.missed,
    })
}

/// Every agent account with presence and load, for colleague pickers and the admin page.
pub async fn all_agents<C: ConnectionTrait>(db: &C) -> Result<Vec<crate::inbox::AgentInfo>, AppError> {
    let loads: HashMap<Uuid, AgentLoad> = agent_loads(db).await?.into_iter().map(|(a, l)| (a.id, l)).collect();
    Ok(account::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|a| crate::inbox::AgentInfo {
            id: a.id,
            role: crate::auth::AgentRole::parse(&a.role).unwrap_or(crate::auth::AgentRole::Agent),
            presence: Presence::parse(&a.presence).unwrap_or(Presence::Offline),
            capacity: a.capacity.max(0) as u32,
            active_chats: loads.get(&a.id).map(|l| l.active).unwrap_or(0),
            active: a.active,
            name: a.name,
            email: a.email,
        })
        .collect())
}
