//! Contacts: who writes to us, found by a channel identity; new web visitors start a
//! conversation; agents search contacts.

use super::read::summaries_of;
use super::write::{retrying, Tx};
use crate::error::{EngineError, Result};
use crate::store::entities::{channel_identity, contact, conversation, message};
use crate::store::{codec, Backend};
use crate::Engine;
use sea_orm::sea_query::{Expr, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use switchboard_domain::conversation::{start, NewConversation};
use switchboard_domain::{Channel, ContactDetails, Message, MessageBody};
use switchboard_wire::inbox::ContactHit;
use switchboard_wire::ConversationSummary;
use uuid::Uuid;

/// The contact behind an identity, as commands name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    pub id: Uuid,
    pub name: String,
}

/// Where a web start comes from, and what bounds it.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The hash of the nonce the widget was given: a retry must bring the same.
    pub start_key: Option<String>,
    /// A keyed hash of the client's address.
    pub started_from: Option<String>,
    /// How many open chats one email and one address may hold (none: unbounded, for
    /// clients on the server's own machine).
    pub caps: Option<OpenCaps>,
}

#[derive(Debug, Clone, Copy)]
pub struct OpenCaps {
    pub per_email: u64,
    pub per_address: u64,
}

/// How a web conversation begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartKind {
    /// A live chat: it goes to routing.
    Chat,
    /// The offline form: stored as a lead for agents to follow up.
    Lead,
}

/// A started (or, for a retry, the already started) web conversation.
#[derive(Debug, Clone)]
pub struct WebStart {
    pub visitor_id: Uuid,
    pub conversation_id: Uuid,
    pub first: Message,
}

/// Remembered visitor → contact answers (with when the visitor's tokens were last revoked);
/// the map is bounded by being emptied when full. A web identity moves only when its contact
/// is merged into another, and is revoked only when an agent signs the visitor out: both
/// forget that contact's answers on their node, and every node's dispatcher does when it
/// reads the event (an answer that went stale meanwhile is caught where it is used: see
/// `owner_of`, and the sockets' recheck).
#[derive(Default)]
pub(crate) struct VisitorCache(std::sync::Mutex<HashMap<Uuid, Known>>);

#[derive(Clone)]
struct Known {
    contact: ContactRef,
    revoked_before: Option<i64>,
}

const VISITORS_KEPT: usize = 100_000;

impl VisitorCache {
    fn get(&self, visitor: Uuid) -> Option<Known> {
        self.0.lock().ok()?.get(&visitor).cloned()
    }

    fn put(&self, visitor: Uuid, known: &Known) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= VISITORS_KEPT {
                map.clear();
            }
            map.insert(visitor, known.clone());
        }
    }

    fn forget(&self, visitor: Uuid) {
        if let Ok(mut map) = self.0.lock() {
            map.remove(&visitor);
        }
    }

    /// Forgets every visitor of a contact (merged into another).
    pub(crate) fn forget_contact(&self, contact: Uuid) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, k| k.contact.id != contact);
        }
    }
}

#[derive(sea_orm::FromQueryResult)]
struct KnownRow {
    id: Uuid,
    name: String,
    revoked_before: Option<i64>,
}

impl Engine {
    /// The contact a web visitor's token speaks for: `None` for a visitor we never knew, or
    /// a token issued (at `issued_at`, Unix ms) before an agent signed the visitor out.
    pub async fn contact_of_visitor(
        &self,
        visitor_id: Uuid,
        issued_at: i64,
    ) -> Result<Option<ContactRef>> {
        let known = match self.visitors().get(visitor_id) {
            Some(known) => Some(known),
            None => self.read_visitor(visitor_id).await?,
        };
        Ok(known
            .filter(|k| k.revoked_before.is_none_or(|before| issued_at >= before))
            .map(|k| k.contact))
    }

    async fn read_visitor(&self, visitor_id: Uuid) -> Result<Option<Known>> {
        // One query: the identity's contact.
        let found: Option<KnownRow> = contact::Entity::find()
            .select_only()
            .column(contact::Column::Id)
            .column(contact::Column::Name)
            .column(channel_identity::Column::RevokedBefore)
            .join_rev(
                sea_orm::JoinType::InnerJoin,
                channel_identity::Entity::belongs_to(contact::Entity)
                    .from(channel_identity::Column::ContactId)
                    .to(contact::Column::Id)
                    .into(),
            )
            .filter(channel_identity::Column::Channel.eq(Channel::Web.as_str()))
            .filter(channel_identity::Column::Address.eq(visitor_id.to_string()))
            .into_model()
            .one(&self.db().read)
            .await?;
        let found = found.map(|n| Known {
            contact: ContactRef {
                id: n.id,
                name: n.name,
            },
            revoked_before: n.revoked_before,
        });
        if let Some(k) = &found {
            self.visitors().put(visitor_id, k);
        }
        Ok(found)
    }

    /// Whether a visitor's socket may stay open: its token still speaks for someone (which
    /// contact, after a merge, the socket follows on its own). A sign-out forgets the
    /// remembered answers on every node before their sockets check.
    pub async fn visitor_may_stay(&self, visitor_id: Uuid, issued_at: i64) -> Result<bool> {
        Ok(self
            .contact_of_visitor(visitor_id, issued_at)
            .await?
            .is_some())
    }

    /// Signs the conversation's contact out of the chat widget on every device: tokens
    /// issued until now stop working, open widgets close (on every node), and agents get a
    /// note. One transaction.
    pub async fn sign_out_visitor(
        &self,
        agent: switchboard_domain::conversation::AgentRef,
        conversation_id: Uuid,
    ) -> Result<()> {
        use super::write::Lock;
        use switchboard_domain::conversation::{decide, Command};
        let contact = retrying(|| {
            let agent = agent.clone();
            async move {
                let now = crate::now();
                let mut tx = Tx::begin(self).await?;
                let state = tx
                    .load(conversation_id, Lock::Wait)
                    .await?
                    .ok_or(EngineError::NotFound(crate::Missing::Conversation))?;
                let revoked = channel_identity::Entity::update_many()
                    .col_expr(
                        channel_identity::Column::RevokedBefore,
                        Expr::value(Some(now + 1)),
                    )
                    .filter(channel_identity::Column::ContactId.eq(state.contact_id))
                    .filter(channel_identity::Column::Channel.eq(Channel::Web.as_str()))
                    .exec(&tx.txn)
                    .await?
                    .rows_affected;
                if revoked == 0 {
                    return Err(crate::error::Rule::NoWidgetVisitor.into());
                }
                let decision = decide(
                    &state,
                    &Command::SignOutVisitor { agent },
                    now,
                    &mut Uuid::now_v7,
                )?;
                tx.apply(&state, decision, now).await?;
                tx.commit().await?;
                Ok(state.contact_id)
            }
        })
        .await?;
        self.visitors().forget_contact(contact);
        tracing::info!(conversation = %conversation_id, %contact, "visitor signed out of the widget");
        Ok(())
    }

    /// A contact's name (as their messages carry it).
    pub async fn contact_name(&self, contact_id: Uuid) -> Result<String> {
        contact::Entity::find_by_id(contact_id)
            .one(&self.db().read)
            .await?
            .map(|c| c.name)
            .ok_or(EngineError::NotFound(crate::Missing::Contact))
    }

    /// Starts a web conversation for a new visitor: contact, web identity, conversation, first
    /// message, events and routing work in one transaction. A retry with the same
    /// `client_msg_id`, email and `start_key` (the hash of the nonce the widget was given)
    /// returns the conversation already made; without the same key, it is refused: a first
    /// message's id and the email are no way into someone else's chat.
    pub async fn start_web_conversation(
        &self,
        details: &ContactDetails,
        first: &MessageBody,
        client_msg_id: Uuid,
        kind: StartKind,
        options: &StartOptions,
    ) -> Result<WebStart> {
        let start_key = options.start_key.as_deref();
        let started_from = options.started_from.as_deref();
        if let Some(existing) = self.find_started(details, client_msg_id, start_key).await? {
            return Ok(existing);
        }
        if let Some(caps) = options.caps {
            let (by_email, by_address) = self.open_web_chats(&details.email, started_from).await?;
            if by_email >= caps.per_email || by_address >= caps.per_address {
                return Err(crate::error::Rule::TooManyOpenChats.into());
            }
        }
        retrying(|| async {
            let now = crate::now();
            let visitor_id = Uuid::new_v4();
            let contact_id = Uuid::now_v7();
            let mut tx = Tx::begin(self).await?;
            contact::ActiveModel {
                id: Set(contact_id),
                name: Set(details.name.clone()),
                email: Set(Some(details.email.clone())),
                phone: Set(details.phone.clone()),
                created_at: Set(now),
                merged_into: Set(None),
            }
            .insert(&tx.txn)
            .await?;
            channel_identity::ActiveModel {
                id: Set(Uuid::now_v7()),
                contact_id: Set(contact_id),
                channel: Set(Channel::Web.as_str().into()),
                address: Set(visitor_id.to_string()),
                created_at: Set(now),
                start_key: Set(start_key.map(str::to_owned)),
                revoked_before: Set(None),
                started_from: Set(started_from.map(str::to_owned)),
            }
            .insert(&tx.txn)
            .await?;
            let started = start(
                NewConversation {
                    id: Uuid::now_v7(),
                    contact_id,
                    contact_name: details.name.clone(),
                    channel: Channel::Web,
                    lead: kind == StartKind::Lead,
                    first: first.clone(),
                    client_msg_id: Some(client_msg_id),
                    post: None,
                    attachment: None,
                },
                now,
                &mut Uuid::now_v7,
            );
            tx.insert_started(&started, now).await?;
            conversation::Entity::update_many()
                .col_expr(
                    conversation::Column::VisitorId,
                    sea_orm::sea_query::Expr::value(Some(visitor_id)),
                )
                .filter(conversation::Column::Id.eq(started.state.id))
                .exec(&tx.txn)
                .await?;
            tx.commit().await?;
            let first = started
                .events
                .iter()
                .find_map(|e| match e {
                    switchboard_domain::conversation::Event::MessageAppended { message } => {
                        Some(message.clone())
                    }
                    _ => None,
                })
                .ok_or_else(|| EngineError::Internal("a start without its first message".into()))?;
            Ok(WebStart {
                visitor_id,
                conversation_id: started.state.id,
                first,
            })
        })
        .await
    }

    /// How many chats are open (not closed) for contacts with this email, and for visitors
    /// who started from this address (its keyed hash): what bounds a flood of starts.
    pub async fn open_web_chats(
        &self,
        email: &str,
        started_from: Option<&str>,
    ) -> Result<(u64, u64)> {
        use sea_orm::sea_query::Query;
        use sea_orm::PaginatorTrait;
        let open = |contacts: sea_orm::sea_query::SelectStatement| {
            conversation::Entity::find()
                .filter(
                    conversation::Column::Status
                        .ne(switchboard_domain::ConversationStatus::Closed.as_str()),
                )
                .filter(conversation::Column::ContactId.in_subquery(contacts))
        };
        let db = &self.db().read;
        let by_email = open(
            Query::select()
                .column(contact::Column::Id)
                .from(contact::Entity)
                .and_where(contact::Column::Email.eq(email))
                .to_owned(),
        )
        .count(db)
        .await?;
        let by_address = match started_from {
            None => 0,
            Some(key) => {
                open(
                    Query::select()
                        .column(channel_identity::Column::ContactId)
                        .from(channel_identity::Entity)
                        .and_where(channel_identity::Column::StartedFrom.eq(key))
                        .to_owned(),
                )
                .count(db)
                .await?
            }
        };
        Ok((by_email, by_address))
    }

    /// A start already stored under this client id, if the same widget (the same start key)
    /// asks again for the same person (email).
    async fn find_started(
        &self,
        details: &ContactDetails,
        client_msg_id: Uuid,
        start_key: Option<&str>,
    ) -> Result<Option<WebStart>> {
        let db = &self.db().read;
        let Some(first) = message::Entity::find()
            .filter(message::Column::ClientMsgId.eq(client_msg_id))
            .filter(message::Column::Seq.eq(1))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let conv = conversation::Entity::find_by_id(first.conversation_id)
            .one(db)
            .await?
            .ok_or_else(|| EngineError::Internal("message without conversation".into()))?;
        let person = contact::Entity::find_by_id(conv.contact_id).one(db).await?;
        if person.and_then(|c| c.email).as_deref() != Some(details.email.as_str()) {
            return Err(EngineError::Invalid(crate::error::Rule::StartIdTaken));
        }
        let mut identity = channel_identity::Entity::find()
            .filter(channel_identity::Column::ContactId.eq(conv.contact_id))
            .filter(channel_identity::Column::Channel.eq(Channel::Web.as_str()));
        if let Some(visitor) = conv.visitor_id {
            identity = identity.filter(channel_identity::Column::Address.eq(visitor.to_string()));
        }
        let identity = identity.one(db).await?.ok_or_else(|| {
            EngineError::Corrupt("web conversation without a web identity".into())
        })?;
        // Hashes of random nonces: comparing them in constant time would protect nothing.
        if start_key.is_none() || identity.start_key.as_deref() != start_key {
            return Err(EngineError::Invalid(crate::error::Rule::StartIdTaken));
        }
        let visitor_id = Uuid::parse_str(&identity.address)
            .map_err(|e| EngineError::Corrupt(format!("channel_identities.address: {e}")))?;
        Ok(Some(WebStart {
            visitor_id,
            conversation_id: conv.id,
            first: codec::message_of(first)?,
        }))
    }

    /// Whether a conversation belongs to this contact (what a visitor may read and write).
    pub async fn conversation_of_contact(
        &self,
        conversation_id: Uuid,
        contact_id: Uuid,
    ) -> Result<bool> {
        Ok(conversation::Entity::find_by_id(conversation_id)
            .select_only()
            .column(conversation::Column::ContactId)
            .into_tuple::<Uuid>()
            .one(&self.db().read)
            .await?
            .is_some_and(|c| c == contact_id))
    }

    /// The contact a web visitor speaks for in this conversation, if it is theirs. An answer
    /// remembered from before their contact was merged is read again once.
    pub async fn owner_of(
        &self,
        visitor_id: Uuid,
        issued_at: i64,
        conversation_id: Uuid,
    ) -> Result<Option<ContactRef>> {
        for fresh in [false, true] {
            if fresh {
                self.visitors().forget(visitor_id);
            }
            let Some(contact) = self.contact_of_visitor(visitor_id, issued_at).await? else {
                return Ok(None);
            };
            if self
                .conversation_of_contact(conversation_id, contact.id)
                .await?
            {
                return Ok(Some(contact));
            }
        }
        Ok(None)
    }

    /// The contact in use for `contact_id`: itself, or the one it was merged into.
    pub async fn current_contact(&self, contact_id: Uuid) -> Result<Option<Uuid>> {
        let row: Option<(Uuid, Option<Uuid>)> = contact::Entity::find_by_id(contact_id)
            .select_only()
            .column(contact::Column::Id)
            .column(contact::Column::MergedInto)
            .into_tuple()
            .one(&self.db().read)
            .await?;
        Ok(row.map(|(id, merged)| merged.unwrap_or(id)))
    }

    /// A contact's conversations, the latest first (previous chats, and a merged contact's
    /// whole history).
    pub async fn contact_conversations(
        &self,
        contact_id: Uuid,
        limit: u64,
    ) -> Result<Vec<ConversationSummary>> {
        let db = &self.db().read;
        let rows = conversation::Entity::find()
            .filter(conversation::Column::ContactId.eq(contact_id))
            .order_by_desc(conversation::Column::LastMessageAt)
            .order_by_desc(conversation::Column::Id)
            .limit(limit)
            .all(db)
            .await?;
        // In the rows' order.
        summaries_of(db, &rows).await
    }

    /// Contacts whose name, email or phone contains `query` (case-insensitive), each with
    /// their latest conversation: one query for the contacts, one for their conversations.
    ///
    /// The contacts' query is answered by a trigram index (`m019_scale_indexes`): on SQLite
    /// the FTS5 table `contact_search` (a quoted phrase matches as a substring), on
    /// PostgreSQL `pg_trgm` indexes on the very expressions compared here. A two-character
    /// query has no trigram and reads the contacts instead.
    pub async fn search_contacts(&self, query: &str, limit: u64) -> Result<Vec<ContactHit>> {
        let db = &self.db().read;
        let q = query.trim().to_lowercase();
        if q.chars().count() < 2 {
            return Ok(vec![]);
        }
        let digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
        let cond = if self.db().backend == Backend::Sqlite && q.chars().count() >= 3 {
            // FTS5: a string in double quotes is taken literally (its quotes doubled).
            let phrase = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
            let mut matching = format!("{{name email}} : {}", phrase(&q));
            if digits.len() >= 3 {
                matching.push_str(&format!(" OR phone : {}", phrase(&digits)));
            }
            Condition::all().add(Expr::cust_with_values(
                "\"contacts\".\"rowid\" IN \
                 (SELECT rowid FROM contact_search WHERE contact_search MATCH ?)",
                [matching],
            ))
        } else {
            let escaped = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            let like = |col: contact::Column| -> SimpleExpr {
                Expr::expr(Func::lower(Expr::col(col)))
                    .like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            let mut cond = Condition::any()
                .add(like(contact::Column::Name))
                .add(like(contact::Column::Email));
            if digits.len() >= 3 {
                cond = cond.add(contact::Column::Phone.contains(&digits));
            }
            cond
        };
        let contacts = contact::Entity::find()
            .filter(cond)
            .filter(contact::Column::MergedInto.is_null())
            .order_by_asc(contact::Column::Name)
            .limit(limit)
            .all(db)
            .await?;
        let ids: Vec<Uuid> = contacts.iter().map(|c| c.id).collect();
        let mut latest: HashMap<Uuid, conversation::Model> = HashMap::new();
        if !ids.is_empty() {
            for row in conversation::Entity::find()
                .filter(conversation::Column::ContactId.is_in(ids))
                .order_by_asc(conversation::Column::CreatedAt)
                .all(db)
                .await?
            {
                latest.insert(row.contact_id, row);
            }
        }
        let rows: Vec<conversation::Model> = latest.values().cloned().collect();
        let mut summaries: HashMap<Uuid, ConversationSummary> = summaries_of(db, &rows)
            .await?
            .into_iter()
            .map(|s| (s.contact_id, s))
            .collect();
        Ok(contacts
            .into_iter()
            .map(|c| ContactHit {
                conversation: summaries.remove(&c.id),
                contact_id: c.id,
                name: c.name,
                email: c.email,
                phone: c.phone,
            })
            .collect())
    }
}
