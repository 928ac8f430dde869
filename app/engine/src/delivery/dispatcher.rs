//! The dispatcher, one per node: reads what is new in the event logs, in commit order, and
//! fans it out to this node's sockets. It is woken by the bus and also polls, so an event
//! whose notification was lost (a crash right after commit, a dropped listener) is still
//! delivered. On PostgreSQL it takes only rows of transactions older than every running one
//! (`pg_snapshot_xmin`), so a transaction that commits late can never be skipped.

use super::hub::MessageFrames;
use crate::error::Result;
use crate::routing::presence::PresenceChanged;
use crate::store::codec::MessageRef;
use crate::store::entities::{agent_event, conversation_event};
use crate::store::Backend;
use crate::{Engine, EngineError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::sync::Arc;
use std::time::Duration;
use switchboard_domain::conversation::{Event, Placement};
use switchboard_wire::frames::ServerFrame;
use switchboard_wire::inbox::Activity;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const BATCH: u64 = 500;
pub const POLL: Duration = Duration::from_millis(500);
const VISIBLE_PG: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

/// A position in an event log: `(tx, id)` (tx is 0 on SQLite, where ids follow commits).
/// A log position as read (rows are read by column name; see `store::lite`).
#[derive(sea_orm::FromQueryResult)]
struct CursorRow {
    tx: i64,
    id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub tx: i64,
    pub id: i64,
}

pub fn frame(f: &ServerFrame) -> Arc<str> {
    Arc::from(serde_json::to_string(f).unwrap_or_default())
}

macro_rules! log_reader {
    ($name:ident, $head:ident, $entity:ident) => {
        async fn $name(engine: &Engine, after: Cursor) -> Result<Vec<$entity::Model>> {
            use $entity::Column;
            let q = match engine.db().backend {
                // One writer: ids follow commits.
                Backend::Sqlite => $entity::Entity::find()
                    .filter(Column::Id.gt(after.id))
                    .order_by_asc(Column::Id),
                // `(tx, id) > (…)` walks the (tx, id) index.
                Backend::Postgres => $entity::Entity::find()
                    .filter(
                        Expr::tuple([Expr::col(Column::Tx).into(), Expr::col(Column::Id).into()])
                            .gt(Expr::tuple([Expr::value(after.tx), Expr::value(after.id)])),
                    )
                    .filter(Expr::col(Column::Tx).lt(Expr::cust(VISIBLE_PG)))
                    .order_by_asc(Column::Tx)
                    .order_by_asc(Column::Id),
            };
            Ok(q.limit(BATCH).all(&engine.db().read).await?)
        }

        /// Where the log ends now: the dispatcher starts there (sockets replay the past).
        async fn $head(engine: &Engine) -> Result<Cursor> {
            use $entity::Column;
            let q = $entity::Entity::find()
                .select_only()
                .column(Column::Tx)
                .column(Column::Id);
            let q = match engine.db().backend {
                Backend::Postgres => q
                    .filter(Expr::col(Column::Tx).lt(Expr::cust(VISIBLE_PG)))
                    .order_by_desc(Column::Tx),
                // `tx` is always 0; the id is the rowid.
                Backend::Sqlite => q,
            };
            let last: Option<CursorRow> = q
                .order_by_desc(Column::Id)
                .limit(1)
                .into_model()
                .one(&engine.db().read)
                .await?;
            Ok(last
                .map(|r| Cursor { tx: r.tx, id: r.id })
                .unwrap_or_default())
        }
    };
}

log_reader!(
    conversation_events_after,
    conversation_head,
    conversation_event
);
log_reader!(agent_events_after, agent_head, agent_event);

fn corrupt(e: serde_json::Error) -> EngineError {
    EngineError::Corrupt(format!("event payload: {e}"))
}

/// A conversation log row as the dispatcher uses it: decoded. A commit on SQLite hands its
/// rows over in this form (no JSON round trip); rows read from the log are decoded once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logged {
    pub id: i64,
    pub tx: i64,
    pub conversation_id: Uuid,
    pub event: Event,
    pub placement: Placement,
    pub moved_from: Option<Placement>,
}

/// The message each row names, if it is a `message_appended` row that names one by seq.
fn references(rows: &[conversation_event::Model]) -> Vec<Option<MessageRef>> {
    rows.iter()
        .map(|r| MessageRef::of(&r.kind, &r.payload))
        .collect()
}

/// Decodes a log row; a row that names its message (`reference`) takes it from `messages`
/// (read for the whole batch at once).
fn decode(
    row: &conversation_event::Model,
    reference: Option<MessageRef>,
    messages: &Messages,
) -> Result<Logged> {
    let event = match reference {
        Some(r) => Event::MessageAppended {
            message: messages
                .get(&(row.conversation_id, r.message_seq))
                .cloned()
                .ok_or_else(|| {
                    EngineError::Corrupt(format!(
                        "event {} names message {} of {}, which is not stored",
                        row.id, r.message_seq, row.conversation_id
                    ))
                })?,
        },
        None => serde_json::from_str(&row.payload).map_err(corrupt)?,
    };
    Ok(Logged {
        id: row.id,
        tx: row.tx,
        conversation_id: row.conversation_id,
        event,
        placement: serde_json::from_str(&row.placement).map_err(corrupt)?,
        moved_from: row
            .moved_from
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(corrupt)?,
    })
}

/// The messages log rows name, by conversation and seq.
type Messages = std::collections::HashMap<(Uuid, u64), switchboard_domain::Message>;

/// Reads the messages the rows name (`references`, one per row), in one query.
async fn messages_named(
    engine: &Engine,
    rows: &[conversation_event::Model],
    references: &[Option<MessageRef>],
) -> Result<Messages> {
    use crate::store::entities::message;
    use sea_orm::sea_query::{IntoValueTuple, ValueTuple};
    let wanted: Vec<ValueTuple> = rows
        .iter()
        .zip(references)
        .filter_map(|(r, m)| {
            m.map(|m| (r.conversation_id, m.message_seq as i64).into_value_tuple())
        })
        .collect();
    if wanted.is_empty() {
        return Ok(Messages::new());
    }
    let found = message::Entity::find()
        .filter(
            Expr::tuple([
                Expr::col(message::Column::ConversationId).into(),
                Expr::col(message::Column::Seq).into(),
            ])
            .in_tuples(wanted),
        )
        .all(&engine.db().read)
        .await?;
    let mut messages = Messages::with_capacity(found.len());
    for row in found {
        let m = crate::store::codec::message_of(row)?;
        messages.insert((m.conversation_id, m.seq), m);
    }
    Ok(messages)
}

/// What one read of the log gave: the rows decoded, how many were read, and where the read
/// ended. An unreadable row is reported and skipped (the cursor passes it), never retried
/// forever.
struct Read {
    rows: Vec<Logged>,
    count: usize,
    end: Option<Cursor>,
}

async fn read_conversation_events(engine: &Engine, after: Cursor) -> Result<Read> {
    let rows = conversation_events_after(engine, after).await?;
    let end = rows.last().map(|r| Cursor { tx: r.tx, id: r.id });
    let count = rows.len();
    let refs = references(&rows);
    let messages = messages_named(engine, &rows, &refs).await?;
    let rows = rows
        .iter()
        .zip(refs)
        .filter_map(|(r, reference)| {
            decode(r, reference, &messages)
                .map_err(
                    |e| tracing::error!(error = %e, event = r.id, "skipping an unreadable event"),
                )
                .ok()
        })
        .collect();
    Ok(Read { rows, count, end })
}

/// Fans out one batch of conversation events, grouped by conversation.
/// A message frame for agents and one for the contact: the id the sending client chose goes
/// only to its own side.
fn message_frames(message: &switchboard_domain::Message) -> MessageFrames {
    use switchboard_domain::Reader;
    let as_read_by = |reader| {
        frame(&ServerFrame::Message {
            message: message.clone().for_reader(reader),
        })
    };
    if message.client_msg_id.is_none() {
        let same = as_read_by(Reader::Team);
        return MessageFrames {
            team: same.clone(),
            contact: same,
            channel: message.channel,
            stored_at: message.created_at,
        };
    }
    MessageFrames {
        team: as_read_by(Reader::Team),
        contact: as_read_by(Reader::Contact),
        channel: message.channel,
        stored_at: message.created_at,
    }
}

async fn fan_out_conversations(engine: &Engine, rows: &[Logged]) -> Result<()> {
    let hub = engine.hub();
    let mut order: Vec<Uuid> = vec![];
    for r in rows {
        if !order.contains(&r.conversation_id) {
            order.push(r.conversation_id);
        }
    }
    for conv in order {
        let events: Vec<&Logged> = rows.iter().filter(|r| r.conversation_id == conv).collect();
        let Some(contact) = events.last().map(|d| d.placement.contact_id) else {
            continue;
        };
        if !hub.cares_about(conv, contact) {
            continue;
        }
        let mut moved: Vec<Placement> = vec![];
        let mut rest: Vec<&Event> = vec![];
        for d in &events {
            match &d.event {
                Event::MessageAppended { message } => {
                    let public = message.visibility.visible_to_contact();
                    hub.message(conv, message.seq, public, &message_frames(message));
                    if hub.has_agents() {
                        let activity = Activity {
                            conversation_id: conv,
                            last_seq: message.seq,
                            preview: public.then(|| {
                                switchboard_domain::conversation::preview_of(&message.body)
                            }),
                            last_sender: public.then_some(message.sender.kind),
                            last_message_at: message.created_at,
                        };
                        hub.to_views(
                            conv,
                            std::slice::from_ref(&d.placement),
                            &frame(&ServerFrame::Activity { activity }),
                        );
                    }
                }
                Event::CommentRemoved { message_id } => {
                    if hub.has_agents() {
                        hub.to_views(
                            conv,
                            std::slice::from_ref(&d.placement),
                            &frame(&ServerFrame::CommentRemoved {
                                conversation_id: conv,
                                message_id: *message_id,
                            }),
                        );
                    }
                }
                Event::ContactChanged {
                    message_id,
                    change,
                    latest,
                } => {
                    // The row's preview moved too: the whole row follows below.
                    if *latest {
                        moved.push(d.placement.clone());
                        rest.push(&d.event);
                    }
                    if hub.has_agents() {
                        hub.to_views(
                            conv,
                            std::slice::from_ref(&d.placement),
                            &frame(&ServerFrame::MessageChanged {
                                conversation_id: conv,
                                message_id: *message_id,
                                change: change.clone(),
                            }),
                        );
                    }
                }
                Event::DeliveryUpdated {
                    message_id,
                    delivery,
                } => {
                    // Only agents see how far a message got; the inbox row does not move.
                    if hub.has_agents() {
                        hub.to_views(
                            conv,
                            std::slice::from_ref(&d.placement),
                            &frame(&ServerFrame::Delivery {
                                conversation_id: conv,
                                message_id: *message_id,
                                delivery: delivery.clone(),
                            }),
                        );
                    }
                }
                // The visitor's widget opens its phone request.
                Event::SwitchAsked { to } => {
                    hub.to_visitor(
                        conv,
                        contact,
                        &frame(&ServerFrame::SwitchInvite {
                            conversation_id: conv,
                            to: *to,
                        }),
                    );
                }
                other => {
                    match other {
                        // This node's remembered visitors of that contact are someone else's now.
                        Event::ContactMerged { from, .. } => {
                            engine.visitors().forget_contact(*from)
                        }
                        // Their tokens were revoked: forget them, and their widgets check.
                        Event::VisitorSignedOut { contact } => {
                            engine.visitors().forget_contact(*contact);
                            hub.recheck_visitors(*contact);
                        }
                        _ => {}
                    }
                    moved.extend(d.moved_from.clone());
                    moved.push(d.placement.clone());
                    rest.push(other);
                }
            }
        }
        if rest.is_empty() {
            continue;
        }
        // The row as it is now (a later revision is fine: clients keep the newest).
        let summary = match engine.summary(conv).await {
            Ok(s) => s,
            Err(EngineError::NotFound(_)) => continue,
            Err(e) => return Err(e),
        };
        hub.to_visitor(
            conv,
            contact,
            &frame(&ServerFrame::Status {
                conversation_id: conv,
                status: summary.status,
                revision: summary.revision,
            }),
        );
        if !hub.has_agents() {
            continue;
        }
        hub.to_views(
            conv,
            &moved,
            &frame(&ServerFrame::Conversation {
                summary: summary.clone(),
            }),
        );
        for event in rest {
            let (agent, text) = match event {
                Event::Offered { agent, .. } => (
                    *agent,
                    format!(
                        "New chat from {}: accept it before the timer runs out.",
                        summary.contact_name
                    ),
                ),
                Event::Transferred { to, .. } => (
                    *to,
                    format!("{}'s chat was transferred to you.", summary.contact_name),
                ),
                Event::Invited { agent, .. } => (
                    *agent,
                    format!(
                        "You were invited to the chat with {}.",
                        summary.contact_name
                    ),
                ),
                _ => continue,
            };
            hub.to_agent(
                agent,
                &frame(&ServerFrame::Notice {
                    conversation_id: conv,
                    text,
                }),
            );
        }
    }
    Ok(())
}

fn fan_out_agents(engine: &Engine, rows: &[agent_event::Model]) {
    for row in rows {
        if row.kind == "presence_changed" {
            match serde_json::from_str::<PresenceChanged>(&row.payload) {
                Ok(changed) => engine.hub().to_all_agents(&frame(&ServerFrame::Presence {
                    agent: row.account_id,
                    presence: changed.presence,
                })),
                Err(e) => {
                    tracing::error!(error = %e, event = row.id, "skipping an unreadable agent event")
                }
            }
        }
    }
}

/// Rows kept for the dispatcher at most; beyond, it reads the log (nothing is lost either way).
const HANDED_OVER_MAX: usize = 10_000;

impl Engine {
    /// SQLite, after a commit: this node's dispatcher gets the rows without reading them back.
    pub(crate) fn hand_over(&self, rows: Vec<Logged>) {
        // The test hook that drops notifications drops these too: only the log is left.
        if rows.is_empty() || self.bus().is_silent() {
            return;
        }
        if let Ok(mut committed) = self.committed().lock() {
            if committed.len() + rows.len() <= HANDED_OVER_MAX {
                committed.extend(rows);
            }
        }
    }
}

/// The rows handed over, if they continue the log right after `cursor` without a gap (ids are
/// dense on SQLite: one writer, and a rollback returns its ids). Otherwise `None`: a row is
/// missing (committed elsewhere, handed over late, or dropped), and the log is read.
fn continuing(mut rows: Vec<Logged>, cursor: Cursor) -> Option<Read> {
    rows.sort_unstable_by_key(|r| r.id);
    rows.retain(|r| r.id > cursor.id);
    let dense = rows.first().is_some_and(|r| r.id == cursor.id + 1)
        && rows.windows(2).all(|w| w[1].id == w[0].id + 1);
    let end = rows.last().map(|r| Cursor { tx: r.tx, id: r.id });
    dense.then_some(Read {
        count: rows.len(),
        end,
        rows,
    })
}

pub(crate) struct Dispatcher {
    engine: Engine,
    conversations: Cursor,
    agents: Cursor,
}

impl Dispatcher {
    pub async fn new(engine: Engine) -> Result<Self> {
        let conversations = conversation_head(&engine).await?;
        let agents = agent_head(&engine).await?;
        Ok(Self {
            engine,
            conversations,
            agents,
        })
    }

    /// Fans out everything new; returns how many events. The agent log is read when an agent
    /// event was announced, or with `all` (the poll, which also finds unannounced ones).
    pub async fn step(&mut self, all: bool) -> Result<usize> {
        let mut total = 0;
        let mut agents = all
            || self
                .engine
                .bus()
                .signals()
                .agent_events
                .swap(false, std::sync::atomic::Ordering::AcqRel);
        let handed = std::mem::take(
            &mut *self
                .engine
                .committed()
                .lock()
                .map_err(|_| EngineError::Internal("dispatcher lock".into()))?,
        );
        let mut fresh = (self.engine.db().backend == Backend::Sqlite)
            .then(|| continuing(handed, self.conversations))
            .flatten();
        loop {
            let read = match fresh.take() {
                Some(read) => read,
                None => read_conversation_events(&self.engine, self.conversations).await?,
            };
            if let Some(end) = read.end {
                fan_out_conversations(&self.engine, &read.rows).await?;
                self.conversations = end;
            }
            let mut agent_rows = vec![];
            if agents {
                agent_rows = agent_events_after(&self.engine, self.agents).await?;
                if let Some(last) = agent_rows.last() {
                    fan_out_agents(&self.engine, &agent_rows);
                    self.agents = Cursor {
                        tx: last.tx,
                        id: last.id,
                    };
                }
                agents = agent_rows.len() as u64 == BATCH;
            }
            total += read.count + agent_rows.len();
            if (read.count as u64) < BATCH && !agents {
                return Ok(total);
            }
        }
    }
}

impl Engine {
    /// The dispatcher worker. A (re)started dispatcher starts at the end of the logs and has
    /// every socket catch up from the database, so a restart after a failure loses nothing.
    pub(crate) async fn run_dispatcher(self, token: CancellationToken) {
        let mut dispatcher = loop {
            match Dispatcher::new(self.clone()).await {
                Ok(d) => break d,
                Err(e) => tracing::warn!(error = %e, "dispatcher cannot read the event log yet"),
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        };
        self.hub().resync_all();
        loop {
            let polled = tokio::select! {
                _ = token.cancelled() => return,
                _ = self.bus().signals().events.notified() => false,
                _ = tokio::time::sleep(POLL) => true,
            };
            if let Err(e) = dispatcher.step(polled).await {
                tracing::warn!(error = %e, "dispatching events failed; trying again");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> Logged {
        use switchboard_domain::{Channel, ConversationStatus};
        let placement = Placement {
            status: ConversationStatus::Open,
            lead: false,
            channel: Channel::Web,
            post: None,
            contact_id: Uuid::nil(),
            involved: vec![],
            passed_by: vec![],
        };
        Logged {
            id,
            tx: 0,
            conversation_id: Uuid::nil(),
            event: Event::Reopened,
            placement,
            moved_from: None,
        }
    }

    fn ids(read: Option<Read>) -> Option<Vec<i64>> {
        read.map(|r| {
            assert_eq!(r.count, r.rows.len());
            assert_eq!(
                r.end.map(|c| c.id),
                r.rows.last().map(|l| l.id),
                "the read ends at its last row"
            );
            r.rows.iter().map(|r| r.id).collect()
        })
    }

    #[test]
    fn handed_over_rows_are_used_only_when_they_continue_the_log() {
        let at = |id| Cursor { tx: 0, id };
        // In any order, right after the cursor: used.
        assert_eq!(
            ids(continuing(vec![row(12), row(11)], at(10))),
            Some(vec![11, 12])
        );
        // Rows already fanned out (read from the log meanwhile) are dropped.
        assert_eq!(
            ids(continuing(vec![row(9), row(10), row(11)], at(10))),
            Some(vec![11])
        );
        // A row missing before or between them: the log is read instead.
        assert_eq!(ids(continuing(vec![row(12)], at(10))), None);
        assert_eq!(ids(continuing(vec![row(11), row(13)], at(10))), None);
        assert_eq!(ids(continuing(vec![row(8), row(9)], at(10))), None);
        assert_eq!(ids(continuing(vec![], at(10))), None);
    }

    #[tokio::test]
    async fn rows_handed_over_are_the_rows_in_the_log() {
        use sea_orm::{EntityTrait, QueryOrder};
        use switchboard_domain::{ContactDetails, MessageBody};
        let dir = std::env::temp_dir().join(format!("sb-handover-{}", Uuid::new_v4().simple()));
        let engine = Engine::open(crate::EngineConfig::new(format!(
            "sqlite://{}/e.db",
            dir.display()
        )))
        .await
        .unwrap();
        // No workers: nothing takes the rows, and nothing else writes.
        for name in ["Ada", "Bob", "Cy"] {
            let details = ContactDetails::parse(name, &format!("{name}@example.com"), "").unwrap();
            let kind = crate::conversations::StartKind::Chat;
            engine
                .start_web_conversation(
                    &details,
                    &MessageBody::parse("hi").unwrap(),
                    Uuid::new_v4(),
                    kind,
                    &Default::default(),
                )
                .await
                .unwrap();
        }
        let handed = std::mem::take(&mut *engine.committed().lock().unwrap());
        let stored = conversation_event::Entity::find()
            .order_by_asc(conversation_event::Column::Id)
            .all(&engine.db().read)
            .await
            .unwrap();
        assert_eq!(stored.len(), 6, "two events per start");
        let refs = references(&stored);
        let messages = messages_named(&engine, &stored, &refs).await.unwrap();
        assert_eq!(
            messages.len(),
            3,
            "each start's first message, read by reference"
        );
        let stored: Vec<Logged> = stored
            .iter()
            .zip(refs)
            .map(|(r, reference)| decode(r, reference, &messages).unwrap())
            .collect();
        assert_eq!(handed, stored);
        let _ = std::fs::remove_dir_all(dir);
    }
}
