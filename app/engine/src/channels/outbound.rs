//! Agents' replies out through the provider, from the outbox's `deliver` jobs. A job sends
//! only a message still `queued`, so a job done twice (a node died after the provider took
//! it but before the job was cleared) sends once as long as the result was recorded; the one
//! window left is between the provider's answer and our commit, which no provider's API lets
//! us close (none takes an idempotency key on send). Retries (timeouts, 5xx, 429) back off
//! and honour `Retry-After`; refusals and permanent failures show on the message with the
//! reason in plain words.

use crate::conversations::write::{retrying, Tx};
use crate::error::Result;
use crate::metrics::{self, SendFailure};
use crate::store::codec;
use crate::store::entities::{conversation_link, message, provider_message};
use crate::Engine;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::time::Duration;
use switchboard_channels::{HttpRequest, Method, Outbound, OutboundContent, SendOutcome};
use switchboard_domain::{Channel, Delivery, DeliveryStatus, SenderKind};
use uuid::Uuid;

/// Attempts before a send that keeps failing in a retryable way is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long one call to a provider may take (well inside the outbox lease).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// What a `deliver` job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// Recorded (sent, failed, or nothing left to do): the job is finished.
    Done,
    /// Try again after this long (at least).
    Retry(Option<Duration>),
}

impl Engine {
    /// An agent answers the contact's latest comment in a comment conversation, publicly or
    /// privately; stored once per client id like any reply.
    pub async fn answer_comment(
        &self,
        conversation_id: Uuid,
        agent: switchboard_domain::conversation::AgentRef,
        body: switchboard_domain::MessageBody,
        private: bool,
        client_msg_id: Uuid,
    ) -> Result<crate::conversations::Appended> {
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(crate::EngineError::NotFound(crate::Missing::Conversation))?;
        let comment_id = self
            .latest_contact_item(conversation_id, state.active_channel)
            .await?
            .ok_or(crate::EngineError::Refused(
                switchboard_domain::conversation::Refusal::NotAComment,
            ))?;
        let command = switchboard_domain::conversation::Command::AnswerComment {
            agent,
            body,
            comment_id,
            private,
            client_msg_id: Some(client_msg_id),
        };
        self.append(conversation_id, command).await
    }

    /// An agent deletes a contact's comment from its post: an internal note now, the
    /// provider's delete from the outbox.
    pub async fn remove_comment(
        &self,
        conversation_id: Uuid,
        agent: switchboard_domain::conversation::AgentRef,
        message_id: Uuid,
    ) -> Result<crate::conversations::Outcome> {
        let db = &self.db().write;
        let row = message::Entity::find_by_id(message_id)
            .one(db)
            .await?
            .filter(|m| m.conversation_id == conversation_id)
            .ok_or(crate::EngineError::NotFound(crate::Missing::Message))?;
        let is_comment = row.sender_kind == SenderKind::Visitor.as_str()
            && row.provider_message_id.is_some()
            && conversation_link::Entity::find_by_id((conversation_id, row.channel.clone()))
                .one(db)
                .await?
                .is_some_and(|l| l.thread.is_some());
        if !is_comment {
            return Err(crate::EngineError::Refused(
                switchboard_domain::conversation::Refusal::NotAComment,
            ));
        }
        // Deleted already, or a delete is waiting in the outbox.
        let pending = crate::store::entities::outbox::Entity::find()
            .filter(crate::store::entities::outbox::Column::Kind.eq("remove_comment"))
            .filter(crate::store::entities::outbox::Column::MessageId.eq(message_id))
            .one(db)
            .await?
            .is_some();
        let command = switchboard_domain::conversation::Command::RemoveComment {
            agent,
            message_id,
            comment: row.body.clone(),
            already: row.removed.unwrap_or(false) || pending,
        };
        self.execute(conversation_id, command).await
    }

    /// The outbox's `remove_comment` job: asks the provider to delete the comment.
    pub(crate) async fn remove_comment_job(
        &self,
        conversation: Uuid,
        message_id: Uuid,
        attempts: i64,
    ) -> Result<Sent> {
        use switchboard_domain::conversation::Command;
        let db = &self.db().write;
        let Some(row) = message::Entity::find_by_id(message_id).one(db).await? else {
            return Ok(Sent::Done);
        };
        if row.removed.unwrap_or(false) {
            return Ok(Sent::Done);
        }
        let done = |result: std::result::Result<(), String>| Command::CommentRemovalDone {
            message_id,
            result,
        };
        let channel = codec::parse("messages", "channel", &row.channel, Channel::parse)?;
        let link =
            conversation_link::Entity::find_by_id((conversation, channel.as_str().to_string()))
                .one(db)
                .await?;
        let (Some(link), Some(comment_id)) = (link, row.provider_message_id.clone()) else {
            self.execute(
                conversation,
                done(Err("this message is not a comment we know.".into())),
            )
            .await?;
            return Ok(Sent::Done);
        };
        let Some(connected) = self.channels().find(channel, &link.account) else {
            self.execute(
                conversation,
                done(Err(format!(
                    "the {} account is not connected any more.",
                    channel.label()
                ))),
            )
            .await?;
            return Ok(Sent::Done);
        };
        let out = Outbound::new(
            channel,
            link.contact_address.clone(),
            OutboundContent::DeleteComment { comment_id },
            crate::now(),
        );
        let request = match connected.adapter.build_request(&out, &connected.account) {
            Ok(r) => r,
            Err(refused) => {
                self.execute(conversation, done(Err(sentence(&refused.to_string()))))
                    .await?;
                return Ok(Sent::Done);
            }
        };
        let outcome = match self.call(&request, SEND_TIMEOUT).await {
            Ok((status, headers, body)) => connected.adapter.read_response(status, &headers, &body),
            Err(_) => SendOutcome::transport_failure(),
        };
        match outcome {
            SendOutcome::Accepted { .. } => {
                self.execute(conversation, done(Ok(()))).await?;
                Ok(Sent::Done)
            }
            SendOutcome::Permanent { reason, .. } => {
                self.execute(conversation, done(Err(sentence(&reason))))
                    .await?;
                Ok(Sent::Done)
            }
            SendOutcome::Retry { after, .. } if attempts < MAX_ATTEMPTS => Ok(Sent::Retry(after)),
            SendOutcome::Retry { .. } => {
                let reason = format!(
                    "{} did not answer after {attempts} attempts.",
                    channel.label()
                );
                self.execute(conversation, done(Err(reason))).await?;
                Ok(Sent::Done)
            }
        }
    }

    /// Sends one queued message (the outbox's `deliver` job, `attempts` counting this one).
    pub(crate) async fn deliver(&self, message_id: Uuid, attempts: i64) -> Result<Sent> {
        let db = &self.db().write;
        let Some(row) = message::Entity::find_by_id(message_id).one(db).await? else {
            return Ok(Sent::Done); // gone (a deleted conversation)
        };
        if row.delivery_status.as_deref() != Some(DeliveryStatus::Queued.as_str()) {
            return Ok(Sent::Done); // sent or failed already
        }
        let channel = codec::parse("messages", "channel", &row.channel, Channel::parse)?;
        let fail = |reason: String| Delivery {
            status: DeliveryStatus::Failed,
            reason: Some(reason),
        };
        let link = conversation_link::Entity::find_by_id((
            row.conversation_id,
            channel.as_str().to_string(),
        ))
        .one(db)
        .await?;
        let Some(link) = link else {
            metrics::send_failed(channel, SendFailure::NoAddress);
            self.settle(
                row.conversation_id,
                message_id,
                fail(format!(
                    "This conversation has no {} address to send to.",
                    channel.label()
                )),
                None,
            )
            .await?;
            return Ok(Sent::Done);
        };
        let Some(connected) = self.channels().find(channel, &link.account) else {
            metrics::send_failed(channel, SendFailure::Disconnected);
            let reason = format!(
                "The {} account {} is not connected any more.",
                channel.label(),
                link.account
            );
            self.settle(row.conversation_id, message_id, fail(reason), None)
                .await?;
            return Ok(Sent::Done);
        };
        let now = crate::now();
        let template: Option<switchboard_domain::TemplateRef> = match &row.template {
            None => None,
            Some(json) => Some(serde_json::from_str(json).map_err(|e| {
                crate::EngineError::Corrupt(format!("messages.template {message_id}: {e}"))
            })?),
        };
        let content = match (template, row.reply_to_comment.clone(), row.reply_private) {
            (Some(t), _, _) => OutboundContent::Template {
                name: t.name,
                language: t.language,
                parameters: t.parameters,
            },
            (None, Some(comment_id), Some(true)) => OutboundContent::PrivateReply {
                text: row.body.clone(),
                comment_created_ms: self.comment_created(channel, &comment_id).await?,
                already_replied: self
                    .privately_answered(row.conversation_id, &comment_id, message_id)
                    .await?,
                comment_id,
            },
            (None, Some(comment_id), _) => OutboundContent::CommentReply {
                comment_id,
                text: row.body.clone(),
            },
            (None, None, _) => match &link.thread {
                // A comment thread: the reply goes under the contact's latest comment.
                Some(_) => match self
                    .latest_contact_item(row.conversation_id, channel)
                    .await?
                {
                    Some(comment_id) => OutboundContent::CommentReply {
                        comment_id,
                        text: row.body.clone(),
                    },
                    None => {
                        self.settle(
                            row.conversation_id,
                            message_id,
                            fail("There is no comment to reply to.".into()),
                            None,
                        )
                        .await?;
                        return Ok(Sent::Done);
                    }
                },
                None => match self.file_url(message_id, crate::now()).await? {
                    // An agent's file: the provider fetches it by a signed, expiring URL.
                    Some(url) => {
                        let attachment: Option<switchboard_domain::Attachment> = row
                            .attachment
                            .as_deref()
                            .map(serde_json::from_str)
                            .transpose()
                            .map_err(|e| {
                                crate::EngineError::Corrupt(format!(
                                    "messages.attachment {message_id}: {e}"
                                ))
                            })?;
                        let a = attachment.unwrap_or(switchboard_domain::Attachment {
                            kind: switchboard_domain::MediaKind::Other,
                            filename: None,
                            mime: None,
                            size: None,
                        });
                        OutboundContent::Attachment {
                            kind: outbound_kind(a.kind),
                            url,
                            mime: a.mime,
                            size: a.size,
                            caption: None,
                            filename: a.filename,
                        }
                    }
                    None => OutboundContent::Text {
                        body: row.body.clone(),
                    },
                },
            },
        };
        let mut out = Outbound::new(channel, link.contact_address.clone(), content, now);
        out.last_inbound_ms = link.last_inbound_at;
        let request = match connected.adapter.build_request(&out, &connected.account) {
            Ok(r) => r,
            Err(switchboard_channels::SendError::OutsideWindow(closed)) => {
                metrics::send_failed(channel, SendFailure::OutsideWindow);
                self.settle(
                    row.conversation_id,
                    message_id,
                    fail(super::status::closed_reason(channel, &closed)),
                    None,
                )
                .await?;
                return Ok(Sent::Done);
            }
            Err(refused) => {
                metrics::send_failed(channel, SendFailure::Unsendable);
                self.settle(
                    row.conversation_id,
                    message_id,
                    fail(sentence(&refused.to_string())),
                    None,
                )
                .await?;
                return Ok(Sent::Done);
            }
        };
        let mut unreachable = false;
        let outcome = match self.call(&request, SEND_TIMEOUT).await {
            Ok((status, headers, body)) => connected.adapter.read_response(status, &headers, &body),
            Err(e) => {
                tracing::warn!(error = %e, message = %message_id, channel = channel.as_str(), "provider unreachable");
                metrics::send_failed(channel, SendFailure::Unreachable);
                unreachable = true;
                SendOutcome::transport_failure()
            }
        };
        match outcome {
            SendOutcome::Accepted {
                provider_message_id,
            } => {
                metrics::delivered_to_provider(channel);
                let sent = Delivery {
                    status: DeliveryStatus::Sent,
                    reason: None,
                };
                self.settle(
                    row.conversation_id,
                    message_id,
                    sent,
                    provider_message_id.map(|id| (channel, id)),
                )
                .await?;
                Ok(Sent::Done)
            }
            SendOutcome::Permanent { reason, code, .. } => {
                tracing::info!(message = %message_id, code, reason, "provider refused a message");
                metrics::send_failed(channel, SendFailure::Refused);
                self.settle(
                    row.conversation_id,
                    message_id,
                    fail(sentence(&reason)),
                    None,
                )
                .await?;
                Ok(Sent::Done)
            }
            SendOutcome::Retry { after, code } => {
                if !unreachable {
                    metrics::send_failed(channel, SendFailure::Throttled);
                }
                if attempts >= MAX_ATTEMPTS {
                    metrics::send_failed(channel, SendFailure::GaveUp);
                    let reason = format!(
                        "{} did not take the message after {attempts} attempts; it was not sent.",
                        channel.label()
                    );
                    tracing::warn!(message = %message_id, ?code, "giving up a send");
                    self.settle(row.conversation_id, message_id, fail(reason), None)
                        .await?;
                    return Ok(Sent::Done);
                }
                Ok(Sent::Retry(after))
            }
        }
    }

    /// When a comment arrived (its message's time), for the private-reply deadline.
    async fn comment_created(&self, channel: Channel, comment_id: &str) -> Result<Option<i64>> {
        let Some(known) = provider_message::Entity::find_by_id((
            channel.as_str().to_string(),
            comment_id.to_string(),
        ))
        .one(&self.db().write)
        .await?
        else {
            return Ok(None);
        };
        Ok(message::Entity::find_by_id(known.message_id)
            .one(&self.db().write)
            .await?
            .map(|m| m.created_at))
    }

    /// Whether another message already answers this comment privately (and did not fail).
    async fn privately_answered(
        &self,
        conversation: Uuid,
        comment_id: &str,
        except: Uuid,
    ) -> Result<bool> {
        Ok(message::Entity::find()
            .filter(message::Column::ConversationId.eq(conversation))
            .filter(message::Column::ReplyToComment.eq(comment_id))
            .filter(message::Column::ReplyPrivate.eq(true))
            .filter(message::Column::Id.ne(except))
            .filter(message::Column::DeliveryStatus.ne(DeliveryStatus::Failed.as_str()))
            .one(&self.db().write)
            .await?
            .is_some())
    }

    /// The provider id of the contact's latest message on this channel (the comment to answer).
    pub(crate) async fn latest_contact_item(
        &self,
        conversation: Uuid,
        channel: Channel,
    ) -> Result<Option<String>> {
        Ok(message::Entity::find()
            .filter(message::Column::ConversationId.eq(conversation))
            .filter(message::Column::Channel.eq(channel.as_str()))
            .filter(message::Column::SenderKind.eq(SenderKind::Visitor.as_str()))
            .filter(message::Column::ProviderMessageId.is_not_null())
            .order_by_desc(message::Column::Seq)
            .one(&self.db().write)
            .await?
            .and_then(|m| m.provider_message_id))
    }

    /// Records a send's result in one transaction: the delivery state (through the
    /// conversation's command, so agents see it live) and the provider's id.
    async fn settle(
        &self,
        conversation: Uuid,
        message_id: Uuid,
        delivery: Delivery,
        provider_id: Option<(Channel, String)>,
    ) -> Result<()> {
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            if let Some((channel, id)) = &provider_id {
                message::Entity::update_many()
                    .col_expr(message::Column::ProviderMessageId, Expr::value(id.clone()))
                    .filter(message::Column::Id.eq(message_id))
                    .exec(&tx.txn)
                    .await?;
                provider_message::Entity::insert(provider_message::ActiveModel {
                    channel: Set(channel.as_str().into()),
                    provider_message_id: Set(id.clone()),
                    message_id: Set(message_id),
                    conversation_id: Set(conversation),
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
            self.record_delivery(&mut tx, conversation, message_id, delivery.clone(), now)
                .await?;
            tx.commit().await
        })
        .await
    }

    /// Sends a provider call as the adapter built it; the answer's body is the caller's to read.
    pub(crate) async fn send(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> std::result::Result<reqwest::Response, reqwest::Error> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Delete => reqwest::Method::DELETE,
            Method::Post | Method::Other => reqwest::Method::POST,
        };
        let mut builder = self.http().request(method, &request.url).timeout(timeout);
        for (name, value) in request.headers.iter() {
            builder = builder.header(name, value);
        }
        builder.body(request.body.clone()).send().await
    }

    /// Makes the provider call; a timeout or connection error is an `Err`.
    pub(crate) async fn call(
        &self,
        request: &HttpRequest,
        timeout: Duration,
    ) -> std::result::Result<(u16, switchboard_channels::Headers, Vec<u8>), reqwest::Error> {
        let response = self.send(request, timeout).await?;
        let status = response.status().as_u16();
        let headers = switchboard_channels::Headers::from_pairs(
            response.headers().iter().filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_string(), v.to_string()))
            }),
        );
        let body = response.bytes().await?.to_vec();
        Ok((status, headers, body))
    }
}

/// A reason as a sentence for the inbox: capitalised, ending with a full stop.
fn sentence(reason: &str) -> String {
    let reason = reason.trim();
    let mut chars = reason.chars();
    let mut s: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return "The provider refused the message.".into(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

/// How a provider is told what kind of file it fetches.
fn outbound_kind(kind: switchboard_domain::MediaKind) -> switchboard_channels::AttachmentKind {
    use switchboard_channels::AttachmentKind as K;
    use switchboard_domain::MediaKind as M;
    match kind {
        M::Image => K::Image,
        M::Video => K::Video,
        M::Audio => K::Audio,
        M::Sticker => K::Sticker,
        M::Document | M::Other => K::Document,
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn reasons_read_as_sentences() {
        assert_eq!(
            sentence("outside the reply window: 24 hours"),
            "Outside the reply window: 24 hours."
        );
        assert_eq!(sentence("Blocked."), "Blocked.");
        assert_eq!(sentence("  "), "The provider refused the message.");
    }
}
