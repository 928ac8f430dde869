//! The write path. Every change is one transaction: the domain decides, then the new state
//! (compare-and-set on the revision), the new messages, the events and the follow-up work are
//! written together, and the bus is told inside the same transaction. Only the transaction is
//! ever retried; nothing runs after a commit that must happen.

use crate::bus::Note;
use crate::delivery::dispatcher::Logged;
use crate::error::{EngineError, Result};
use crate::store::entities::{
    conversation, conversation_event, conversation_participant, conversation_pass, message, outbox,
};
use crate::store::prebuilt::{self, RowLock};
use crate::store::{codec, is_unique_violation, Backend, TxConn};
use crate::Engine;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;
use switchboard_domain::conversation::{
    decide, evolve, Command, ConversationState, Decision, Event, Started, Work,
};
use switchboard_domain::{Message, Millis};
use uuid::Uuid;

const ATTEMPTS: u32 = 6;

/// Runs a transaction again while it failed without committing (busy, lost a race).
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut n = 0;
    loop {
        n += 1;
        match attempt().await {
            Err(e) if e.is_transient() && n < ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis(2 * n as u64)).await;
            }
            other => return other,
        }
    }
}

/// How to take a conversation's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Wait for whoever holds it (requests).
    Wait,
    /// Skip it if another transaction holds it (workers: another node is on it).
    SkipLocked,
}

/// SQLite: the state of each conversation as the one writer last left it, so a command need
/// not read its conversation back. A state enters when its transaction's work joins the
/// writer's transaction, while it still holds the writer, so the next transaction finds what
/// the database would show it; a transaction that rolls back never put anything in. A group
/// commit that fails undoes everything since the last good one: then the writer's count of
/// such failures changes and every state is forgotten. PostgreSQL (several nodes) reads.
#[derive(Default)]
pub(crate) struct States {
    rollbacks: u64,
    map: HashMap<Uuid, ConversationState>,
}

/// States remembered at most (about half a KiB each); beyond, the map starts over.
const STATES_MAX: usize = 10_000;

impl States {
    fn current(&mut self, rollbacks: u64) -> &mut HashMap<Uuid, ConversationState> {
        if self.rollbacks != rollbacks {
            self.map.clear();
            self.rollbacks = rollbacks;
        }
        &mut self.map
    }

    fn get(&mut self, id: Uuid, rollbacks: u64) -> Option<ConversationState> {
        self.current(rollbacks).get(&id).cloned()
    }

    fn put(&mut self, states: Vec<ConversationState>, rollbacks: u64) {
        let map = self.current(rollbacks);
        if map.len() + states.len() > STATES_MAX {
            map.clear();
        }
        for s in states {
            map.insert(s.id, s);
        }
    }
}

/// One write transaction and what it will announce on commit.
pub(crate) struct Tx {
    pub txn: TxConn,
    backend: Backend,
    /// States this transaction wrote (the last one per conversation counts), for `States`.
    wrote: Vec<ConversationState>,
    /// The engine, for `States` (SQLite).
    engine: Engine,
    notes: Vec<Note>,
    /// Committed events, for the log line after commit.
    written: Vec<(Uuid, u64, &'static str)>,
    /// The messages written, for the metrics after commit.
    stored: Vec<(switchboard_domain::Channel, switchboard_domain::SenderKind)>,
    /// SQLite: the log rows as written (ids included, decoded), handed to this node's
    /// dispatcher after commit so it need not read them back.
    logged: Vec<Logged>,
}

/// A job for the outbox; `key` makes a pending job unique.
pub(crate) struct Job {
    pub kind: &'static str,
    pub conversation: Option<Uuid>,
    pub message: Option<Uuid>,
    pub key: String,
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub state: ConversationState,
    pub events: Vec<Event>,
}

impl Outcome {
    /// The messages the command appended.
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.events.iter().filter_map(|e| match e {
            Event::MessageAppended { message } => Some(message),
            _ => None,
        })
    }
}

impl Tx {
    pub async fn begin(engine: &Engine) -> Result<Tx> {
        Ok(Tx {
            txn: engine.db().write.begin().await?,
            backend: engine.db().backend,
            wrote: vec![],
            engine: engine.clone(),
            notes: vec![],
            written: vec![],
            stored: vec![],
            logged: vec![],
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn note(&mut self, note: Note) {
        self.notes.push(note);
    }

    /// The conversation's state, its row locked for this transaction (PostgreSQL; SQLite has
    /// one writer at a time anyway). `None`: no such conversation, or skipped as locked.
    pub async fn load(&self, id: Uuid, lock: Lock) -> Result<Option<ConversationState>> {
        if let Some(rollbacks) = self.txn.writer_rollbacks() {
            if let Some(mine) = self.wrote.iter().rev().find(|s| s.id == id) {
                return Ok(Some(mine.clone()));
            }
            let known = self
                .engine
                .states()
                .lock()
                .map_err(|_| EngineError::Internal("state cache lock".into()))?
                .get(id, rollbacks);
            if known.is_some() {
                return Ok(known);
            }
        }
        let lock = match lock {
            Lock::Wait => RowLock::Wait,
            Lock::SkipLocked => RowLock::SkipLocked,
        };
        let row = prebuilt::find::<conversation::Entity, _>(
            &self.txn,
            self.backend,
            conversation::Column::Id,
            id.into(),
            lock,
        )
        .await?;
        row.as_ref().map(codec::state_of).transpose()
    }

    /// Writes a decision: messages, the new state (only if nobody changed it meanwhile), the
    /// room's mirror tables, the events and the work. Returns the new state.
    pub async fn apply(
        &mut self,
        before: &ConversationState,
        decision: Decision,
        now: Millis,
    ) -> Result<Outcome> {
        if decision.events.is_empty() {
            return Ok(Outcome {
                state: before.clone(),
                events: vec![],
            });
        }
        let (after, rows, messages) = record(before.clone(), &decision.events, now);
        if !messages.is_empty() {
            if let Err(e) = prebuilt::insert(&self.txn, self.backend, &messages).await {
                return Err(duplicate_or(e, &decision.events));
            }
        }
        let keys = [
            (conversation::Column::Id, after.id.into()),
            (
                conversation::Column::Revision,
                (before.revision as i64).into(),
            ),
        ];
        let changed = prebuilt::update(
            &self.txn,
            self.backend,
            &codec::changes_of(before, &after),
            &keys,
        )
        .await?;
        if changed != 1 {
            return Err(EngineError::Contended);
        }
        self.mirror_room(before, &after, &decision.events, now)
            .await?;
        self.mirror_deliveries(&decision.events).await?;
        self.log(rows).await?;
        self.enqueue(Some(after.id), &decision.work, now).await?;
        for (i, e) in decision.events.iter().enumerate() {
            self.written
                .push((after.id, before.revision + 1 + i as u64, e.name()));
        }
        self.count_messages(&decision.events);
        self.notes.push(Note::Conversation {
            c: after.id,
            r: after.revision,
        });
        if self.backend == Backend::Sqlite {
            self.wrote.push(after.clone());
        }
        Ok(Outcome {
            state: after,
            events: decision.events,
        })
    }

    /// Inserts a conversation that `start` began.
    pub async fn insert_started(&mut self, started: &Started, now: Millis) -> Result<()> {
        // Replayed from revision 0, to record each event's placement.
        let blank = ConversationState {
            revision: 0,
            ..started.state.clone()
        };
        let (_, rows, messages) = record(blank, &started.events, now);
        prebuilt::insert(&self.txn, self.backend, &[codec::row_of(&started.state)]).await?;
        if !messages.is_empty() {
            prebuilt::insert(&self.txn, self.backend, &messages).await?;
        }
        self.log(rows).await?;
        self.enqueue(Some(started.state.id), &started.work, now)
            .await?;
        for (i, e) in started.events.iter().enumerate() {
            self.written
                .push((started.state.id, 1 + i as u64, e.name()));
        }
        self.count_messages(&started.events);
        self.notes.push(Note::Conversation {
            c: started.state.id,
            r: started.state.revision,
        });
        if self.backend == Backend::Sqlite {
            self.wrote.push(started.state.clone());
        }
        Ok(())
    }

    fn count_messages(&mut self, events: &[Event]) {
        self.stored.extend(events.iter().filter_map(|e| match e {
            Event::MessageAppended { message } => Some((message.channel, message.sender.kind)),
            _ => None,
        }));
    }

    /// Appends events to the conversation log.
    async fn log(&mut self, rows: Vec<(conversation_event::Model, Logged)>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let n = rows.len() as i64;
        let active: Vec<conversation_event::ActiveModel> =
            rows.iter().map(|(row, _)| active_row(row)).collect();
        let inserted = prebuilt::insert(&self.txn, self.backend, &active).await?;
        if self.backend == Backend::Sqlite {
            // One statement on the one writer: its rows have consecutive ids, ending at the last.
            let first = inserted.last_insert_id() as i64 - n + 1;
            self.logged.extend(
                rows.into_iter()
                    .zip(first..)
                    .map(|((_, logged), id)| Logged { id, ..logged }),
            );
        }
        Ok(())
    }

    /// Keeps each message row's delivery state in step with its `DeliveryUpdated` events.
    async fn mirror_deliveries(&self, events: &[Event]) -> Result<()> {
        for e in events {
            // A comment deleted from its post.
            if let Event::CommentRemoved { message_id } = e {
                message::Entity::update_many()
                    .col_expr(message::Column::Removed, Expr::value(true))
                    .filter(message::Column::Id.eq(*message_id))
                    .exec(&self.txn)
                    .await?;
            }
            // A contact's edit, deletion or hiding: the row reads as the thread now shows it.
            // A contact's edit, deletion or hiding: the row reads as the domain says the
            // message reads now.
            if let Event::ContactChanged {
                message_id, change, ..
            } = e
            {
                let Some(row) = message::Entity::find_by_id(*message_id)
                    .one(&self.txn)
                    .await?
                else {
                    continue;
                };
                let withdrawn = matches!(change, switchboard_domain::ContactChange::Withdrawn);
                let mut m = codec::message_of(row)?;
                m.alter(change);
                let mut update = message::Entity::update_many()
                    .col_expr(message::Column::Body, Expr::value(m.body))
                    .col_expr(
                        message::Column::Altered,
                        Expr::value(m.altered.map(|a| a.as_str())),
                    );
                if withdrawn {
                    // Nothing is left to fetch either.
                    update = update
                        .col_expr(message::Column::Attachment, Expr::value(None::<String>))
                        .col_expr(message::Column::MediaSource, Expr::value(None::<String>));
                }
                update
                    .filter(message::Column::Id.eq(*message_id))
                    .exec(&self.txn)
                    .await?;
            }
            if let Event::DeliveryUpdated {
                message_id,
                delivery,
            } = e
            {
                message::Entity::update_many()
                    .col_expr(
                        message::Column::DeliveryStatus,
                        Expr::value(delivery.status.as_str()),
                    )
                    .col_expr(
                        message::Column::DeliveryReason,
                        Expr::value(delivery.reason.clone()),
                    )
                    .filter(message::Column::Id.eq(*message_id))
                    .exec(&self.txn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Keeps `conversation_participants` and `conversation_passes` (what queries filter on)
    /// in step with the state.
    async fn mirror_room(
        &self,
        before: &ConversationState,
        after: &ConversationState,
        events: &[Event],
        now: Millis,
    ) -> Result<()> {
        let id = after.id;
        for gone in before
            .members
            .iter()
            .filter(|m| !after.members.iter().any(|n| n.agent == m.agent))
        {
            conversation_participant::Entity::delete_many()
                .filter(conversation_participant::Column::ConversationId.eq(id))
                .filter(conversation_participant::Column::AccountId.eq(gone.agent))
                .exec(&self.txn)
                .await?;
        }
        for m in after.members.iter().filter(|m| !before.members.contains(m)) {
            conversation_participant::Entity::insert(conversation_participant::ActiveModel {
                conversation_id: Set(id),
                account_id: Set(m.agent),
                role: Set(m.role.as_str().into()),
                joined_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([
                    conversation_participant::Column::ConversationId,
                    conversation_participant::Column::AccountId,
                ])
                .update_column(conversation_participant::Column::Role)
                .to_owned(),
            )
            .exec(&self.txn)
            .await?;
        }
        if events.iter().any(|e| matches!(e, Event::Reopened)) {
            conversation_pass::Entity::update_many()
                .col_expr(conversation_pass::Column::Active, Expr::value(false))
                .filter(conversation_pass::Column::ConversationId.eq(id))
                .exec(&self.txn)
                .await?;
        }
        for e in events {
            let (agent, reason) = match e {
                Event::Declined { agent, .. } => (*agent, "declined"),
                Event::OfferLapsed { agent } => (*agent, "missed"),
                _ => continue,
            };
            conversation_pass::Entity::insert(conversation_pass::ActiveModel {
                id: Set(Uuid::now_v7()),
                conversation_id: Set(id),
                account_id: Set(agent),
                reason: Set(reason.into()),
                at: Set(now),
                active: Set(true),
            })
            .exec(&self.txn)
            .await?;
        }
        Ok(())
    }

    /// Writes follow-up work to the outbox (once per job: a pending one is not doubled).
    pub async fn enqueue(
        &mut self,
        conversation: Option<Uuid>,
        work: &[Work],
        now: Millis,
    ) -> Result<()> {
        for w in work {
            let job = match (w, conversation) {
                (Work::Route, Some(id)) => Job {
                    kind: "route",
                    conversation: Some(id),
                    message: None,
                    key: format!("route:{id}"),
                },
                (Work::Route, None) => {
                    return Err(EngineError::Internal(
                        "routing work without a conversation".into(),
                    ))
                }
                (Work::DrainQueue, _) => Job {
                    kind: "drain_queue",
                    conversation: None,
                    message: None,
                    key: "drain_queue".into(),
                },
                (Work::RemoveComment { message_id }, conversation) => Job {
                    kind: "remove_comment",
                    conversation,
                    message: Some(*message_id),
                    key: format!("remove_comment:{message_id}"),
                },
                (Work::Deliver { message_id }, conversation) => Job {
                    kind: "deliver",
                    conversation,
                    message: Some(*message_id),
                    key: format!("deliver:{message_id}"),
                },
            };
            self.enqueue_job(job, now).await?;
        }
        Ok(())
    }

    /// Writes one job to the outbox, unless the same job is pending already.
    pub async fn enqueue_job(&mut self, job: Job, now: Millis) -> Result<()> {
        outbox::Entity::insert(outbox::ActiveModel {
            kind: Set(job.kind.into()),
            conversation_id: Set(job.conversation),
            dedupe_key: Set(Some(job.key)),
            due_at: Set(now),
            attempts: Set(0),
            last_error: Set(None),
            created_at: Set(now),
            message_id: Set(job.message),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(outbox::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .do_nothing()
        .exec(&self.txn)
        .await?;
        if !self.notes.iter().any(|n| *n == Note::work()) {
            self.notes.push(Note::work());
        }
        Ok(())
    }

    /// Commits, announcing the changes: inside the transaction for other nodes, after it for
    /// this one. A failed commit is never retried (it may have happened).
    pub async fn commit(self) -> Result<()> {
        let engine = self.engine;
        let bus = engine.bus();
        bus.in_txn(&self.txn, &self.notes).await?;
        let rollbacks = self.txn.writer_rollbacks();
        let (wrote, states) = (self.wrote, engine.states());
        let released = move || {
            if let (Some(rollbacks), Ok(mut states)) = (rollbacks, states.lock()) {
                states.put(wrote, rollbacks);
            }
        };
        self.txn
            .commit_then(released)
            .await
            .map_err(|e| EngineError::Internal(format!("commit failed: {e}")))?;
        for (id, revision, kind) in &self.written {
            tracing::info!(event = kind, conversation = %id, revision, "committed");
            crate::metrics::event_committed(kind);
        }
        for (channel, sender) in self.stored {
            crate::metrics::message_stored(channel, sender);
        }
        engine.hand_over(self.logged);
        bus.after_commit(&self.notes);
        Ok(())
    }
}

/// Applies events to a state, giving the new state, one log row per event (with where each
/// left the conversation, and where it moved it from; stored, and as the dispatcher takes it)
/// and the rows of the new messages.
pub(crate) fn record(
    mut state: ConversationState,
    events: &[Event],
    now: Millis,
) -> (
    ConversationState,
    Vec<(conversation_event::Model, Logged)>,
    Vec<message::ActiveModel>,
) {
    let mut rows = Vec::with_capacity(events.len());
    let mut messages = vec![];
    for event in events {
        let placed_before = state.placement();
        evolve(&mut state, event, now);
        let placed = state.placement();
        let moved_from = (placed_before != placed).then_some(placed_before);
        let row = event_row(
            state.id,
            state.revision,
            event,
            &placed,
            moved_from.as_ref(),
            now,
        );
        let logged = Logged {
            id: 0,
            tx: 0,
            conversation_id: state.id,
            event: event.clone(),
            placement: placed,
            moved_from,
        };
        rows.push((row, logged));
        if let Event::MessageAppended { message } = event {
            messages.push(codec::message_row(message));
        }
    }
    (state, rows, messages)
}

fn event_row(
    conversation_id: Uuid,
    revision: u64,
    event: &Event,
    placement: &switchboard_domain::conversation::Placement,
    moved_from: Option<&switchboard_domain::conversation::Placement>,
    now: Millis,
) -> conversation_event::Model {
    conversation_event::Model {
        // Given by the database.
        id: 0,
        conversation_id,
        revision: revision as i64,
        kind: event.name().into(),
        payload: codec::event_payload(event),
        placement: serde_json::to_string(placement).unwrap_or_default(),
        moved_from: moved_from.map(|p| serde_json::to_string(p).unwrap_or_default()),
        created_at: now,
        // Set by the database on PostgreSQL (the writing transaction), 0 on SQLite.
        tx: 0,
    }
}

/// The row to insert: the database gives the id, and on PostgreSQL the transaction's id.
pub(crate) fn active_row(row: &conversation_event::Model) -> conversation_event::ActiveModel {
    conversation_event::ActiveModel {
        id: NotSet,
        tx: NotSet,
        ..row.clone().into()
    }
}

/// A message insert that hit the client-id index is a retried send, not a failure.
fn duplicate_or(e: sea_orm::DbErr, events: &[Event]) -> EngineError {
    if is_unique_violation(&e) && e.to_string().contains("client_msg_id") {
        let client_msg_id = events.iter().find_map(|ev| match ev {
            Event::MessageAppended { message } => message.client_msg_id,
            _ => None,
        });
        if let Some(client_msg_id) = client_msg_id {
            return EngineError::DuplicateMessage(client_msg_id);
        }
    }
    if is_unique_violation(&e) {
        // Someone took this seq first: the state we decided on is stale.
        return EngineError::Contended;
    }
    EngineError::Db(e)
}

/// A message the command appended, or the one stored earlier under the same client id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    New(Message),
    Duplicate(Message),
}

impl Appended {
    pub fn message(&self) -> &Message {
        match self {
            Appended::New(m) | Appended::Duplicate(m) => m,
        }
    }
}

impl Engine {
    /// Runs a command on a conversation in one transaction and returns what it did.
    pub async fn execute(&self, conversation_id: Uuid, command: Command) -> Result<Outcome> {
        self.execute_at(conversation_id, command, Lock::Wait)
            .await
            .and_then(|o| o.ok_or(EngineError::NotFound(crate::Missing::Conversation)))
    }

    /// As `execute`; `None` when the row was skipped as locked (workers).
    pub(crate) async fn execute_at(
        &self,
        conversation_id: Uuid,
        command: Command,
        lock: Lock,
    ) -> Result<Option<Outcome>> {
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let Some(state) = tx.load(conversation_id, lock).await? else {
                return Ok(None);
            };
            let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
            if decision.events.is_empty() {
                return Ok(Some(Outcome {
                    state,
                    events: vec![],
                }));
            }
            let outcome = tx.apply(&state, decision, now).await?;
            tx.commit().await?;
            Ok(Some(outcome))
        })
        .await
    }

    /// A contact's message from the widget (over HTTP or its socket), stored once per client
    /// id. The domain refuses a conversation that is not this contact's.
    pub async fn contact_writes(
        &self,
        conversation_id: Uuid,
        contact: super::ContactRef,
        body: switchboard_domain::MessageBody,
        client_msg_id: Uuid,
    ) -> Result<Appended> {
        use switchboard_domain::conversation::Author;
        let command = Command::Append {
            author: Author::Contact {
                contact_id: contact.id,
                name: contact.name,
                via: switchboard_domain::Channel::Web,
            },
            body,
            visibility: switchboard_domain::Visibility::Public,
            client_msg_id: Some(client_msg_id),
        };
        self.append(conversation_id, command).await
    }

    /// Appends a message once per client id: a retried send gets the stored message back.
    pub async fn append(&self, conversation_id: Uuid, command: Command) -> Result<Appended> {
        match self.execute(conversation_id, command).await {
            Ok(outcome) => outcome
                .messages()
                .last()
                .cloned()
                .map(Appended::New)
                .ok_or_else(|| EngineError::Internal("an append appended nothing".into())),
            Err(EngineError::DuplicateMessage(client_msg_id)) => {
                let row = message::Entity::find()
                    .filter(message::Column::ConversationId.eq(conversation_id))
                    .filter(message::Column::ClientMsgId.eq(client_msg_id))
                    .limit(1)
                    .one(&self.db().read)
                    .await?
                    .ok_or_else(|| EngineError::Internal("duplicate message vanished".into()))?;
                Ok(Appended::Duplicate(codec::message_of(row)?))
            }
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_domain::conversation::Author;
    use switchboard_domain::{ContactDetails, MessageBody, Visibility};

    fn state(id: u128, revision: u64) -> ConversationState {
        let new = switchboard_domain::conversation::NewConversation {
            id: Uuid::from_u128(id),
            contact_id: Uuid::from_u128(99),
            contact_name: "Ada".into(),
            channel: switchboard_domain::Channel::Web,
            lead: false,
            first: MessageBody::parse("hi").unwrap(),
            client_msg_id: None,
            post: None,
            attachment: None,
        };
        let mut s = switchboard_domain::conversation::start(new, 0, &mut Uuid::now_v7).state;
        s.revision = revision;
        s
    }

    #[test]
    fn states_are_forgotten_when_a_group_commit_failed() {
        let mut states = States::default();
        states.put(vec![state(1, 3)], 0);
        assert_eq!(
            states.get(Uuid::from_u128(1), 0).map(|s| s.revision),
            Some(3)
        );
        // The writer counted a failed group commit: what was remembered may never have been.
        assert_eq!(states.get(Uuid::from_u128(1), 1), None);
        states.put(vec![state(2, 1), state(2, 2)], 1);
        assert_eq!(
            states.get(Uuid::from_u128(2), 1).map(|s| s.revision),
            Some(2),
            "the last write counts"
        );
    }

    fn say(contact: Uuid, text: &str) -> Command {
        Command::Append {
            author: Author::Contact {
                contact_id: contact,
                name: "Ada".into(),
                via: switchboard_domain::Channel::Web,
            },
            body: MessageBody::parse(text).unwrap(),
            visibility: Visibility::Public,
            client_msg_id: Some(Uuid::new_v4()),
        }
    }

    #[tokio::test]
    async fn the_writer_remembers_committed_states_and_never_a_rolled_back_one() {
        let dir = std::env::temp_dir().join(format!("sb-states-{}", Uuid::new_v4().simple()));
        let engine = Engine::open(crate::EngineConfig::new(format!(
            "sqlite://{}/e.db",
            dir.display()
        )))
        .await
        .unwrap();
        let details = ContactDetails::parse("Ada", "ada@example.com", "").unwrap();
        let kind = crate::conversations::StartKind::Chat;
        let started = engine
            .start_web_conversation(
                &details,
                &MessageBody::parse("hi").unwrap(),
                Uuid::new_v4(),
                kind,
                &Default::default(),
            )
            .await
            .unwrap();
        let id = started.conversation_id;
        let contact = engine.state(id).await.unwrap().unwrap().contact_id;
        let committed = engine.execute(id, say(contact, "one")).await.unwrap().state;
        let remembered = engine.states().lock().unwrap().get(id, 0);
        assert_eq!(
            remembered.as_ref(),
            Some(&committed),
            "remembered as committed"
        );

        // A transaction that writes and then rolls back leaves the remembered state as it was.
        let mut tx = Tx::begin(&engine).await.unwrap();
        let before = tx.load(id, Lock::Wait).await.unwrap().unwrap();
        let now = crate::now();
        let decision = decide(&before, &say(contact, "two"), now, &mut Uuid::now_v7).unwrap();
        let after = tx.apply(&before, decision, now).await.unwrap().state;
        assert_eq!(
            tx.load(id, Lock::Wait).await.unwrap().as_ref(),
            Some(&after),
            "a transaction reads its own write"
        );
        drop(tx);
        let tx = Tx::begin(&engine).await.unwrap();
        assert_eq!(
            tx.load(id, Lock::Wait).await.unwrap(),
            Some(committed.clone())
        );
        drop(tx);
        // And the database agrees with what is remembered.
        assert_eq!(engine.state(id).await.unwrap(), Some(committed));
        let _ = std::fs::remove_dir_all(dir);
    }
}
