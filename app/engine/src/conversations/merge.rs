//! Merging contacts ("Unite"): the same person wrote from two places, and an agent files them
//! as one. One transaction moves every conversation of the merged contact to the kept one (a
//! domain command per conversation: its event and an agents-only note on its timeline), moves
//! the merged contact's identities (web visitor ids, numbers, provider ids), fills the kept
//! contact's missing email and phone, and points the merged contact (and any merged into it
//! before) at the kept one. Nothing is merged without an agent confirming it: contacts that
//! share a phone number or an email are only suggested.

use super::write::{retrying, Lock, Tx};
use crate::error::{EngineError, Missing, Result, Rule};
use crate::store::entities::{channel_identity, contact, conversation};
use crate::store::{codec, Backend};
use crate::Engine;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use switchboard_domain::conversation::switch::readable_number;
use switchboard_domain::conversation::{decide, AgentRef, Command};
use switchboard_domain::Channel;
use switchboard_wire::inbox::{ContactCard, ContactIdentity, MergeCandidate};
use uuid::Uuid;

/// Suggestions shown at most (people rarely have more than a couple of duplicates).
const CANDIDATES_MAX: u64 = 5;

impl Engine {
    /// A contact as the merge dialog shows it. A contact merged away is not found: it is part
    /// of another one now.
    pub async fn contact_card(&self, contact_id: Uuid) -> Result<ContactCard> {
        let db = &self.db().read;
        let row = contact::Entity::find_by_id(contact_id)
            .filter(contact::Column::MergedInto.is_null())
            .one(db)
            .await?
            .ok_or(EngineError::NotFound(Missing::Contact))?;
        Ok(cards_of(db, vec![row]).await?.remove(0))
    }

    /// Other contacts in use that share this contact's email or phone number.
    pub async fn merge_candidates(&self, contact_id: Uuid) -> Result<Vec<MergeCandidate>> {
        let db = &self.db().read;
        let Some(me) = contact::Entity::find_by_id(contact_id)
            .filter(contact::Column::MergedInto.is_null())
            .one(db)
            .await?
        else {
            return Ok(vec![]);
        };
        if me.email.is_none() && me.phone.is_none() {
            return Ok(vec![]);
        }
        let mut same = Condition::any();
        if let Some(email) = &me.email {
            same = same.add(contact::Column::Email.eq(email.as_str()));
        }
        if let Some(phone) = &me.phone {
            same = same.add(contact::Column::Phone.eq(phone.as_str()));
        }
        let rows = contact::Entity::find()
            .filter(same)
            .filter(contact::Column::Id.ne(contact_id))
            .filter(contact::Column::MergedInto.is_null())
            .order_by_asc(contact::Column::CreatedAt)
            .limit(CANDIDATES_MAX)
            .all(db)
            .await?;
        Ok(cards_of(db, rows)
            .await?
            .into_iter()
            .map(|card| MergeCandidate {
                same_email: me.email.is_some() && card.email == me.email,
                same_phone: me.phone.is_some() && card.phone == me.phone,
                card,
            })
            .collect())
    }

    /// Merges `merge` into `keep`, in one transaction; returns the kept contact as it is now.
    pub async fn merge_contacts(
        &self,
        agent: AgentRef,
        keep: Uuid,
        merge: Uuid,
    ) -> Result<ContactCard> {
        if keep == merge {
            return Err(Rule::MergeSame.into());
        }
        let moved = retrying(|| {
            let agent = agent.clone();
            async move {
                let now = crate::now();
                let mut tx = Tx::begin(self).await?;
                let kept = locked_contact(&tx, keep).await?;
                let merged = locked_contact(&tx, merge).await?;
                for c in [&kept, &merged] {
                    if c.merged_into.is_some() {
                        return Err(Rule::AlreadyMerged(c.name.clone()).into());
                    }
                }
                let ids: Vec<Uuid> = conversation::Entity::find()
                    .select_only()
                    .column(conversation::Column::Id)
                    .filter(conversation::Column::ContactId.eq(merge))
                    .order_by_asc(conversation::Column::Id)
                    .into_tuple()
                    .all(&tx.txn)
                    .await?;
                let command = Command::MergeContact {
                    agent,
                    from_name: merged.name.clone(),
                    into: keep,
                    into_name: kept.name.clone(),
                };
                for id in &ids {
                    let state = tx
                        .load(*id, Lock::Wait)
                        .await?
                        .ok_or(EngineError::NotFound(Missing::Conversation))?;
                    let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
                    tx.apply(&state, decision, now).await?;
                }
                channel_identity::Entity::update_many()
                    .col_expr(channel_identity::Column::ContactId, Expr::value(keep))
                    .filter(channel_identity::Column::ContactId.eq(merge))
                    .exec(&tx.txn)
                    .await?;
                let mut fill = contact::Entity::update_many().filter(contact::Column::Id.eq(keep));
                let mut filled = false;
                if kept.email.is_none() && merged.email.is_some() {
                    fill = fill.col_expr(contact::Column::Email, Expr::value(merged.email.clone()));
                    filled = true;
                }
                if kept.phone.is_none() && merged.phone.is_some() {
                    fill = fill.col_expr(contact::Column::Phone, Expr::value(merged.phone.clone()));
                    filled = true;
                }
                if filled {
                    fill.exec(&tx.txn).await?;
                }
                contact::Entity::update_many()
                    .col_expr(contact::Column::MergedInto, Expr::value(Some(keep)))
                    .filter(
                        Condition::any()
                            .add(contact::Column::Id.eq(merge))
                            .add(contact::Column::MergedInto.eq(merge)),
                    )
                    .exec(&tx.txn)
                    .await?;
                tx.commit().await?;
                Ok(ids.len())
            }
        })
        .await?;
        self.visitors().forget_contact(merge);
        tracing::info!(%keep, %merge, conversations = moved, "contacts merged");
        self.contact_card(keep).await
    }
}

/// A contact read inside the transaction, its row locked on PostgreSQL (two merges of one
/// contact at once: the second waits, then finds it merged).
async fn locked_contact(tx: &Tx, id: Uuid) -> Result<contact::Model> {
    let mut select = contact::Entity::find_by_id(id);
    if tx.backend() == Backend::Postgres {
        select = select.lock_exclusive();
    }
    select
        .one(&tx.txn)
        .await?
        .ok_or(EngineError::NotFound(Missing::Contact))
}

/// Cards for contacts: their identities and conversation counts in two queries.
async fn cards_of<C: ConnectionTrait>(
    db: &C,
    rows: Vec<contact::Model>,
) -> Result<Vec<ContactCard>> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let mut identities: HashMap<Uuid, Vec<ContactIdentity>> = HashMap::new();
    for i in channel_identity::Entity::find()
        .filter(channel_identity::Column::ContactId.is_in(ids.clone()))
        .order_by_asc(channel_identity::Column::CreatedAt)
        .all(db)
        .await?
    {
        let channel = codec::parse("channel_identities", "channel", &i.channel, Channel::parse)?;
        let address = match channel {
            Channel::Web => "Web chat".to_string(),
            Channel::Sms | Channel::Whatsapp if i.address.starts_with('+') => {
                readable_number(&i.address)
            }
            Channel::Sms | Channel::Whatsapp => readable_number(&format!("+{}", i.address)),
            _ => i.address,
        };
        let list = identities.entry(i.contact_id).or_default();
        let identity = ContactIdentity { channel, address };
        if !list.contains(&identity) {
            list.push(identity);
        }
    }
    let mut counts: HashMap<Uuid, (u32, Option<i64>)> = HashMap::new();
    #[derive(sea_orm::FromQueryResult)]
    struct Tally {
        contact_id: Uuid,
        n: i64,
        last: Option<i64>,
    }
    let tallies: Vec<Tally> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::ContactId)
        .column_as(conversation::Column::Id.count(), "n")
        .column_as(conversation::Column::LastMessageAt.max(), "last")
        .filter(conversation::Column::ContactId.is_in(ids))
        .group_by(conversation::Column::ContactId)
        .into_model()
        .all(db)
        .await?;
    for t in tallies {
        let n = u32::try_from(t.n)
            .map_err(|_| EngineError::Corrupt(format!("conversation count {}", t.n)))?;
        counts.insert(t.contact_id, (n, t.last));
    }
    Ok(rows
        .into_iter()
        .map(|c| {
            let (conversations, last_active) = counts.get(&c.id).copied().unwrap_or((0, None));
            ContactCard {
                identities: identities.remove(&c.id).unwrap_or_default(),
                id: c.id,
                name: c.name,
                email: c.email,
                phone: c.phone,
                conversations,
                last_active,
                created_at: c.created_at,
            }
        })
        .collect())
}
