//! Webhook events: stored once by the provider's key (the webhook is answered as soon as they
//! are), then processed from the database by the reactor, each in one transaction that also
//! marks it done: a contact found by their channel identity (or created), their conversation
//! on this account (or a new one, routed like a web chat), and one message per display item;
//! delivery receipts move our messages forward.

use crate::conversations::write::{retrying, Job, Lock, Tx};
use crate::error::{EngineError, Result};
use crate::store::codec;
use crate::store::entities::{
    channel_identity, contact, conversation_link, inbound_event, message, post, provider_message,
};
use crate::Engine;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use switchboard_channels::{ContactMessage, DisplayItem, Inbound, InboundEvent, StatusUpdate};
use switchboard_domain::conversation::{
    decide, start, Author, Command, ConversationState, NewConversation,
};
use switchboard_domain::message::BODY_MAX_CHARS;
use switchboard_domain::{
    Channel, ContactChange, Delivery, DeliveryStatus, MessageBody, Millis, SenderKind, Visibility,
};
use uuid::Uuid;

/// Events processed per pass of the reactor's `inbound` job.
const BATCH: u64 = 50;
/// An event that failed this many times is set aside (kept, with its last error).
const GIVE_UP_AFTER: i64 = 8;

/// UUIDv5 namespace for the client ids of inbound messages: one provider key, one message.
const INBOUND_NS: Uuid = Uuid::from_u128(0x5b1d_0c4e_7a2f_4d38_9c61_2e8f_a0b3_c7d5);

/// How long a new contact's profile lookup may hold up their first message.
const PROFILE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

impl Engine {
    /// Stores a webhook's events, each once by its provider key, and asks the reactor to
    /// process them; one transaction. Returns how many were new (a retried webhook: 0).
    pub async fn receive(&self, events: &[Inbound]) -> Result<usize> {
        if events.is_empty() {
            return Ok(0);
        }
        let mut payloads = Vec::with_capacity(events.len());
        for e in events {
            payloads.push(
                serde_json::to_string(e)
                    .map_err(|e| EngineError::Internal(format!("inbound event: {e}")))?,
            );
        }
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let mut new = 0;
            for (e, payload) in events.iter().zip(&payloads) {
                let inserted = inbound_event::Entity::insert(inbound_event::ActiveModel {
                    dedupe_key: Set(e.key.as_str().to_string()),
                    channel: Set(e.channel.as_str().into()),
                    account: Set(e.account.clone()),
                    payload: Set(payload.clone()),
                    received_at: Set(now),
                    processed_at: Set(None),
                    attempts: Set(0),
                    last_error: Set(None),
                    ..Default::default()
                })
                .on_conflict(
                    OnConflict::column(inbound_event::Column::DedupeKey)
                        .do_nothing()
                        .to_owned(),
                )
                .do_nothing()
                .exec_without_returning(&tx.txn)
                .await?;
                new += matches!(inserted, sea_orm::TryInsertResult::Inserted(n) if n > 0) as usize;
            }
            if new > 0 {
                tx.enqueue_job(
                    Job {
                        kind: "inbound",
                        conversation: None,
                        message: None,
                        key: "inbound".into(),
                    },
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(new)
        })
        .await
    }

    /// The reactor's `inbound` job: processes pending events in order until none is left.
    /// An event that fails stays pending (the job is tried again later); after
    /// `GIVE_UP_AFTER` failures it is set aside with its error.
    pub(crate) async fn process_inbound(&self) -> Result<()> {
        let mut failed = None;
        let mut after = 0i64;
        loop {
            let rows = inbound_event::Entity::find()
                .filter(inbound_event::Column::ProcessedAt.is_null())
                .filter(inbound_event::Column::Id.gt(after))
                .order_by_asc(inbound_event::Column::Id)
                .limit(BATCH)
                .all(&self.db().write)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for row in rows {
                if let Err(e) = retrying(|| self.process_one(&row)).await {
                    let attempts = row.attempts + 1;
                    let give_up = attempts >= GIVE_UP_AFTER || matches!(e, EngineError::Corrupt(_));
                    tracing::warn!(error = %e, event = row.id, key = row.dedupe_key, attempts, give_up, "inbound event failed");
                    inbound_event::Entity::update_many()
                        .col_expr(inbound_event::Column::Attempts, Expr::value(attempts))
                        .col_expr(inbound_event::Column::LastError, Expr::value(e.to_string()))
                        .col_expr(
                            inbound_event::Column::ProcessedAt,
                            Expr::value(give_up.then(crate::now)),
                        )
                        .filter(inbound_event::Column::Id.eq(row.id))
                        .exec(&self.db().write)
                        .await?;
                    if !give_up {
                        failed = Some(e);
                    }
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// One event, in one transaction that also marks it processed (so it is done once, even
    /// if two nodes pick it up).
    async fn process_one(&self, row: &inbound_event::Model) -> Result<()> {
        let now = crate::now();
        let event: Inbound = serde_json::from_str(&row.payload)
            .map_err(|e| EngineError::Corrupt(format!("inbound_events.payload {}: {e}", row.id)))?;
        // A contact the webhook names by id only gets their name from the provider, asked
        // before the transaction (a call to a provider never holds one open).
        let profile = match &event.event {
            InboundEvent::Message(m) if row.processed_at.is_none() => {
                self.profile_name(&event, m).await
            }
            _ => None,
        };
        let mut tx = Tx::begin(self).await?;
        let claimed = inbound_event::Entity::update_many()
            .col_expr(inbound_event::Column::ProcessedAt, Expr::value(now))
            .filter(inbound_event::Column::Id.eq(row.id))
            .filter(inbound_event::Column::ProcessedAt.is_null())
            .exec(&tx.txn)
            .await?;
        if claimed.rows_affected == 0 {
            return Ok(()); // done meanwhile
        }
        match &event.event {
            InboundEvent::Message(m) => {
                self.contact_wrote(&mut tx, &event, m, profile, now).await?
            }
            InboundEvent::Status(s) => self.status_reported(&mut tx, event.channel, s, now).await?,
            InboundEvent::Watermark {
                contact,
                status,
                up_to_ms,
            } => {
                self.watermark(&mut tx, &event, contact, *status, *up_to_ms, now)
                    .await?
            }
            InboundEvent::CommentChanged(c) => {
                use switchboard_channels::CommentChangeKind as K;
                let change = match &c.change {
                    // An edit that names no text changes nothing we can show.
                    K::Edited { text: None } => None,
                    K::Edited { text: Some(text) } => Some(ContactChange::Edited {
                        text: body(text)?.into_inner(),
                    }),
                    K::Removed => Some(ContactChange::Withdrawn),
                    K::Hidden => Some(ContactChange::Hidden),
                    K::Unhidden => Some(ContactChange::Unhidden),
                };
                if let Some(change) = change {
                    self.contact_changed(&mut tx, event.channel, &c.comment_id, change, now)
                        .await?
                }
            }
            InboundEvent::MessageDeleted {
                provider_message_id,
            } => {
                self.contact_changed(
                    &mut tx,
                    event.channel,
                    provider_message_id,
                    ContactChange::Withdrawn,
                    now,
                )
                .await?
            }
            // Kept as received; nothing in a conversation changes.
            InboundEvent::Echo(_) | InboundEvent::Ignored(_) => {
                tracing::debug!(key = event.key.as_str(), "inbound event needs no change")
            }
        }
        tx.commit().await
    }

    /// The name of a new contact the webhook names by id only (Messenger, Instagram), from the
    /// provider's profile; none when they are known already, the channel names its contacts,
    /// or the provider does not answer in time (the id is shown until an agent renames them).
    async fn profile_name(&self, event: &Inbound, m: &ContactMessage) -> Option<String> {
        if m.from.display_name.is_some() || m.from.username.is_some() {
            return None;
        }
        let set = self.channels();
        let connected = set.reached(event.channel, &event.account)?;
        let request = connected
            .adapter
            .profile_request(&m.from.address, &connected.account)?;
        let known = channel_identity::Entity::find()
            .filter(channel_identity::Column::Channel.eq(event.channel.as_str()))
            .filter(channel_identity::Column::Address.eq(m.from.address.as_str()))
            .one(&self.db().read)
            .await
            .ok()?;
        if known.is_some() {
            return None;
        }
        match self.call(&request, PROFILE_TIMEOUT).await {
            Ok((200, _, body)) => connected.adapter.read_profile(&body),
            Ok((status, _, _)) => {
                tracing::debug!(
                    status,
                    channel = event.channel.as_str(),
                    "no profile for a new contact"
                );
                None
            }
            Err(e) => {
                tracing::debug!(error = %e, channel = event.channel.as_str(), "no profile for a new contact");
                None
            }
        }
    }

    /// A contact's message: their contact, their conversation, one message per item.
    async fn contact_wrote(
        &self,
        tx: &mut Tx,
        event: &Inbound,
        m: &ContactMessage,
        profile: Option<String>,
        now: Millis,
    ) -> Result<()> {
        let channel = event.channel;
        let Some(account) = self.channels().reached(channel, &event.account) else {
            tracing::warn!(
                channel = channel.as_str(),
                account = event.account,
                "a message reached an account that is not connected; dropped"
            );
            return Ok(());
        };
        let account = account.account.address.clone();
        let thread = m.comment.as_ref().map(|c| c.post_id.clone());
        let mut items: Vec<Item> = m.items(&event.key).iter().map(Item::of).collect();
        // A story reply says which story it answers (the link works for about a day).
        if let (
            Some(switchboard_channels::ReplyContext::Story { url, .. }),
            Some(Item { text: first, .. }),
        ) = (&m.reply_to, items.first_mut())
        {
            *first = match url {
                Some(url) => format!("[Replied to your story: {url}]\n{first}"),
                None => format!("[Replied to your story]\n{first}"),
            };
        }
        if items.is_empty() {
            return Ok(());
        }
        let (contact_id, contact_name) = self
            .contact_by_identity(tx, channel, m, profile, now)
            .await?;
        let at = m.sent_at_ms.unwrap_or(now);
        let link = conversation_link::Entity::find()
            .filter(conversation_link::Column::Channel.eq(channel.as_str()))
            .filter(conversation_link::Column::Account.eq(account.as_str()))
            .filter(conversation_link::Column::ContactAddress.eq(m.from.address.as_str()))
            .filter(match &thread {
                Some(t) => conversation_link::Column::Thread.eq(t.as_str()),
                None => conversation_link::Column::Thread.is_null(),
            })
            .order_by_desc(conversation_link::Column::CreatedAt)
            .one(&tx.txn)
            .await?;
        let mut items = items.into_iter();
        let mut appended = vec![];
        let mut state: ConversationState = match link {
            Some(link) => {
                conversation_link::Entity::update_many()
                    .col_expr(conversation_link::Column::LastInboundAt, Expr::value(at))
                    .filter(conversation_link::Column::ConversationId.eq(link.conversation_id))
                    .filter(conversation_link::Column::Channel.eq(channel.as_str()))
                    .exec(&tx.txn)
                    .await?;
                tx.load(link.conversation_id, Lock::Wait)
                    .await?
                    .ok_or(EngineError::NotFound(crate::Missing::Conversation))?
            }
            None => {
                let Some(item) = items.next() else {
                    return Ok(());
                };
                let post = match &thread {
                    Some(t) => Some(post_of(tx, channel, &account, t, now).await?),
                    None => None,
                };
                let started = start(
                    NewConversation {
                        id: Uuid::now_v7(),
                        contact_id,
                        contact_name: contact_name.clone(),
                        channel,
                        lead: false,
                        first: body(&item.text)?,
                        client_msg_id: Some(item.client_msg_id()),
                        post,
                        attachment: item.file.as_ref().map(|(a, _)| a.clone()),
                    },
                    now,
                    &mut Uuid::now_v7,
                );
                tx.insert_started(&started, now).await?;
                conversation_link::ActiveModel {
                    conversation_id: Set(started.state.id),
                    channel: Set(channel.as_str().into()),
                    account: Set(account.clone()),
                    contact_address: Set(m.from.address.clone()),
                    thread: Set(thread.clone()),
                    last_inbound_at: Set(Some(at)),
                    created_at: Set(now),
                }
                .insert(&tx.txn)
                .await?;
                let source = item.file.map(|(_, source)| source);
                appended.extend(
                    started
                        .events
                        .iter()
                        .filter_map(appended_id)
                        .map(|id| (id, source.clone())),
                );
                started.state
            }
        };
        // The conversation's link says whose it is: a chat switch may have brought a number
        // another contact also uses (merging them is the agent's call, never silent).
        let (contact_id, contact_name) = if state.contact_id == contact_id {
            (contact_id, contact_name)
        } else {
            let name = contact::Entity::find_by_id(state.contact_id)
                .one(&tx.txn)
                .await?
                .map(|c| c.name)
                .unwrap_or(contact_name);
            (state.contact_id, name)
        };
        for item in items {
            let client_msg_id = Some(item.client_msg_id());
            let command = match &item.file {
                Some((attachment, _)) => Command::ContactShares {
                    contact_id,
                    name: contact_name.clone(),
                    attachment: attachment.clone(),
                    client_msg_id,
                },
                None => Command::Append {
                    author: Author::Contact {
                        contact_id,
                        name: contact_name.clone(),
                        via: channel,
                    },
                    body: body(&item.text)?,
                    visibility: Visibility::Public,
                    client_msg_id,
                },
            };
            let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
            let outcome = tx.apply(&state, decision, now).await?;
            let source = item.file.map(|(_, source)| source);
            appended.extend(
                outcome
                    .events
                    .iter()
                    .filter_map(appended_id)
                    .map(|id| (id, source.clone())),
            );
            state = outcome.state;
        }
        // The provider's id on the first item (what receipts and replies name), the address
        // used on each, and where each file is fetched from.
        for (i, (id, source)) in appended.iter().enumerate() {
            if let Some(source) = source {
                let json = serde_json::to_string(source)
                    .map_err(|e| EngineError::Internal(format!("media source: {e}")))?;
                message::Entity::update_many()
                    .col_expr(message::Column::MediaSource, Expr::value(json))
                    .filter(message::Column::Id.eq(*id))
                    .exec(&tx.txn)
                    .await?;
            }
            let pmid = (i == 0).then(|| m.provider_message_id.clone());
            message::Entity::update_many()
                .col_expr(
                    message::Column::Address,
                    Expr::value(m.from.address.clone()),
                )
                .col_expr(
                    message::Column::ProviderMessageId,
                    Expr::value(pmid.clone()),
                )
                .filter(message::Column::Id.eq(*id))
                .exec(&tx.txn)
                .await?;
            if let Some(pmid) = pmid {
                provider_message::Entity::insert(provider_message::ActiveModel {
                    channel: Set(channel.as_str().into()),
                    provider_message_id: Set(pmid),
                    message_id: Set(*id),
                    conversation_id: Set(state.id),
                })
                .on_conflict(
                    OnConflict::columns([
                        provider_message::Column::Channel,
                        provider_message::Column::ProviderMessageId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .do_nothing()
                .exec(&tx.txn)
                .await?;
            }
        }
        Ok(())
    }

    /// The contact behind a channel identity; a new contact the first time.
    async fn contact_by_identity(
        &self,
        tx: &mut Tx,
        channel: Channel,
        m: &ContactMessage,
        profile: Option<String>,
        now: Millis,
    ) -> Result<(Uuid, String)> {
        let known = channel_identity::Entity::find()
            .filter(channel_identity::Column::Channel.eq(channel.as_str()))
            .filter(channel_identity::Column::Address.eq(m.from.address.as_str()))
            .one(&tx.txn)
            .await?;
        if let Some(identity) = known {
            let name = contact::Entity::find_by_id(identity.contact_id)
                .one(&tx.txn)
                .await?
                .map(|c| c.name)
                .ok_or(EngineError::NotFound(crate::Missing::Contact))?;
            return Ok((identity.contact_id, name));
        }
        let name = m
            .from
            .display_name
            .clone()
            .or_else(|| m.from.username.clone())
            .or(profile)
            // A provider's profile name is shown as any name: nothing that reverses text.
            .map(|n| switchboard_domain::contact::clean_name(&n))
            .map(|n| {
                n.chars()
                    .take(switchboard_domain::contact::NAME_MAX_CHARS)
                    .collect::<String>()
            })
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| m.from.address.clone());
        let phone =
            matches!(channel, Channel::Sms | Channel::Whatsapp).then(|| phone_of(&m.from.address));
        let contact_id = Uuid::now_v7();
        contact::ActiveModel {
            id: Set(contact_id),
            name: Set(name.clone()),
            email: Set(None),
            phone: Set(phone),
            created_at: Set(now),
            merged_into: Set(None),
        }
        .insert(&tx.txn)
        .await?;
        channel_identity::ActiveModel {
            id: Set(Uuid::now_v7()),
            contact_id: Set(contact_id),
            channel: Set(channel.as_str().into()),
            address: Set(m.from.address.clone()),
            created_at: Set(now),
            start_key: Set(None),
            revoked_before: Set(None),
            started_from: Set(None),
        }
        .insert(&tx.txn)
        .await?;
        Ok((contact_id, name))
    }

    /// A receipt for one of our messages: recorded if it is news (forward only).
    async fn status_reported(
        &self,
        tx: &mut Tx,
        channel: Channel,
        s: &StatusUpdate,
        now: Millis,
    ) -> Result<()> {
        let Some(ours) = provider_message::Entity::find_by_id((
            channel.as_str().to_string(),
            s.provider_message_id.clone(),
        ))
        .one(&tx.txn)
        .await?
        else {
            tracing::debug!(
                channel = channel.as_str(),
                id = s.provider_message_id,
                "a receipt for a message we did not send"
            );
            return Ok(());
        };
        let next = Delivery {
            status: s.status,
            reason: s.error.as_ref().map(|e| e.reason.clone()),
        };
        self.record_delivery(tx, ours.conversation_id, ours.message_id, next, now)
            .await
    }

    /// The contact edited, deleted or hid something they sent (a comment, an Instagram DM):
    /// the message shows it. Changes to our own messages, or to something we never stored
    /// (a comment from before the account was connected), change nothing. A comment an agent
    /// already deleted from the post stays as it is.
    async fn contact_changed(
        &self,
        tx: &mut Tx,
        channel: Channel,
        provider_id: &str,
        change: ContactChange,
        now: Millis,
    ) -> Result<()> {
        let Some(known) = provider_message::Entity::find_by_id((
            channel.as_str().to_string(),
            provider_id.to_string(),
        ))
        .one(&tx.txn)
        .await?
        else {
            tracing::debug!(
                channel = channel.as_str(),
                id = provider_id,
                "a change to something we never stored"
            );
            return Ok(());
        };
        let Some(row) = message::Entity::find_by_id(known.message_id)
            .one(&tx.txn)
            .await?
        else {
            return Ok(());
        };
        let theirs = row.sender_kind == SenderKind::Visitor.as_str();
        let settled = row.removed.unwrap_or(false)
            || row.altered.as_deref() == Some(switchboard_domain::Altered::Withdrawn.as_str());
        if !theirs || settled {
            return Ok(());
        }
        let state = tx
            .load(known.conversation_id, Lock::Wait)
            .await?
            .ok_or(EngineError::NotFound(crate::Missing::Conversation))?;
        let later = message::Entity::find()
            .filter(message::Column::ConversationId.eq(row.conversation_id))
            .filter(message::Column::Seq.gt(row.seq))
            .filter(message::Column::Visibility.eq(Visibility::Public.as_str()))
            .one(&tx.txn)
            .await?;
        let decision = decide(
            &state,
            &Command::ContactChanged {
                message_id: row.id,
                theirs,
                latest: later.is_none(),
                change,
            },
            now,
            &mut Uuid::now_v7,
        )?;
        tx.apply(&state, decision, now).await?;
        Ok(())
    }

    /// "Everything up to this time was delivered/read" (Messenger, Instagram).
    async fn watermark(
        &self,
        tx: &mut Tx,
        event: &Inbound,
        contact: &str,
        status: DeliveryStatus,
        up_to: Millis,
        now: Millis,
    ) -> Result<()> {
        let Some(account) = self.channels().reached(event.channel, &event.account) else {
            return Ok(());
        };
        let links = conversation_link::Entity::find()
            .filter(conversation_link::Column::Channel.eq(event.channel.as_str()))
            .filter(conversation_link::Column::Account.eq(account.account.address.as_str()))
            .filter(conversation_link::Column::ContactAddress.eq(contact))
            .all(&tx.txn)
            .await?;
        for link in links {
            let ours = message::Entity::find()
                .filter(message::Column::ConversationId.eq(link.conversation_id))
                .filter(message::Column::Channel.eq(event.channel.as_str()))
                .filter(message::Column::SenderKind.eq(SenderKind::Agent.as_str()))
                .filter(message::Column::CreatedAt.lte(up_to))
                .filter(
                    message::Column::DeliveryStatus.is_in(
                        // Only what the provider has: a queued message is not out yet
                        // (the receipt can't be about it) and a failed one never went.
                        [DeliveryStatus::Sent, DeliveryStatus::Delivered]
                            .into_iter()
                            .filter(|s| s.advances_to(status))
                            .map(|s| s.as_str()),
                    ),
                )
                .select_only()
                .column(message::Column::Id)
                .into_tuple::<Uuid>()
                .all(&tx.txn)
                .await?;
            for id in ours {
                self.record_delivery(
                    tx,
                    link.conversation_id,
                    id,
                    Delivery {
                        status,
                        reason: None,
                    },
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Moves one message's delivery forward through the conversation's own command.
    pub(crate) async fn record_delivery(
        &self,
        tx: &mut Tx,
        conversation: Uuid,
        message_id: Uuid,
        next: Delivery,
        now: Millis,
    ) -> Result<()> {
        let current = message::Entity::find_by_id(message_id)
            .one(&tx.txn)
            .await?
            .ok_or(EngineError::NotFound(crate::Missing::Message))?
            .delivery_status;
        let Some(current) = current else {
            return Ok(()); // not one we send (an inbound message's id)
        };
        let current = codec::parse(
            "messages",
            "delivery_status",
            &current,
            DeliveryStatus::parse,
        )?;
        let state = tx
            .load(conversation, Lock::Wait)
            .await?
            .ok_or(EngineError::NotFound(crate::Missing::Conversation))?;
        let decision = decide(
            &state,
            &Command::RecordDelivery {
                message_id,
                current,
                next,
            },
            now,
            &mut Uuid::now_v7,
        )?;
        tx.apply(&state, decision, now).await?;
        Ok(())
    }
}

fn appended_id(e: &switchboard_domain::conversation::Event) -> Option<Uuid> {
    match e {
        switchboard_domain::conversation::Event::MessageAppended { message } => Some(message.id),
        _ => None,
    }
}

/// One display item as the inbox gets it: its key, its text (a file's name for a file), and a
/// contact's file with where to fetch it.
struct Item {
    key: String,
    text: String,
    file: Option<(
        switchboard_domain::Attachment,
        switchboard_channels::MediaSource,
    )>,
}

impl Item {
    fn of(item: &DisplayItem) -> Self {
        let file = match item {
            DisplayItem::Attachment { attachment, .. } => {
                Some((attachment_of(attachment), attachment.source.clone()))
            }
            _ => None,
        };
        Item {
            key: item_key(item),
            text: match &file {
                Some((a, _)) => a.label(),
                None => item_text(item),
            },
            file,
        }
    }

    /// Stable per item, so a re-delivered webhook stores nothing twice.
    fn client_msg_id(&self) -> Uuid {
        Uuid::new_v5(&INBOUND_NS, self.key.as_bytes())
    }
}

/// What the inbox shows of a provider's attachment.
fn attachment_of(a: &switchboard_channels::Attachment) -> switchboard_domain::Attachment {
    use switchboard_channels::AttachmentKind as K;
    use switchboard_domain::MediaKind as M;
    switchboard_domain::Attachment {
        kind: match a.kind {
            K::Image | K::StoryMention => M::Image,
            K::Video => M::Video,
            K::Audio => M::Audio,
            K::Document => M::Document,
            K::Sticker => M::Sticker,
            K::Share | K::Other => M::Other,
        },
        filename: a.filename.clone(),
        mime: a.mime.clone(),
        size: a.size,
    }
}

fn item_key(item: &DisplayItem) -> String {
    match item {
        DisplayItem::Text { key, .. }
        | DisplayItem::Attachment { key, .. }
        | DisplayItem::Location { key, .. } => key.as_str().to_string(),
    }
}

/// The post a comment is on, as a row of ours (the first comment on it makes the row).
async fn post_of(
    tx: &mut Tx,
    channel: Channel,
    account: &str,
    external_id: &str,
    now: Millis,
) -> Result<Uuid> {
    post::Entity::insert(post::ActiveModel {
        id: Set(Uuid::now_v7()),
        channel: Set(channel.as_str().into()),
        account: Set(account.into()),
        external_id: Set(external_id.into()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            post::Column::Channel,
            post::Column::Account,
            post::Column::ExternalId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&tx.txn)
    .await?;
    post::Entity::find()
        .filter(post::Column::Channel.eq(channel.as_str()))
        .filter(post::Column::Account.eq(account))
        .filter(post::Column::ExternalId.eq(external_id))
        .one(&tx.txn)
        .await?
        .map(|p| p.id)
        .ok_or_else(|| EngineError::Corrupt(format!("post {external_id} not stored")))
}

/// What an item says in the thread.
fn item_text(item: &DisplayItem) -> String {
    match item {
        DisplayItem::Text { text, .. } => text.clone(),
        DisplayItem::Attachment { attachment, .. } => {
            let name = attachment
                .filename
                .clone()
                .unwrap_or_else(|| format!("{:?}", attachment.kind).to_lowercase());
            match &attachment.source {
                switchboard_channels::MediaSource::Url { url } => format!("[{name}] {url}"),
                switchboard_channels::MediaSource::MediaId { id } => format!("[{name}] media {id}"),
                switchboard_channels::MediaSource::TelegramFile { file_id, .. } => {
                    format!("[{name}] file {file_id}")
                }
            }
        }
        DisplayItem::Location { location, .. } => {
            let place = [location.name.as_deref(), location.address.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let at = format!("{:.6}, {:.6}", location.latitude, location.longitude);
            if place.is_empty() {
                format!("[location] {at}")
            } else {
                format!("[location] {place} ({at})")
            }
        }
    }
}

/// A provider's text as a message body: longer texts than ours are cut, not refused (the
/// contact already sent it).
fn body(text: &str) -> Result<MessageBody> {
    let cut: String = if text.chars().count() > BODY_MAX_CHARS {
        text.chars()
            .take(BODY_MAX_CHARS - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        text.to_string()
    };
    Ok(MessageBody::parse(&cut)?)
}

/// A WhatsApp id is the number without `+`; contacts keep E.164.
fn phone_of(address: &str) -> String {
    if address.starts_with('+') {
        address.to_string()
    } else {
        format!("+{address}")
    }
}
