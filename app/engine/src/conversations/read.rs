//! Read models of conversations: inbox rows, folder listings, message pages and replay.

use crate::error::{EngineError, Missing, Result};
use crate::store::codec;
use crate::store::entities::{
    account, contact, conversation, conversation_participant, conversation_pass, conversation_read,
    message,
};
use crate::Engine;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use switchboard_domain::conversation::ConversationState;
use switchboard_domain::{Channel, ConversationStatus, ParticipantRole, Visibility};
use switchboard_wire::inbox::{MessagePage, Participant};
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

/// Summaries for conversation rows, with the contacts and agent names they mention loaded in
/// two queries.
pub(crate) async fn summaries_of<C: ConnectionTrait>(
    db: &C,
    rows: &[conversation::Model],
) -> Result<Vec<ConversationSummary>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let states: Vec<ConversationState> = rows.iter().map(codec::state_of).collect::<Result<_>>()?;
    let contact_ids: Vec<Uuid> = states.iter().map(|s| s.contact_id).collect();
    let contacts: HashMap<Uuid, contact::Model> = contact::Entity::find()
        .filter(contact::Column::Id.is_in(contact_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut account_ids: Vec<Uuid> = states
        .iter()
        .flat_map(|s| {
            s.assignee
                .into_iter()
                .chain(s.offered_to)
                .chain(s.members.iter().map(|m| m.agent))
        })
        .collect();
    account_ids.sort();
    account_ids.dedup();
    let names: HashMap<Uuid, String> = if account_ids.is_empty() {
        HashMap::new()
    } else {
        account::Entity::find()
            .select_only()
            .column(account::Column::Id)
            .column(account::Column::Name)
            .filter(account::Column::Id.is_in(account_ids))
            .into_model::<crate::store::Named>()
            .all(db)
            .await?
            .into_iter()
            .map(|n| (n.id, n.name))
            .collect()
    };
    Ok(states
        .into_iter()
        .map(|s| {
            let contact = contacts.get(&s.contact_id);
            summary_of(s, contact, &names)
        })
        .collect())
}

fn summary_of(
    s: ConversationState,
    contact: Option<&contact::Model>,
    names: &HashMap<Uuid, String>,
) -> ConversationSummary {
    let name_of = |id: Option<Uuid>| id.and_then(|id| names.get(&id)).cloned();
    ConversationSummary {
        id: s.id,
        contact_id: s.contact_id,
        contact_name: contact
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "Unknown contact".into()),
        contact_email: contact.and_then(|c| c.email.clone()),
        contact_phone: contact.and_then(|c| c.phone.clone()),
        status: s.status,
        active_channel: s.active_channel,
        assignee_id: s.assignee,
        assignee_name: name_of(s.assignee),
        last_seq: s.last_seq,
        preview: s.preview,
        last_sender: s.last_sender,
        last_message_at: s.last_message_at,
        created_at: s.created_at,
        offered_to: s.offered_to,
        offered_to_name: name_of(s.offered_to),
        deadline: s.deadline,
        missed: s.missed,
        lead: s.lead,
        queued_at: s.queued_at,
        passed_by: s.passed_by,
        participants: s
            .members
            .iter()
            .map(|m| Participant {
                id: m.agent,
                name: name_of(Some(m.agent)).unwrap_or_else(|| "Former agent".into()),
                role: m.role,
            })
            .collect(),
        revision: s.revision,
        post: s.post,
    }
}

/// Which conversations a listing wants.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub statuses: Vec<ConversationStatus>,
    /// Offline leads only (`Some(true)`), live chats only (`Some(false)`), or both.
    pub lead: Option<bool>,
    pub channel: Option<Channel>,
    /// Comment conversations about this post only.
    pub post: Option<Uuid>,
    /// Only chats this agent works: assignee, current offer, or in the room.
    pub involving: Option<Uuid>,
    /// Leave out chats this agent declined or let lapse in this round.
    pub not_passed_by: Option<Uuid>,
    /// The page after this row (keyset pagination); the first page without it.
    pub after: Option<ListCursor>,
    pub limit: u64,
}

/// Where a folder page ends: the last row's sort key and id. Rows are ordered by
/// `(last_message_at, id)` descending, so rows with the same time keep one order and the
/// next page starts exactly after this row (no OFFSET: the index is entered at the cursor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub last_message_at: i64,
    pub id: Uuid,
}

impl ListCursor {
    /// The cursor for the page after this row.
    pub fn after(row: &ConversationSummary) -> Self {
        Self {
            last_message_at: row.last_message_at,
            id: row.id,
        }
    }
}

impl Engine {
    pub async fn summary(&self, id: Uuid) -> Result<ConversationSummary> {
        let row = conversation::Entity::find_by_id(id)
            .one(&self.db().read)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?;
        Ok(summaries_of(&self.db().read, std::slice::from_ref(&row))
            .await?
            .remove(0))
    }

    /// Whether the policy lets `viewer` `access` this conversation: `NotFound` when there is
    /// no such conversation, `Forbidden` when it is not theirs to read or act on.
    pub async fn authorize(
        &self,
        viewer: &switchboard_domain::access::Viewer,
        conversation_id: Uuid,
        access: switchboard_domain::access::Access,
    ) -> Result<()> {
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?;
        if viewer.may(access, &state.placement()) {
            Ok(())
        } else {
            Err(EngineError::Forbidden)
        }
    }

    /// The policy's view of an active agent (their role, the team's setting).
    pub async fn viewer(&self, agent: Uuid) -> Result<switchboard_domain::access::Viewer> {
        let profile = self.active_agent(agent).await?;
        self.viewer_of(&profile).await
    }

    /// The policy's view of an agent whose profile was just read (as active).
    pub async fn viewer_of(
        &self,
        profile: &switchboard_wire::AgentProfile,
    ) -> Result<switchboard_domain::access::Viewer> {
        Ok(switchboard_domain::access::Viewer {
            id: profile.id,
            admin: profile.role == switchboard_wire::AgentRole::Admin,
            sees_colleagues: self.settings().await?.agents_see_colleagues,
        })
    }

    /// The stored state of a conversation.
    pub async fn state(&self, id: Uuid) -> Result<Option<ConversationState>> {
        conversation::Entity::find_by_id(id)
            .one(&self.db().read)
            .await?
            .as_ref()
            .map(codec::state_of)
            .transpose()
    }

    /// Inbox rows, newest activity first (ties by id), at most `limit`, after `q.after`.
    ///
    /// One query per status in the folder, each walking `idx_conversations_listing`
    /// (status, lead, last_message_at, id) from the cursor down and stopping at `limit`; the
    /// pages are merged here. One query over `status IN (…)` would have to sort every row of
    /// those statuses before the first was returned.
    ///
    /// One agent's chats ("Mine") are three queries per status, each from what is theirs
    /// rather than filtered out of the whole folder: the chats they are assigned (History on
    /// `idx_conversations_history_of`, by keyset), offered (`idx_conversations_offered_to`:
    /// a few at most) and invited into (`idx_conversation_participants_account`: the room
    /// mirror). Owners are not read from the room: an owner is always the assignee (taking or
    /// being transferred a chat makes them both; releasing and reopening end both).
    pub async fn list_summaries(&self, q: &ListQuery) -> Result<Vec<ConversationSummary>> {
        let db = &self.db().read;
        let mut statuses = q.statuses.clone();
        statuses.sort_by_key(|s| s.as_str());
        statuses.dedup();
        let branches: &[Option<Involved>] = match q.involving {
            None => &[None],
            Some(_) => &[
                Some(Involved::Assignee),
                Some(Involved::Offered),
                Some(Involved::Invited),
            ],
        };
        let merged = statuses.len() * branches.len() > 1;
        let mut rows = Vec::new();
        for status in statuses {
            for branch in branches {
                rows.extend(self.listing(q, status, *branch).all(db).await?);
            }
        }
        if merged {
            rows.sort_by_key(|r| std::cmp::Reverse((r.last_message_at, r.id)));
            // A chat offered to an agent who is also in its room comes twice.
            rows.dedup_by_key(|r| r.id);
            rows.truncate(q.limit as usize);
        }
        summaries_of(db, &rows).await
    }

    /// One status's page of a listing (of one way an agent is involved, for "Mine").
    fn listing(
        &self,
        q: &ListQuery,
        status: ConversationStatus,
        involved: Option<Involved>,
    ) -> sea_orm::Select<conversation::Entity> {
        let status_col = Expr::col((conversation::Entity, conversation::Column::Status));
        let mut find = conversation::Entity::find();
        find = match (involved, q.involving) {
            (Some(Involved::Assignee), Some(agent)) => find
                .filter(conversation::Column::AssigneeId.eq(agent))
                // A literal, not a parameter: only then may the planners use the partial
                // `idx_conversations_history_of` (WHERE status = 'closed').
                .filter(status_col.eq(Expr::cust(format!("'{}'", status.as_str())))),
            (Some(Involved::Offered), Some(agent)) => find
                .filter(conversation::Column::OfferedTo.eq(agent))
                .filter(unindexed_status(status)),
            (Some(Involved::Invited), Some(agent)) => {
                let rooms = Query::select()
                    .column(conversation_participant::Column::ConversationId)
                    .from(conversation_participant::Entity)
                    .and_where(conversation_participant::Column::AccountId.eq(agent))
                    .and_where(
                        conversation_participant::Column::Role
                            .eq(ParticipantRole::Invited.as_str()),
                    )
                    .to_owned();
                find.filter(conversation::Column::Id.in_subquery(rooms))
                    .filter(unindexed_status(status))
            }
            _ => find.filter(conversation::Column::Status.eq(status.as_str())),
        };
        if let Some(lead) = q.lead {
            find = find.filter(conversation::Column::Lead.eq(lead));
        }
        if let Some(channel) = q.channel {
            find = find.filter(conversation::Column::ActiveChannel.eq(channel.as_str()));
        }
        if let Some(post) = q.post {
            find = find.filter(conversation::Column::PostId.eq(post));
        }
        if let Some(agent) = q.not_passed_by {
            let passed = Query::select()
                .column(conversation_pass::Column::ConversationId)
                .from(conversation_pass::Entity)
                .and_where(conversation_pass::Column::AccountId.eq(agent))
                .and_where(conversation_pass::Column::Active.eq(true))
                .to_owned();
            find = find.filter(conversation::Column::Id.not_in_subquery(passed));
        }
        if let Some(c) = q.after {
            // `(last_message_at, id) < (c.last_message_at, c.id)`, with the time's bound on
            // its own so that both planners start the index range at the cursor.
            find = find
                .filter(conversation::Column::LastMessageAt.lte(c.last_message_at))
                .filter(
                    Condition::any()
                        .add(conversation::Column::LastMessageAt.lt(c.last_message_at))
                        .add(conversation::Column::Id.lt(c.id)),
                );
        }
        find.order_by_desc(conversation::Column::LastMessageAt)
            .order_by_desc(conversation::Column::Id)
            .limit(q.limit)
    }

    /// How far one agent has read each conversation.
    pub async fn read_positions(
        &self,
        account_id: Uuid,
        conversations: &[Uuid],
    ) -> Result<HashMap<Uuid, u64>> {
        if conversations.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(conversation_read::Entity::find()
            .filter(conversation_read::Column::AccountId.eq(account_id))
            .filter(conversation_read::Column::ConversationId.is_in(conversations.iter().copied()))
            .all(&self.db().read)
            .await?
            .into_iter()
            .map(|r| (r.conversation_id, r.read_seq.max(0) as u64))
            .collect())
    }

    /// Records that an agent has read up to `seq` (never moves backwards, never past the end).
    /// A read marker is the agent's, not a change of the conversation.
    pub async fn mark_read(&self, conversation_id: Uuid, account_id: Uuid, seq: u64) -> Result<()> {
        let last = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?
            .last_seq;
        let seq = seq.min(last) as i64;
        conversation_read::Entity::insert(conversation_read::ActiveModel {
            conversation_id: Set(conversation_id),
            account_id: Set(account_id),
            read_seq: Set(seq),
        })
        .on_conflict(
            OnConflict::columns([
                conversation_read::Column::ConversationId,
                conversation_read::Column::AccountId,
            ])
            .update_column(conversation_read::Column::ReadSeq)
            .action_and_where(
                Expr::col((
                    conversation_read::Entity,
                    conversation_read::Column::ReadSeq,
                ))
                .lt(seq),
            )
            .to_owned(),
        )
        .exec_without_returning(&self.db().write)
        .await?;
        Ok(())
    }

    /// Messages after `after_seq`, in order, at most `limit`. Contacts never get internal ones.
    pub async fn messages_after(
        &self,
        conversation_id: Uuid,
        after_seq: u64,
        include_internal: bool,
        limit: u64,
    ) -> Result<Vec<switchboard_domain::Message>> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let mut q = message::Entity::find()
            .filter(message::Column::ConversationId.eq(conversation_id))
            .filter(message::Column::Seq.gt(after));
        if !include_internal {
            q = q.filter(message::Column::Visibility.eq(Visibility::Public.as_str()));
        }
        let reader = reader_of(include_internal);
        q.order_by_asc(message::Column::Seq)
            .limit(limit)
            .all(&self.db().read)
            .await?
            .into_iter()
            .map(|row| Ok(codec::message_of(row)?.for_reader(reader)))
            .collect()
    }

    /// A page of history: the `limit` messages before `before_seq` (the latest without it),
    /// oldest first.
    pub async fn message_page(
        &self,
        conversation_id: Uuid,
        before_seq: Option<u64>,
        include_internal: bool,
        limit: u64,
    ) -> Result<MessagePage> {
        let mut q =
            message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
        if let Some(before) = before_seq {
            q = q.filter(message::Column::Seq.lt(i64::try_from(before).unwrap_or(i64::MAX)));
        }
        if !include_internal {
            q = q.filter(message::Column::Visibility.eq(Visibility::Public.as_str()));
        }
        let mut rows = q
            .order_by_desc(message::Column::Seq)
            .limit(limit + 1)
            .all(&self.db().read)
            .await?;
        let has_older = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        rows.reverse();
        let reader = reader_of(include_internal);
        Ok(MessagePage {
            messages: rows
                .into_iter()
                .map(|row| Ok(codec::message_of(row)?.for_reader(reader)))
                .collect::<Result<_>>()?,
            has_older,
        })
    }

    /// The conversation a web visitor's widget resumes: the latest they began. (A chat begun
    /// before conversations remembered their visitor: the contact's latest begun on the web.)
    pub async fn latest_conversation_of(
        &self,
        visitor_id: Uuid,
        contact_id: Uuid,
    ) -> Result<Option<ConversationSummary>> {
        let db = &self.db().read;
        let own = conversation::Entity::find()
            .filter(conversation::Column::VisitorId.eq(visitor_id))
            .order_by_desc(conversation::Column::CreatedAt)
            .one(db)
            .await?;
        if let Some(r) = own {
            return Ok(summaries_of(db, std::slice::from_ref(&r)).await?.pop());
        }
        // A contact merged with others has their SMS or Messenger conversations too.
        let web_started = message::Entity::find()
            .select_only()
            .column(message::Column::ConversationId)
            .filter(message::Column::Seq.eq(1))
            .filter(message::Column::Channel.eq(switchboard_domain::Channel::Web.as_str()))
            .filter(
                message::Column::ConversationId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(conversation::Column::Id)
                        .from(conversation::Entity)
                        .and_where(conversation::Column::ContactId.eq(contact_id))
                        .to_owned(),
                ),
            );
        let web_started = sea_orm::QueryTrait::into_query(web_started);
        let row = conversation::Entity::find()
            .filter(conversation::Column::ContactId.eq(contact_id))
            .filter(conversation::Column::Id.in_subquery(web_started))
            .order_by_desc(conversation::Column::CreatedAt)
            .one(db)
            .await?;
        match row {
            Some(r) => Ok(summaries_of(&self.db().read, std::slice::from_ref(&r))
                .await?
                .pop()),
            None => Ok(None),
        }
    }
}

/// How an agent is involved in a chat, one query each for "Mine".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Involved {
    Assignee,
    Offered,
    Invited,
}

/// `status = '…'` in a form no index answers (`status || ''`): the offered and invited
/// queries start from the agent's few rows, and without statistics SQLite's planner would
/// rather walk the whole folder in `idx_conversations_listing` order (to skip a sort of a
/// handful of rows), as it did for "Mine" before.
fn unindexed_status(status: ConversationStatus) -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(format!(
        "\"conversations\".\"status\" || '' = '{}'",
        status.as_str()
    ))
}

/// Who reads messages: the team sees internal notes, the contact never does.
fn reader_of(include_internal: bool) -> switchboard_domain::Reader {
    if include_internal {
        switchboard_domain::Reader::Team
    } else {
        switchboard_domain::Reader::Contact
    }
}
