//! Chat switch in the engine: the visitor moves a live web chat to SMS (and back). One
//! transaction records the domain's decision (the timeline marker, the welcome queued for the
//! provider, the new active channel), the conversation's address on the new channel (so the
//! contact's replies land in this very conversation) and, if the number is new to us, the
//! contact's identity on it. The welcome's delivery then decides the switch (see
//! `switchboard_domain::conversation::switch`).

use crate::conversations::contacts::ContactRef;
use crate::conversations::write::{retrying, Lock, Tx};
use crate::error::{EngineError, Missing, Result, Rule};
use crate::store::entities::{channel_identity, conversation_link};
use crate::Engine;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use switchboard_domain::conversation::switch::{readable_number, ChannelSwitch, SwitchPhase};
use switchboard_domain::conversation::{decide, AgentRef, Command};
use switchboard_domain::{Channel, MessageBody};
use switchboard_wire::inbox::ContactChannel;
use switchboard_wire::widget::SwitchView;
use uuid::Uuid;

/// What the contact reads on their phone first (by SMS; WhatsApp's is the configured template).
fn welcome(name: &str) -> String {
    let hello = hello(name);
    format!("{hello} This is the support team from your web chat: reply to this text to continue, we're right here.")
}

/// What the contact reads when an agent reconnects by text.
fn reconnect_welcome(name: &str, agent: &str) -> String {
    let hello = hello(name);
    format!("{hello} This is {agent} from support, following up on your chat with us. Reply to this text to continue.")
}

/// "Hi Ada!" for "Ada Lovelace", "Hi!" without a name.
fn hello(name: &str) -> String {
    match name.split_whitespace().next() {
        Some(first) => format!("Hi {first}!"),
        None => "Hi!".to_string(),
    }
}

/// What the phone reads when the visitor goes back to the web.
const GOODBYE: &str = "Our chat continues on the web, so you can ignore this number for now.";

/// How the provider knows the contact on a channel, from their E.164 number.
fn provider_address(channel: Channel, e164: &str) -> String {
    match channel {
        Channel::Whatsapp => e164.trim_start_matches('+').to_string(),
        _ => e164.to_string(),
    }
}

impl Engine {
    /// The channels a web visitor can move their chat to now: an account is connected (and,
    /// for WhatsApp, a welcome template is set: the business may write first only that way).
    pub fn switch_targets(&self) -> Vec<Channel> {
        let live = self.channels();
        let whatsapp_welcome = live
            .config
            .whatsapp
            .as_ref()
            .is_some_and(|w| w.switch_welcome().is_some());
        [Channel::Sms, Channel::Whatsapp]
            .into_iter()
            .filter(|c| live.iter().any(|a| a.channel() == *c))
            .filter(|c| *c != Channel::Whatsapp || whatsapp_welcome)
            .collect()
    }

    /// The greeting on `to`: a text, or WhatsApp's welcome template with the first name.
    fn switch_welcome(
        &self,
        to: Channel,
        name: &str,
    ) -> Result<(MessageBody, Option<switchboard_domain::TemplateRef>)> {
        if to != Channel::Whatsapp {
            let body = MessageBody::parse(&welcome(name)).map_err(Rule::Message)?;
            return Ok((body, None));
        }
        let live = self.channels();
        let template = live
            .config
            .whatsapp
            .as_ref()
            .and_then(|w| w.switch_welcome())
            .ok_or_else(|| Rule::NoChannel(to.label().to_string()))?;
        let first = name.split_whitespace().next().unwrap_or("there");
        let parameters: Vec<String> = (0..template.parameters())
            .map(|_| first.to_string())
            .collect();
        let body = MessageBody::parse(&template.render(&parameters)).map_err(Rule::Message)?;
        let reference = switchboard_domain::TemplateRef {
            name: template.name.clone(),
            language: template.language.clone(),
            parameters,
        };
        Ok((body, Some(reference)))
    }

    /// The visitor moves their chat to `to` at `phone` (as typed: checked and normalised
    /// here). The welcome goes out through the outbox; its delivery decides the switch.
    pub async fn switch_channel(
        &self,
        conversation_id: Uuid,
        contact: &ContactRef,
        to: Channel,
        phone: &str,
    ) -> Result<SwitchView> {
        let number =
            switchboard_domain::conversation::switch::dialable(phone).map_err(Rule::Contact)?;
        if !self.switch_targets().contains(&to) {
            return Err(Rule::NoChannel(to.label().to_string()).into());
        }
        let (welcome, template) = self.switch_welcome(to, &contact.name)?;
        let command = Command::SwitchChannel {
            contact_id: contact.id,
            to,
            address: number.clone(),
            welcome,
            template,
        };
        let state = self
            .move_conversation(conversation_id, contact.id, to, &number, command)
            .await?;
        tracing::info!(conversation = %conversation_id, to = to.as_str(), "chat switch requested");
        Ok(view_of(&state.switch, state.active_channel, crate::now()))
    }

    /// An agent reconnects an ended chat or a lead by SMS, at the number the contact gave: it
    /// reopens assigned to them once the welcome goes out (and ends again if it cannot).
    pub async fn reconnect(
        &self,
        conversation_id: Uuid,
        agent: AgentRef,
        to: Channel,
    ) -> Result<()> {
        let summary = self.summary(conversation_id).await?;
        let phone = summary.contact_phone.clone().unwrap_or_default();
        let number = switchboard_domain::conversation::switch::dialable(&phone)
            .map_err(|_| Rule::NoPhone)?;
        let welcome = MessageBody::parse(&reconnect_welcome(&summary.contact_name, &agent.name))
            .map_err(Rule::Message)?;
        let command = Command::Reconnect {
            agent,
            to,
            address: number.clone(),
            welcome,
        };
        let contact = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?
            .contact_id;
        self.move_conversation(conversation_id, contact, to, &number, command)
            .await?;
        tracing::info!(conversation = %conversation_id, to = to.as_str(), "reconnect requested");
        Ok(())
    }

    /// One transaction: the domain's decision, the conversation's address on `to` (so the
    /// contact's replies land here: the newest link wins) and, for a number new to us, the
    /// contact's identity on it.
    async fn move_conversation(
        &self,
        conversation_id: Uuid,
        contact_id: Uuid,
        to: Channel,
        number: &str,
        command: Command,
    ) -> Result<switchboard_domain::conversation::ConversationState> {
        if !self.switch_targets().contains(&to) {
            return Err(Rule::NoChannel(to.label().to_string()).into());
        }
        let account = self.account_on(to)?;
        let address = provider_address(to, number);
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let state = tx
                .load(conversation_id, Lock::Wait)
                .await?
                .ok_or(EngineError::NotFound(Missing::Conversation))?;
            let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
            let outcome = tx.apply(&state, decision, now).await?;
            link(
                &tx,
                conversation_id,
                to,
                &account,
                &address,
                now,
                Replace::Yes,
            )
            .await?;
            // A number new to us becomes this contact's; one that is someone else's stays
            // theirs (merging is the agent's call), and the link above still routes replies.
            let known = channel_identity::Entity::find()
                .filter(channel_identity::Column::Channel.eq(to.as_str()))
                .filter(channel_identity::Column::Address.eq(address.as_str()))
                .one(&tx.txn)
                .await?;
            if known.is_none() {
                channel_identity::Entity::insert(channel_identity::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    contact_id: Set(contact_id),
                    channel: Set(to.as_str().into()),
                    address: Set(address.clone()),
                    created_at: Set(now),
                    start_key: Set(None),
                    revoked_before: Set(None),
                    started_from: Set(None),
                })
                .exec_without_returning(&tx.txn)
                .await?;
            }
            tx.commit().await?;
            Ok(outcome.state)
        })
        .await
    }

    /// An agent invites the visitor to move their web chat to `to`.
    pub async fn ask_to_switch(
        &self,
        conversation_id: Uuid,
        agent: AgentRef,
        to: Channel,
    ) -> Result<()> {
        if !self.switch_targets().contains(&to) {
            return Err(Rule::NoChannel(to.label().to_string()).into());
        }
        self.execute(conversation_id, Command::AskToSwitch { agent, to })
            .await?;
        Ok(())
    }

    /// The visitor goes back to the web within the revert window.
    pub async fn revert_switch(
        &self,
        conversation_id: Uuid,
        contact: &ContactRef,
    ) -> Result<SwitchView> {
        // A channel with a reply window (WhatsApp) takes free text only once the contact wrote
        // there: before they answered the welcome, the phone is not told.
        let to = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?
            .active_channel;
        let last_inbound =
            conversation_link::Entity::find_by_id((conversation_id, to.as_str().to_string()))
                .one(&self.db().read)
                .await?
                .and_then(|l| l.last_inbound_at);
        let writable = self.channels().iter().any(|a| {
            a.channel() == to
                && !matches!(
                    a.adapter.capabilities().window(last_inbound, crate::now()),
                    switchboard_channels::WindowStatus::Closed(_)
                )
        });
        let goodbye = writable
            .then(|| MessageBody::parse(GOODBYE))
            .transpose()
            .map_err(Rule::Message)?;
        let outcome = self
            .execute(
                conversation_id,
                Command::RevertSwitch {
                    contact_id: contact.id,
                    goodbye,
                },
            )
            .await?;
        tracing::info!(conversation = %conversation_id, "chat switch reverted");
        Ok(view_of(
            &outcome.state.switch,
            outcome.state.active_channel,
            crate::now(),
        ))
    }

    /// Where the visitor's switch stands.
    pub async fn switch_view(&self, conversation_id: Uuid) -> Result<SwitchView> {
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?;
        Ok(view_of(&state.switch, state.active_channel, crate::now()))
    }
}

fn view_of(switch: &Option<ChannelSwitch>, active: Channel, now: i64) -> SwitchView {
    match switch.as_ref().filter(|s| s.to == active) {
        None => SwitchView {
            active,
            to: None,
            address: None,
            pending: false,
            revert_ms_left: None,
        },
        Some(s) => SwitchView {
            active,
            to: Some(s.to),
            address: Some(readable_number(&s.address)),
            pending: s.phase == SwitchPhase::Pending,
            revert_ms_left: s
                .revert_until()
                .map(|until| until - now)
                .filter(|left| *left > 0),
        },
    }
}

impl Engine {
    /// The ways a conversation's contact is known (their identities, and the addresses this
    /// conversation is linked to), the active one marked, each with why replies cannot move
    /// there when they cannot.
    pub async fn contact_channels(&self, conversation_id: Uuid) -> Result<Vec<ContactChannel>> {
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?;
        let db = &self.db().read;
        let identities = channel_identity::Entity::find()
            .filter(channel_identity::Column::ContactId.eq(state.contact_id))
            .all(db)
            .await?;
        let links = conversation_link::Entity::find()
            .filter(conversation_link::Column::ConversationId.eq(conversation_id))
            .all(db)
            .await?;
        let live = self.channels();
        let mut out: Vec<ContactChannel> = vec![];
        for channel in Channel::ALL {
            let link = links.iter().find(|l| l.channel == channel.as_str());
            let address = match (channel, link) {
                (_, Some(l)) => Some(l.contact_address.clone()),
                (Channel::Web, None) if state.active_channel == Channel::Web => Some(String::new()),
                _ => identities
                    .iter()
                    .filter(|i| i.channel == channel.as_str())
                    .max_by_key(|i| i.created_at)
                    .map(|i| i.address.clone()),
            };
            let Some(address) = address else { continue };
            let unavailable = if channel == Channel::Web {
                None
            } else if channel == Channel::PageComment || link.is_some_and(|l| l.thread.is_some()) {
                Some("Comments are answered where they were written.".to_string())
            } else if !live.iter().any(|a| a.channel() == channel) {
                Some(format!("No {} account is connected.", channel.label()))
            } else {
                None
            };
            out.push(ContactChannel {
                channel,
                address: match channel {
                    Channel::Web => "Web chat".to_string(),
                    Channel::Sms | Channel::Whatsapp => {
                        let e164 = match address.starts_with('+') {
                            true => address.clone(),
                            false => format!("+{address}"),
                        };
                        readable_number(&e164)
                    }
                    _ => address,
                },
                active: channel == state.active_channel,
                unavailable,
            });
        }
        Ok(out)
    }

    /// An agent moves the conversation's replies to another way its contact is known, in one
    /// transaction with the conversation's address there (an identity of the contact becomes a
    /// link of this conversation, so their answers on it land here too).
    pub async fn choose_reply_channel(
        &self,
        conversation_id: Uuid,
        agent: AgentRef,
        to: Channel,
    ) -> Result<()> {
        let choice = self
            .contact_channels(conversation_id)
            .await?
            .into_iter()
            .find(|c| c.channel == to)
            .ok_or(Rule::NoChannel(to.label().to_string()))?;
        if let Some(why) = choice.unavailable {
            return Err(Rule::ChannelUnavailable(why).into());
        }
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(Missing::Conversation))?;
        let command = Command::ChooseChannel {
            agent,
            to,
            address: choice.address.clone(),
        };
        if to == Channel::Web {
            self.execute(conversation_id, command).await?;
            return Ok(());
        }
        let identity = channel_identity::Entity::find()
            .filter(channel_identity::Column::ContactId.eq(state.contact_id))
            .filter(channel_identity::Column::Channel.eq(to.as_str()))
            .all(&self.db().read)
            .await?
            .into_iter()
            .max_by_key(|i| i.created_at);
        let account = self.account_on(to)?;
        retrying(|| async {
            let now = crate::now();
            let mut tx = Tx::begin(self).await?;
            let state = tx
                .load(conversation_id, Lock::Wait)
                .await?
                .ok_or(EngineError::NotFound(Missing::Conversation))?;
            let decision = decide(&state, &command, now, &mut Uuid::now_v7)?;
            tx.apply(&state, decision, now).await?;
            // The link stays as it is when there is one (its reply window included).
            if let Some(identity) = &identity {
                link(
                    &tx,
                    conversation_id,
                    to,
                    &account,
                    &identity.address,
                    now,
                    Replace::No,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await?;
        tracing::info!(conversation = %conversation_id, to = to.as_str(), "reply channel chosen");
        Ok(())
    }
}

impl Engine {
    /// The connected account on `to` a conversation moving there goes through.
    fn account_on(&self, to: Channel) -> Result<String> {
        Ok(self
            .channels()
            .iter()
            .find(|a| a.channel() == to)
            .map(|a| a.account.address.clone())
            .ok_or_else(|| Rule::NoChannel(to.label().to_string()))?)
    }
}

/// Whether a conversation's newer address on a channel replaces the one it has.
#[derive(PartialEq)]
enum Replace {
    Yes,
    No,
}

/// The conversation's address on `to`, so the contact's messages there land in it.
async fn link(
    tx: &Tx,
    conversation_id: Uuid,
    to: Channel,
    account: &str,
    address: &str,
    now: i64,
    replace: Replace,
) -> Result<()> {
    let mut conflict = OnConflict::columns([
        conversation_link::Column::ConversationId,
        conversation_link::Column::Channel,
    ]);
    match replace {
        Replace::Yes => conflict.update_columns([
            conversation_link::Column::Account,
            conversation_link::Column::ContactAddress,
            conversation_link::Column::CreatedAt,
        ]),
        Replace::No => conflict.do_nothing(),
    };
    conversation_link::Entity::insert(conversation_link::ActiveModel {
        conversation_id: Set(conversation_id),
        channel: Set(to.as_str().into()),
        account: Set(account.to_string()),
        contact_address: Set(address.to_string()),
        thread: Set(None),
        last_inbound_at: Set(None),
        created_at: Set(now),
    })
    .on_conflict(conflict)
    .exec_without_returning(&tx.txn)
    .await?;
    Ok(())
}
