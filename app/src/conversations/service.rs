//! The conversation write path. Every message is written in a transaction that bumps the
//! conversation's `last_seq` first (taking the row's write lock on PostgreSQL and the
//! database write lock on SQLite), so seqs are gap-free and assigned in commit order. A
//! retried send (same client id) returns the stored message and publishes nothing.

use crate::auth::AgentProfile;
use crate::db::entities::{
    account, channel_identity, contact, conversation, conversation_participant, conversation_pass, conversation_read, message,
};
use crate::db::{is_busy, is_unique_violation};
use crate::error::AppError;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;
use switchboard_domain::conversation::{preview_of, transition, StatusChange};
use switchboard_domain::{
    Channel, ContactDetails, ConversationStatus, ConversationSummary, DomainEvent, Message, MessageBody, Millis,
    Participant, ParticipantRole, Sender, SenderKind, Visibility,
};
use uuid::Uuid;

/// Who is writing a message.
#[derive(Debug, Clone)]
pub enum Author {
    /// The conversation's contact (name as the contact gave it).
    Contact,
    Agent(AgentProfile),
    System,
}

/// The result of a write: what was stored, and the events to publish once committed.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub events: Vec<DomainEvent>,
}

const WRITE_ATTEMPTS: usize = 5;

/// Runs a write, retrying lost races (unique violations) and SQLite busy errors.
async fn with_retries<T, F, Fut>(mut op: F) -> Result<T, AppError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match op().await {
            Err(AppError::Db(e)) if attempt < WRITE_ATTEMPTS && (is_unique_violation(&e) || is_busy(&e)) => {
                tokio::time::sleep(std::time::Duration::from_millis(10 * attempt as u64)).await;
            }
            other => return other,
        }
    }
}

fn message_of(row: message::Model) -> Message {
    Message {
        id: row.id,
        conversation_id: row.conversation_id,
        seq: row.seq as u64,
        sender: Sender {
            kind: SenderKind::parse(&row.sender_kind).unwrap_or(SenderKind::System),
            id: row.sender_id,
            name: row.sender_name,
        },
        body: row.body,
        visibility: Visibility::parse(&row.visibility).unwrap_or(Visibility::Internal),
        channel: Channel::parse(&row.channel).unwrap_or(Channel::Web),
        client_msg_id: row.client_msg_id,
        created_at: row.created_at,
    }
}

fn status_of(row: &conversation::Model) -> ConversationStatus {
    ConversationStatus::parse(&row.status).unwrap_or(ConversationStatus::Queued)
}

/// What a summary needs beyond the conversation row.
struct Related<'a> {
    contact: Option<&'a contact::Model>,
    accounts: &'a HashMap<Uuid, account::Model>,
    passed_by: Vec<Uuid>,
    participants: Vec<(Uuid, String)>,
}

fn summary_of(row: &conversation::Model, rel: Related<'_>) -> ConversationSummary {
    let name_of = |id: Option<Uuid>| id.and_then(|id| rel.accounts.get(&id)).map(|a| a.name.clone());
    let contact = rel.contact;
    ConversationSummary {
        id: row.id,
        contact_id: row.contact_id,
        contact_name: contact.map(|c| c.name.clone()).unwrap_or_else(|| "Unknown contact".into()),
        contact_email: contact.and_then(|c| c.email.clone()),
        contact_phone: contact.and_then(|c| c.phone.clone()),
        status: status_of(row),
        active_channel: Channel::parse(&row.active_channel).unwrap_or(Channel::Web),
        assignee_id: row.assignee_id,
        assignee_name: name_of(row.assignee_id),
        last_seq: row.last_seq as u64,
        preview: row.preview.clone(),
        last_sender: row.last_sender.as_deref().and_then(SenderKind::parse),
        last_message_at: row.last_message_at,
        created_at: row.created_at,
        offered_to: row.offered_to,
        offered_to_name: name_of(row.offered_to),
        deadline: row.deadline,
        missed: row.missed,
        lead: row.lead,
        queued_at: row.queued_at,
        passed_by: rel.passed_by,
        participants: rel
            .participants
            .into_iter()
            .filter_map(|(id, role)| {
                Some(Participant { id, name: name_of(Some(id))?, role: ParticipantRole::parse(&role)? })
            })
            .collect(),
        revision: row.revision.max(0) as u64,
    }
}

/// Summaries for conversation rows, with everything they mention loaded in a few queries.
async fn summaries_of<C: ConnectionTrait>(db: &C, rows: &[conversation::Model]) -> Result<Vec<ConversationSummary>, AppError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let contact_ids: Vec<Uuid> = rows.iter().map(|r| r.contact_id).collect();
    let contacts: HashMap<Uuid, contact::Model> = contact::Entity::find()
        .filter(contact::Column::Id.is_in(contact_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut passes: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for p in conversation_pass::Entity::find()
        .filter(conversation_pass::Column::ConversationId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        let list = passes.entry(p.conversation_id).or_default();
        if !list.contains(&p.account_id) {
            list.push(p.account_id);
        }
    }
    let mut participants: HashMap<Uuid, Vec<(Uuid, String)>> = HashMap::new();
    for p in conversation_participant::Entity::find()
        .filter(conversation_participant::Column::ConversationId.is_in(ids))
        .order_by_asc(conversation_participant::Column::JoinedAt)
        .all(db)
        .await?
    {
        participants.entry(p.conversation_id).or_default().push((p.account_id, p.role));
    }
    let mut account_ids: Vec<Uuid> = rows.iter().flat_map(|r| [r.assignee_id, r.offered_to]).flatten().collect();
    account_ids.extend(participants.values().flatten().map(|(id, _)| *id));
    let accounts: HashMap<Uuid, account::Model> = if account_ids.is_empty() {
        HashMap::new()
    } else {
        account::Entity::find()
            .filter(account::Column::Id.is_in(account_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    Ok(rows
        .iter()
        .map(|r| {
            summary_of(
                r,
                Related {
                    contact: contacts.get(&r.contact_id),
                    accounts: &accounts,
                    passed_by: passes.remove(&r.id).unwrap_or_default(),
                    participants: participants.remove(&r.id).unwrap_or_default(),
                },
            )
        })
        .collect())
}

pub async fn load_summary<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<ConversationSummary, AppError> {
    let row = conversation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation does not exist.".into()))?;
    Ok(summaries_of(db, std::slice::from_ref(&row)).await?.remove(0))
}

/// Which conversations a listing wants.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub statuses: Vec<ConversationStatus>,
    /// Offline leads only (`Some(true)`), live chats only (`Some(false)`), or both.
    pub lead: Option<bool>,
    pub channel: Option<Channel>,
    /// Only chats this agent works: assignee, current offer, or in the room.
    pub involving: Option<Uuid>,
    /// Leave out chats this agent declined or let lapse.
    pub not_passed_by: Option<Uuid>,
    pub limit: u64,
}

/// Inbox rows, newest activity first.
pub async fn list_summaries(db: &DatabaseConnection, q: &ListQuery) -> Result<Vec<ConversationSummary>, AppError> {
    let mut find = conversation::Entity::find()
        .filter(conversation::Column::Status.is_in(q.statuses.iter().map(|s| s.as_str())));
    if let Some(lead) = q.lead {
        find = find.filter(conversation::Column::Lead.eq(lead));
    }
    if let Some(channel) = q.channel {
        find = find.filter(conversation::Column::ActiveChannel.eq(channel.as_str()));
    }
    if let Some(agent) = q.involving {
        let rooms = sea_orm::sea_query::Query::select()
            .column(conversation_participant::Column::ConversationId)
            .from(conversation_participant::Entity)
            .and_where(conversation_participant::Column::AccountId.eq(agent))
            .to_owned();
        find = find.filter(
            Condition::any()
                .add(conversation::Column::AssigneeId.eq(agent))
                .add(conversation::Column::OfferedTo.eq(agent))
                .add(conversation::Column::Id.in_subquery(rooms)),
        );
    }
    if let Some(agent) = q.not_passed_by {
        let passed = sea_orm::sea_query::Query::select()
            .column(conversation_pass::Column::ConversationId)
            .from(conversation_pass::Entity)
            .and_where(conversation_pass::Column::AccountId.eq(agent))
            .to_owned();
        find = find.filter(conversation::Column::Id.not_in_subquery(passed));
    }
    let rows = find.order_by_desc(conversation::Column::LastMessageAt).limit(q.limit).all(db).await?;
    summaries_of(db, &rows).await
}

/// Read positions of one agent, by conversation.
pub async fn read_positions(db: &DatabaseConnection, account_id: Uuid) -> Result<HashMap<Uuid, u64>, AppError> {
    Ok(conversation_read::Entity::find()
        .filter(conversation_read::Column::AccountId.eq(account_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.conversation_id, r.read_seq as u64))
        .collect())
}

/// Records that an agent has read up to `seq` (never moves backwards).
pub async fn mark_read(db: &DatabaseConnection, conversation_id: Uuid, account_id: Uuid, seq: u64) -> Result<(), AppError> {
    let current = conversation_read::Entity::find_by_id((conversation_id, account_id)).one(db).await?;
    if current.as_ref().is_some_and(|r| r.read_seq as u64 >= seq) {
        return Ok(());
    }
    conversation_read::Entity::insert(conversation_read::ActiveModel {
        conversation_id: Set(conversation_id),
        account_id: Set(account_id),
        read_seq: Set(seq as i64),
    })
    .on_conflict(
        OnConflict::columns([conversation_read::Column::ConversationId, conversation_read::Column::AccountId])
            .update_column(conversation_read::Column::ReadSeq)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Messages after `after_seq`, in order. Contacts never get internal ones.
pub async fn messages_after<C: ConnectionTrait>(
    db: &C,
    conversation_id: Uuid,
    after_seq: u64,
    include_internal: bool,
    limit: u64,
) -> Result<Vec<Message>, AppError> {
    let mut q = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::Seq.gt(after_seq as i64));
    if !include_internal {
        q = q.filter(message::Column::Visibility.eq(Visibility::Public.as_str()));
    }
    Ok(q.order_by_asc(message::Column::Seq).limit(limit).all(db).await?.into_iter().map(message_of).collect())
}

/// How a web conversation begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// A live chat: it goes to routing.
    Chat,
    /// The offline form: stored as a lead for agents to follow up.
    Lead,
}

/// Starts a web conversation for a new visitor: contact, web identity, conversation and
/// first message in one transaction, then routing. Returns the visitor id the token is issued
/// for. A retry with the same `client_msg_id` and email returns the conversation already made.
pub async fn start_web_conversation(
    db: &DatabaseConnection,
    details: &ContactDetails,
    first: &MessageBody,
    client_msg_id: Uuid,
    start: Start,
    now: Millis,
) -> Result<Written<(Uuid, ConversationSummary, Message)>, AppError> {
    if let Some(existing) = find_started(db, details, client_msg_id).await? {
        return Ok(Written { value: existing, events: vec![] });
    }
    let visitor_id = Uuid::new_v4();
    let contact_id = Uuid::now_v7();
    let conversation_id = Uuid::now_v7();
    let txn = db.begin().await?;
    contact::ActiveModel {
        id: Set(contact_id),
        name: Set(details.name.clone()),
        email: Set(Some(details.email.clone())),
        phone: Set(details.phone.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    channel_identity::ActiveModel {
        id: Set(Uuid::now_v7()),
        contact_id: Set(contact_id),
        channel: Set(Channel::Web.as_str().into()),
        address: Set(visitor_id.to_string()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    conversation::ActiveModel {
        id: Set(conversation_id),
        contact_id: Set(contact_id),
        // A lead is closed below, once its first message is in (a contact's message reopens).
        status: Set(ConversationStatus::Queued.as_str().into()),
        active_channel: Set(Channel::Web.as_str().into()),
        assignee_id: Set(None),
        last_seq: Set(0),
        preview: Set(String::new()),
        last_sender: Set(None),
        last_message_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        offered_to: Set(None),
        deadline: Set(None),
        missed: Set(false),
        lead: Set(start == Start::Lead),
        queued_at: Set(now),
        accepted_at: Set(None),
        first_response_at: Set(None),
        revision: Set(1),
    }
    .insert(&txn)
    .await?;
    let appended = append_in_txn(&txn, conversation_id, &Author::Contact, first, Visibility::Public, Some(client_msg_id), now)
        .await?;
    if start == Start::Lead {
        conversation::Entity::update_many()
            .col_expr(conversation::Column::Revision, conversation::bump_revision())
            .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Closed.as_str()))
            .col_expr(conversation::Column::ClosedAt, Expr::value(now))
            .filter(conversation::Column::Id.eq(conversation_id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    let AppendOutcome::Stored { message, .. } = appended else {
        return Err(AppError::Internal("first message of a new conversation was a duplicate".into()));
    };
    let summary = load_summary(db, conversation_id).await?;
    let mut events = vec![
        DomainEvent::ConversationStarted { summary: summary.clone() },
        DomainEvent::MessageAppended { message: message.clone(), summary: summary.clone() },
    ];
    if start == Start::Chat {
        events.extend(crate::routing::service::route(db, conversation_id, now).await?);
    }
    Ok(Written { events, value: (visitor_id, summary, message) })
}

/// A start already stored under this client id, if the same person (email) asks again.
async fn find_started(
    db: &DatabaseConnection,
    details: &ContactDetails,
    client_msg_id: Uuid,
) -> Result<Option<(Uuid, ConversationSummary, Message)>, AppError> {
    let Some(first) = message::Entity::find()
        .filter(message::Column::ClientMsgId.eq(client_msg_id))
        .filter(message::Column::Seq.eq(1))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let summary = load_summary(db, first.conversation_id).await?;
    if summary.contact_email.as_deref() != Some(details.email.as_str()) {
        return Err(AppError::Conflict("That message id is already taken; please send again.".into()));
    }
    let identity = channel_identity::Entity::find()
        .filter(channel_identity::Column::ContactId.eq(summary.contact_id))
        .filter(channel_identity::Column::Channel.eq(Channel::Web.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::Internal("web conversation without web identity".into()))?;
    let visitor_id = Uuid::parse_str(&identity.address).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Some((visitor_id, summary, message_of(first))))
}

pub(crate) enum AppendOutcome {
    Stored { message: Message, before: ConversationStatus, after: ConversationStatus, assigned: bool },
    Duplicate(Message),
}

/// The heart of delivery: seq, dedupe, status, in the caller's transaction.
pub(crate) async fn append_in_txn<C: ConnectionTrait>(
    txn: &C,
    conversation_id: Uuid,
    author: &Author,
    body: &MessageBody,
    visibility: Visibility,
    client_msg_id: Option<Uuid>,
    now: Millis,
) -> Result<AppendOutcome, AppError> {
    // Write first: this takes the lock that serialises appends to this conversation.
    let bumped = conversation::Entity::update_many()
        .col_expr(conversation::Column::Revision, conversation::bump_revision())
        .col_expr(conversation::Column::LastSeq, Expr::col(conversation::Column::LastSeq).add(1))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(txn)
        .await?;
    if bumped.rows_affected == 0 {
        return Err(AppError::NotFound("That conversation does not exist.".into()));
    }
    if let Some(cid) = client_msg_id {
        let existing = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conversation_id))
            .filter(message::Column::ClientMsgId.eq(cid))
            .one(txn)
            .await?;
        if let Some(existing) = existing {
            return Ok(AppendOutcome::Duplicate(message_of(existing)));
        }
    }
    let conv = conversation::Entity::find_by_id(conversation_id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::NotFound("That conversation does not exist.".into()))?;
    let before = status_of(&conv);
    let change = match (author, visibility) {
        (Author::Contact, _) => Some(StatusChange::ContactWrote),
        (Author::Agent(_), Visibility::Public) => Some(StatusChange::AgentEngaged),
        _ => None,
    };
    let after = match change {
        Some(c) => transition(before, c)?,
        None => before,
    };
    let (sender, sender_name) = match author {
        Author::Contact => {
            let c = contact::Entity::find_by_id(conv.contact_id).one(txn).await?;
            (Sender { kind: SenderKind::Visitor, id: None, name: String::new() }, c.map(|c| c.name).unwrap_or_default())
        }
        Author::Agent(a) => (Sender { kind: SenderKind::Agent, id: Some(a.id), name: String::new() }, a.name.clone()),
        Author::System => (Sender { kind: SenderKind::System, id: None, name: String::new() }, "Switchboard".into()),
    };
    let seq = conv.last_seq;
    let row = message::ActiveModel {
        id: Set(Uuid::now_v7()),
        conversation_id: Set(conversation_id),
        seq: Set(seq),
        sender_kind: Set(sender.kind.as_str().into()),
        sender_id: Set(sender.id),
        sender_name: Set(sender_name),
        body: Set(body.as_str().to_string()),
        visibility: Set(visibility.as_str().into()),
        channel: Set(conv.active_channel.clone()),
        client_msg_id: Set(client_msg_id),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;

    // An agent who answers a waiting chat takes it, as if they had clicked Start chat.
    let taking = matches!(author, Author::Agent(_))
        && after == ConversationStatus::Open
        && (before != ConversationStatus::Open || conv.assignee_id.is_none());
    let first_response = matches!(author, Author::Agent(_)) && visibility.visible_to_contact() && conv.first_response_at.is_none();
    let mut update: conversation::ActiveModel = conv.clone().into();
    update.status = Set(after.as_str().into());
    update.updated_at = Set(now);
    if let (true, Author::Agent(a)) = (taking, author) {
        update.assignee_id = Set(Some(a.id));
        update.offered_to = Set(None);
        update.deadline = Set(None);
        if conv.accepted_at.is_none() {
            update.accepted_at = Set(Some(now));
        }
        crate::routing::service::join_room(txn, conversation_id, a.id, ParticipantRole::Owner, now).await?;
    }
    if first_response {
        update.first_response_at = Set(Some(now));
    }
    if before == ConversationStatus::Closed && after != ConversationStatus::Closed {
        // Back to routing from scratch, with the whole history kept.
        update.closed_at = Set(None);
        update.assignee_id = Set(None);
        update.missed = Set(false);
        update.lead = Set(false);
        update.queued_at = Set(now);
        update.accepted_at = Set(None);
        update.first_response_at = Set(None);
    }
    if visibility.visible_to_contact() {
        update.preview = Set(preview_of(body.as_str()));
        update.last_sender = Set(Some(sender.kind.as_str().into()));
        update.last_message_at = Set(now);
    }
    update.update(txn).await?;
    Ok(AppendOutcome::Stored { message: message_of(row), before, after, assigned: taking })
}

/// Appends a message, once per client id, and returns the events it caused.
pub async fn append_message(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    author: Author,
    body: MessageBody,
    visibility: Visibility,
    client_msg_id: Option<Uuid>,
    now: Millis,
) -> Result<Written<Message>, AppError> {
    with_retries(|| {
        let author = author.clone();
        let body = body.clone();
        async move {
            let txn = db.begin().await?;
            let outcome = append_in_txn(&txn, conversation_id, &author, &body, visibility, client_msg_id, now).await?;
            match outcome {
                AppendOutcome::Duplicate(message) => {
                    txn.rollback().await?;
                    Ok(Written { value: message, events: vec![] })
                }
                AppendOutcome::Stored { message, before, after, assigned } => {
                    txn.commit().await?;
                    let summary = load_summary(db, conversation_id).await?;
                    let mut events = vec![DomainEvent::MessageAppended { message: message.clone(), summary: summary.clone() }];
                    if assigned {
                        events.push(DomainEvent::ConversationAssigned { summary: summary.clone() });
                    }
                    if before == ConversationStatus::Closed && after != ConversationStatus::Closed {
                        events.push(DomainEvent::ConversationReopened { summary });
                        events.extend(crate::routing::service::route(db, conversation_id, now).await?);
                    }
                    Ok(Written { value: message, events })
                }
            }
        }
    })
    .await
}

/// Closes a conversation and tells the contact, in one transaction.
pub async fn close_conversation(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    agent: &AgentProfile,
    now: Millis,
) -> Result<Written<ConversationSummary>, AppError> {
    with_retries(|| async move {
        let txn = db.begin().await?;
        let note = MessageBody::parse(&format!("{} closed this conversation. Write again any time.", agent.name))?;
        let outcome = append_in_txn(&txn, conversation_id, &Author::System, &note, Visibility::Public, None, now).await?;
        let AppendOutcome::Stored { message, before, .. } = outcome else {
            return Err(AppError::Internal("system message deduplicated".into()));
        };
        transition(before, StatusChange::Closed)?;
        conversation::Entity::update_many()
            .col_expr(conversation::Column::Revision, conversation::bump_revision())
            .col_expr(conversation::Column::Status, Expr::value(ConversationStatus::Closed.as_str()))
            .col_expr(conversation::Column::OfferedTo, Expr::value(Option::<Uuid>::None))
            .col_expr(conversation::Column::Deadline, Expr::value(Option::<i64>::None))
            .col_expr(conversation::Column::ClosedAt, Expr::value(now))
            .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
            .filter(conversation::Column::Id.eq(conversation_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        let summary = load_summary(db, conversation_id).await?;
        Ok(Written {
            events: vec![
                DomainEvent::MessageAppended { message, summary: summary.clone() },
                DomainEvent::ConversationClosed { summary: summary.clone() },
            ],
            value: summary,
        })
    })
    .await
}

/// The contact behind a web visitor id.
pub async fn contact_of_visitor(db: &DatabaseConnection, visitor_id: Uuid) -> Result<Option<Uuid>, AppError> {
    Ok(channel_identity::Entity::find()
        .filter(channel_identity::Column::Channel.eq(Channel::Web.as_str()))
        .filter(channel_identity::Column::Address.eq(visitor_id.to_string()))
        .one(db)
        .await?
        .map(|i| i.contact_id))
}

/// The contact's most recent conversation.
pub async fn latest_conversation_of_contact(
    db: &DatabaseConnection,
    contact_id: Uuid,
) -> Result<Option<ConversationSummary>, AppError> {
    let row = conversation::Entity::find()
        .filter(conversation::Column::ContactId.eq(contact_id))
        .order_by_desc(conversation::Column::CreatedAt)
        .one(db)
        .await?;
    match row {
        Some(r) => Ok(Some(load_summary(db, r.id).await?)),
        None => Ok(None),
    }
}

/// Whether a conversation belongs to this contact (what a visitor may read and write).
pub async fn conversation_belongs_to(db: &DatabaseConnection, conversation_id: Uuid, contact_id: Uuid) -> Result<bool, DbErr> {
    Ok(conversation::Entity::find_by_id(conversation_id)
        .one(db)
        .await?
        .is_some_and(|c| c.contact_id == contact_id))
}

/// Contacts whose name, email or phone contains `query` (case-insensitive), each with their
/// latest conversation.
pub async fn search_contacts(
    db: &DatabaseConnection,
    query: &str,
    limit: u64,
) -> Result<Vec<crate::inbox::ContactHit>, AppError> {
    use sea_orm::sea_query::{Func, SimpleExpr};
    let q = query.trim().to_lowercase();
    if q.chars().count() < 2 {
        return Ok(vec![]);
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let like = |col: contact::Column| -> SimpleExpr {
        Expr::expr(Func::lower(Expr::col(col))).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
    };
    let digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut cond = Condition::any().add(like(contact::Column::Name)).add(like(contact::Column::Email));
    if digits.len() >= 3 {
        cond = cond.add(contact::Column::Phone.contains(&digits));
    }
    let contacts = contact::Entity::find().filter(cond).order_by_asc(contact::Column::Name).limit(limit).all(db).await?;
    let mut out = vec![];
    for c in contacts {
        let conversation = latest_conversation_of_contact(db, c.id).await?;
        out.push(crate::inbox::ContactHit { contact_id: c.id, name: c.name, email: c.email, phone: c.phone, conversation });
    }
    Ok(out)
}
