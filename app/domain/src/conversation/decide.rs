//! The conversation's rules: what each command does. `decide` turns a command into events
//! (or a typed refusal) and follow-up work; `evolve` applies one event to the state. The
//! engine writes the new state, the events and the work in one transaction.

use super::switch;
use super::{Channel, ConversationState, ConversationStatus, Member, ParticipantRole};
use crate::message::{
    Attachment, ContactChange, Delivery, DeliveryStatus, Message, MessageBody, MessageError,
    ReplyTo, Sender, SenderKind, TemplateRef, Visibility,
};
use crate::routing::MissedPolicy;
use crate::Millis;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An agent as a command names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRef {
    pub id: Uuid,
    pub name: String,
}

/// Who writes a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// The conversation's contact; `contact_id` is who the caller authenticated, `via` the
    /// channel they wrote on (the web widget, or a provider's), which need not be the active
    /// one while a chat switch is under way.
    Contact {
        contact_id: Uuid,
        name: String,
        via: Channel,
    },
    Agent(AgentRef),
}

/// Everything that can happen to an existing conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Append {
        author: Author,
        body: MessageBody,
        visibility: Visibility,
        client_msg_id: Option<Uuid>,
    },
    /// The contact sent a file (a provider channel's photo, document…): a public message
    /// naming it, which reopens a closed conversation like any message of theirs.
    ContactShares {
        contact_id: Uuid,
        name: String,
        attachment: Attachment,
        client_msg_id: Option<Uuid>,
    },
    /// An agent sends a file (an internal one is a note's attachment): a message naming it,
    /// which answers and takes a waiting chat like any public reply.
    AgentShares {
        agent: AgentRef,
        attachment: Attachment,
        visibility: Visibility,
        client_msg_id: Option<Uuid>,
    },
    /// The contact moves the live chat to another channel (`to`, where they are `address`);
    /// `welcome` greets them there, through the provider: as `template` where the channel lets
    /// the business write first only that way (WhatsApp), `welcome` then being its text.
    SwitchChannel {
        contact_id: Uuid,
        to: Channel,
        address: String,
        welcome: MessageBody,
        template: Option<TemplateRef>,
    },
    /// The contact goes back within the revert window; `goodbye` tells the other channel,
    /// once, that the chat went back (none where that channel would not take free text).
    RevertSwitch {
        contact_id: Uuid,
        goodbye: Option<MessageBody>,
    },
    /// An agent reconnects an ended chat or a lead on `to` (SMS) at the contact's number
    /// `address`: it reopens assigned to them and `welcome` goes out; a failed welcome ends it
    /// again.
    Reconnect {
        agent: AgentRef,
        to: Channel,
        address: String,
        welcome: MessageBody,
    },
    /// An agent chooses the channel their replies go on: another way the contact is known
    /// (`address` there, as it reads), within that channel's rules.
    ChooseChannel {
        agent: AgentRef,
        to: Channel,
        address: String,
    },
    /// An agent merged this conversation's contact (`from_name`) into another contact
    /// (`into`): the conversation moves there with its whole history.
    MergeContact {
        agent: AgentRef,
        from_name: String,
        into: Uuid,
        into_name: String,
    },
    /// An agent signs the contact out of the chat widget on every device: the visitor
    /// tokens issued so far stop working (a shared computer, a token that leaked).
    SignOutVisitor {
        agent: AgentRef,
    },
    /// An agent invites the contact to move the chat to `to` (a visitor action command: the
    /// widget opens its phone request).
    AskToSwitch {
        agent: AgentRef,
        to: Channel,
    },
    /// The agent can no longer take part (an admin deactivated them): a chat they hold goes
    /// back to routing, an offer to them is withdrawn, and they leave any room they were in.
    Release {
        agent: AgentRef,
    },
    /// Start chat, Accept or Put on hold: the agent takes it.
    Accept {
        agent: AgentRef,
    },
    Decline {
        agent: Uuid,
    },
    /// `to_online` is a fact the caller looked up.
    Transfer {
        from: AgentRef,
        to: AgentRef,
        to_online: bool,
        comment: String,
    },
    Invite {
        by: AgentRef,
        agent: AgentRef,
        agent_online: bool,
    },
    Close {
        agent: AgentRef,
    },
    /// Routing chose an agent with room for it.
    Offer {
        agent: Uuid,
        deadline: Millis,
    },
    /// Routing found nobody (or broadcasts): it waits in the queue with its timer.
    Enqueue {
        deadline: Millis,
    },
    /// The timer the caller saw (`deadline`) ran out.
    TimerFired {
        deadline: Millis,
        policy: MissedPolicy,
    },
    /// An agent answers a Page or Instagram comment: publicly under it, or privately (a direct
    /// message to its author). `comment_id` is the provider's id, a fact the caller looked up.
    AnswerComment {
        agent: AgentRef,
        body: MessageBody,
        comment_id: String,
        private: bool,
        client_msg_id: Option<Uuid>,
    },
    /// An agent sends an approved template (the only thing WhatsApp lets through once its
    /// reply window closed); `body` is its text with the parameters filled in.
    SendTemplate {
        agent: AgentRef,
        body: MessageBody,
        template: TemplateRef,
        client_msg_id: Option<Uuid>,
    },
    /// An agent deletes a contact's comment from the post (an abusive or sensitive one).
    /// `comment` is the message holding it, a fact the caller looked up; `already` when it
    /// is removed or its removal is under way.
    RemoveComment {
        agent: AgentRef,
        message_id: Uuid,
        comment: String,
        already: bool,
    },
    /// The provider deleted the comment (`Ok`) or refused to (`Err`, its reason).
    CommentRemovalDone {
        message_id: Uuid,
        result: Result<(), String>,
    },
    /// A provider reported how far one of our messages got; `current` is the message's stored
    /// status, a fact the caller looked up. Only forward moves are recorded.
    RecordDelivery {
        message_id: Uuid,
        current: DeliveryStatus,
        next: Delivery,
    },
    /// The contact edited, deleted or hid one of their messages on the provider; `theirs` is
    /// the caller's finding that the message is the contact's in this conversation, `latest`
    /// that no public message came after it (so the inbox row's preview shows it).
    ContactChanged {
        message_id: Uuid,
        theirs: bool,
        latest: bool,
        change: ContactChange,
    },
}

/// Why a command was refused. Nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This conversation is already closed.")]
    AlreadyClosed,
    #[error("This conversation is closed; it reopens when the contact writes again.")]
    ClosedForAgents,
    #[error("Another agent already took this chat.")]
    AlreadyTaken,
    #[error("You already have this chat.")]
    AlreadyYours,
    #[error("This chat is offered to another agent.")]
    OfferedToAnother,
    #[error("This chat is not waiting for an agent.")]
    NotWaiting,
    #[error("Only a chat in progress can be transferred.")]
    NotOpen,
    #[error("Pick another agent to transfer to.")]
    SelfTransfer,
    #[error("{name} is not online.")]
    NotOnline { name: String },
    #[error("{name} is already in this chat.")]
    AlreadyInRoom { name: String },
    /// A contact wrote to a conversation that is not theirs.
    #[error("That conversation does not exist.")]
    NotYourConversation,
    #[error("Only a conversation about a post's comments can answer a comment.")]
    NotAComment,
    #[error("Templates are sent only on messaging channels such as WhatsApp.")]
    NoTemplates,
    #[error("This comment is deleted already (or being deleted).")]
    CommentAlreadyRemoved,
    #[error("This chat can't move to {}.", .to.label())]
    CannotSwitch { to: Channel },
    #[error("The chat is already moving; wait for the text to go out.")]
    SwitchPending,
    #[error("The time to go back has passed.")]
    NoRevert,
    #[error("Only an ended chat or a lead can be reconnected; this one is still going.")]
    StillGoing,
    #[error("Files can't be sent under a post's comments; answer with text, or send it by private message from Messenger or Instagram.")]
    NoFilesOnComments,
    #[error("This conversation already belongs to that contact.")]
    SameContact,
    #[error("{0}")]
    Message(MessageError),
}

impl Refusal {
    /// A stable machine-readable name, for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::AlreadyClosed => "already_closed",
            Refusal::ClosedForAgents => "closed_for_agents",
            Refusal::AlreadyTaken => "already_taken",
            Refusal::AlreadyYours => "already_yours",
            Refusal::OfferedToAnother => "offered_to_another",
            Refusal::NotWaiting => "not_waiting",
            Refusal::NotOpen => "not_open",
            Refusal::SelfTransfer => "self_transfer",
            Refusal::NotOnline { .. } => "not_online",
            Refusal::AlreadyInRoom { .. } => "already_in_room",
            Refusal::NotYourConversation => "not_your_conversation",
            Refusal::NotAComment => "not_a_comment",
            Refusal::NoTemplates => "no_templates",
            Refusal::CommentAlreadyRemoved => "comment_already_removed",
            Refusal::CannotSwitch { .. } => "cannot_switch",
            Refusal::SwitchPending => "switch_pending",
            Refusal::NoRevert => "no_revert",
            Refusal::StillGoing => "still_going",
            Refusal::NoFilesOnComments => "no_files_on_comments",
            Refusal::SameContact => "same_contact",
            Refusal::Message(e) => e.code(),
        }
    }
}

/// What happened to a conversation. Stored as the conversation's event log and fanned out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Events are made once per change and moved straight into the log; boxing the message would
// add an allocation and clumsier matching everywhere for no measured gain.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    Started {
        contact_id: Uuid,
        channel: Channel,
        lead: bool,
    },
    MessageAppended {
        message: Message,
    },
    /// The contact wrote to a closed conversation: back to routing with its history.
    Reopened,
    Queued {
        deadline: Millis,
    },
    Offered {
        agent: Uuid,
        deadline: Millis,
    },
    /// An agent took it (Start chat, Accept, Hold) or replied to a waiting chat.
    Assigned {
        agent: Uuid,
        by_reply: bool,
    },
    /// The acceptance timer ran out on this agent.
    OfferLapsed {
        agent: Uuid,
    },
    /// The queue timer ran out; with the offline-lead policy it became a lead.
    QueueMissed {
        into_lead: bool,
    },
    /// `withdrawn`: it was offered to them and goes back to routing.
    Declined {
        agent: Uuid,
        withdrawn: bool,
    },
    Transferred {
        from: Uuid,
        to: Uuid,
    },
    Invited {
        agent: Uuid,
        by: Uuid,
    },
    Closed {
        by: Option<Uuid>,
    },
    /// One of our messages moved forward on its way to the contact (sent, delivered, read, or
    /// failed with the provider's reason).
    DeliveryUpdated {
        message_id: Uuid,
        delivery: Delivery,
    },
    /// A contact's comment was deleted from the post.
    CommentRemoved {
        message_id: Uuid,
    },
    /// The contact changed one of their messages (the latest public one: the row's preview
    /// follows).
    ContactChanged {
        message_id: Uuid,
        change: ContactChange,
        #[serde(default)]
        latest: bool,
    },
    /// The active channel moved to `to` (the contact is `address` there); `welcome` greets
    /// them on it.
    ChannelSwitched {
        from: Channel,
        to: Channel,
        address: String,
        welcome: Uuid,
        /// An agent reconnected an ended chat or a lead.
        #[serde(default)]
        reconnect: bool,
    },
    /// The provider took the welcome: the switch holds (revertible for a few seconds).
    SwitchConfirmed,
    /// The welcome could not go: back to the channel it came from.
    SwitchFailed {
        reason: String,
    },
    /// The contact went back to the channel it came from.
    SwitchReverted,
    /// An agent invited the contact to move the chat to `to`.
    SwitchAsked {
        to: Channel,
    },
    /// An agent chose the channel replies go on.
    ReplyChannelChosen {
        from: Channel,
        to: Channel,
    },
    /// The agent left for good (deactivated): out of the room, and the chat they held waits
    /// for someone else.
    Released {
        agent: Uuid,
    },
    /// The contact was merged into another one: the conversation is theirs now.
    ContactMerged {
        from: Uuid,
        into: Uuid,
    },
    /// The contact's widget tokens issued until now were revoked: their open widgets close.
    VisitorSignedOut {
        contact: Uuid,
    },
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Started { .. } => "started",
            Event::MessageAppended { .. } => "message_appended",
            Event::Reopened => "reopened",
            Event::Queued { .. } => "queued",
            Event::Offered { .. } => "offered",
            Event::Assigned { .. } => "assigned",
            Event::OfferLapsed { .. } => "offer_lapsed",
            Event::QueueMissed { .. } => "queue_missed",
            Event::Declined { .. } => "declined",
            Event::Transferred { .. } => "transferred",
            Event::Invited { .. } => "invited",
            Event::Closed { .. } => "closed",
            Event::DeliveryUpdated { .. } => "delivery_updated",
            Event::CommentRemoved { .. } => "comment_removed",
            Event::ContactChanged { .. } => "contact_changed",
            Event::ChannelSwitched { .. } => "channel_switched",
            Event::SwitchConfirmed => "switch_confirmed",
            Event::SwitchFailed { .. } => "switch_failed",
            Event::SwitchReverted => "switch_reverted",
            Event::SwitchAsked { .. } => "switch_asked",
            Event::ReplyChannelChosen { .. } => "reply_channel_chosen",
            Event::ContactMerged { .. } => "contact_merged",
            Event::Released { .. } => "released",
            Event::VisitorSignedOut { .. } => "visitor_signed_out",
        }
    }
}

/// Follow-up work a decision asks for, done later by a reactor from the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "work", rename_all = "snake_case")]
pub enum Work {
    /// Put this waiting conversation in the queue or offer it to an agent.
    Route,
    /// Capacity was freed: offer waiting chats to agents with room (time-based routing).
    DrainQueue,
    /// Send this message to the contact through the conversation's provider channel.
    Deliver { message_id: Uuid },
    /// Delete the contact's comment held by this message from the post.
    RemoveComment { message_id: Uuid },
}

/// The events and the work of one decision. No events: nothing to do (a stale timer, a
/// repeated decline).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub events: Vec<Event>,
    pub work: Vec<Work>,
}

/// Builds the messages of one decision with consecutive seqs.
struct Writer<'a> {
    state: &'a ConversationState,
    now: Millis,
    new_id: &'a mut dyn FnMut() -> Uuid,
    next_seq: u64,
    decision: Decision,
    /// The comment the next message answers.
    reply_to: Option<ReplyTo>,
    /// The template the next message is sent as.
    template: Option<TemplateRef>,
    /// The channel the next messages go on, when not the active one (a switch's welcome).
    channel: Option<Channel>,
    /// The next messages go out through the provider though not an agent's (a switch's
    /// welcome and goodbye).
    send_system: bool,
    /// The file the next message carries.
    attachment: Option<Attachment>,
}

impl Writer<'_> {
    fn event(&mut self, e: Event) {
        self.decision.events.push(e);
    }

    fn message(
        &mut self,
        sender: Sender,
        body: String,
        visibility: Visibility,
        client_msg_id: Option<Uuid>,
    ) {
        self.next_seq += 1;
        // An agent's public message on a provider channel must go out through the provider:
        // it starts queued and the outbox gets the send, in the same transaction.
        let channel = self.channel.unwrap_or(self.state.active_channel);
        let deliver = (sender.kind == SenderKind::Agent || self.send_system)
            && visibility.visible_to_contact()
            && channel.via_provider();
        let message = Message {
            id: (self.new_id)(),
            conversation_id: self.state.id,
            seq: self.next_seq,
            sender,
            body,
            visibility,
            channel,
            client_msg_id,
            created_at: self.now,
            delivery: deliver.then(Delivery::queued),
            reply_to: self.reply_to.clone(),
            template: self.template.clone(),
            removed: false,
            attachment: self.attachment.take(),
            altered: None,
        };
        if deliver {
            self.work(Work::Deliver {
                message_id: message.id,
            });
        }
        self.event(Event::MessageAppended { message });
    }

    fn system(&mut self, text: String, visibility: Visibility) {
        self.message(
            Sender {
                kind: SenderKind::System,
                id: None,
                name: "Switchboard".into(),
            },
            text,
            visibility,
            None,
        );
    }

    fn work(&mut self, w: Work) {
        self.decision.work.push(w);
    }

    /// A message from us that goes out on `channel` through its provider (a switch's welcome
    /// or goodbye); its id.
    fn send_on(&mut self, channel: Channel, text: String) -> Uuid {
        self.channel = Some(channel);
        self.send_system = true;
        self.system(text, Visibility::Public);
        self.send_system = false;
        self.channel = None;
        match self.decision.events.last() {
            Some(Event::MessageAppended { message }) => message.id,
            _ => Uuid::nil(),
        }
    }

    /// A line in the timeline, on `channel`.
    fn marker_on(&mut self, channel: Channel, text: String) {
        self.channel = Some(channel);
        self.system(text, Visibility::Public);
        self.channel = None;
    }
}

fn agent_sender(a: &AgentRef) -> Sender {
    Sender {
        kind: SenderKind::Agent,
        id: Some(a.id),
        name: a.name.clone(),
    }
}

fn note(text: String) -> Result<String, Refusal> {
    MessageBody::parse(&text)
        .map(MessageBody::into_inner)
        .map_err(Refusal::Message)
}

/// The contact's message (always public): it reopens a closed conversation for routing.
fn contact_writes(
    w: &mut Writer<'_>,
    contact_id: Uuid,
    name: &str,
    body: String,
    client_msg_id: Option<Uuid>,
) -> Result<(), Refusal> {
    if contact_id != w.state.contact_id {
        return Err(Refusal::NotYourConversation);
    }
    if w.state.status == ConversationStatus::Closed {
        w.event(Event::Reopened);
        w.work(Work::Route);
    }
    let sender = Sender {
        kind: SenderKind::Visitor,
        id: None,
        name: name.to_string(),
    };
    w.message(sender, body, Visibility::Public, client_msg_id);
    Ok(())
}

/// An agent's message: a public one answers (and takes) a waiting chat; a closed one is
/// refused (it reopens only when the contact writes).
fn agent_writes(
    w: &mut Writer<'_>,
    agent: &AgentRef,
    body: &MessageBody,
    visibility: Visibility,
    client_msg_id: Option<Uuid>,
    reply_to: Option<ReplyTo>,
) -> Result<(), Refusal> {
    use ConversationStatus as S;
    let state = w.state;
    if visibility == Visibility::Public {
        match state.status {
            S::Closed => return Err(Refusal::ClosedForAgents),
            S::Offered if state.offered_to != Some(agent.id) => {
                return Err(Refusal::OfferedToAnother)
            }
            // Answering a waiting chat takes it, as if they had clicked Start chat.
            S::Queued | S::Offered => w.event(Event::Assigned {
                agent: agent.id,
                by_reply: true,
            }),
            S::Open if state.assignee.is_none() => w.event(Event::Assigned {
                agent: agent.id,
                by_reply: true,
            }),
            S::Open => {}
        }
    }
    w.reply_to = reply_to;
    w.message(
        agent_sender(agent),
        body.as_str().to_string(),
        visibility,
        client_msg_id,
    );
    w.reply_to = None;
    Ok(())
}

/// Decides what `command` does to a conversation in `state` at `now`.
pub fn decide(
    state: &ConversationState,
    command: &Command,
    now: Millis,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<Decision, Refusal> {
    use ConversationStatus as S;
    let mut w = Writer {
        state,
        now,
        new_id,
        next_seq: state.last_seq,
        decision: Decision::default(),
        reply_to: None,
        template: None,
        attachment: None,
        channel: None,
        send_system: false,
    };
    match command {
        Command::ContactShares {
            contact_id,
            name,
            attachment,
            client_msg_id,
        } => {
            w.attachment = Some(attachment.clone());
            contact_writes(
                &mut w,
                *contact_id,
                name,
                attachment.label(),
                *client_msg_id,
            )?
        }
        Command::Append {
            author:
                Author::Contact {
                    contact_id,
                    name,
                    via,
                },
            body,
            client_msg_id,
            ..
        } => {
            w.channel = Some(*via);
            contact_writes(
                &mut w,
                *contact_id,
                name,
                body.as_str().to_string(),
                *client_msg_id,
            )?;
            w.channel = None;
        }
        Command::Append {
            author: Author::Agent(agent),
            body,
            visibility,
            client_msg_id,
        } => agent_writes(&mut w, agent, body, *visibility, *client_msg_id, None)?,
        Command::AgentShares {
            agent,
            attachment,
            visibility,
            client_msg_id,
        } => {
            if state.post.is_some() && *visibility == Visibility::Public {
                return Err(Refusal::NoFilesOnComments);
            }
            let label = MessageBody::parse(&attachment.label()).map_err(Refusal::Message)?;
            w.attachment = Some(attachment.clone());
            agent_writes(&mut w, agent, &label, *visibility, *client_msg_id, None)?;
            w.attachment = None;
        }
        Command::AnswerComment {
            agent,
            body,
            comment_id,
            private,
            client_msg_id,
        } => {
            if !state.active_channel.has_comments() {
                return Err(Refusal::NotAComment);
            }
            let reply = ReplyTo {
                comment_id: comment_id.clone(),
                private: *private,
            };
            agent_writes(
                &mut w,
                agent,
                body,
                Visibility::Public,
                *client_msg_id,
                Some(reply),
            )?
        }
        Command::SendTemplate {
            agent,
            body,
            template,
            client_msg_id,
        } => {
            if !state.active_channel.via_provider() {
                return Err(Refusal::NoTemplates);
            }
            w.template = Some(template.clone());
            agent_writes(
                &mut w,
                agent,
                body,
                Visibility::Public,
                *client_msg_id,
                None,
            )?;
            w.template = None;
        }
        Command::Accept { agent } => {
            match state.status {
                S::Closed => return Err(Refusal::AlreadyClosed),
                S::Open if state.assignee == Some(agent.id) => return Err(Refusal::AlreadyYours),
                S::Open => return Err(Refusal::AlreadyTaken),
                S::Offered if state.offered_to != Some(agent.id) => {
                    return Err(Refusal::OfferedToAnother)
                }
                S::Queued | S::Offered => {}
            }
            w.event(Event::Assigned {
                agent: agent.id,
                by_reply: false,
            });
            w.system(
                format!("{} joined the chat.", agent.name),
                Visibility::Public,
            );
        }
        Command::Release { agent } => {
            let held = state.assignee == Some(agent.id) && state.status == S::Open;
            let offered = state.offered_to == Some(agent.id) && state.status == S::Offered;
            let member = state.members.iter().any(|m| m.agent == agent.id);
            if offered {
                w.event(Event::Declined {
                    agent: agent.id,
                    withdrawn: true,
                });
                w.work(Work::Route);
            } else if held || member {
                if held {
                    w.system(
                        format!(
                            "{} is no longer available. Another agent will be with you shortly.",
                            agent.name
                        ),
                        Visibility::Public,
                    );
                }
                w.event(Event::Released { agent: agent.id });
                if held {
                    w.work(Work::Route);
                }
            }
        }
        Command::Decline { agent } => match state.status {
            S::Offered if state.offered_to == Some(*agent) => {
                w.event(Event::Declined {
                    agent: *agent,
                    withdrawn: true,
                });
                w.work(Work::Route);
            }
            // Declining twice changes nothing.
            S::Queued if state.passed_by.contains(agent) => {}
            S::Queued => w.event(Event::Declined {
                agent: *agent,
                withdrawn: false,
            }),
            _ => return Err(Refusal::NotWaiting),
        },
        Command::Transfer {
            from,
            to,
            to_online,
            comment,
        } => {
            if to.id == from.id {
                return Err(Refusal::SelfTransfer);
            }
            match state.status {
                S::Closed => return Err(Refusal::AlreadyClosed),
                S::Open => {}
                _ => return Err(Refusal::NotOpen),
            }
            if !to_online {
                return Err(Refusal::NotOnline {
                    name: to.name.clone(),
                });
            }
            let comment = comment.trim();
            let text = if comment.is_empty() {
                format!("{} transferred this chat to {}.", from.name, to.name)
            } else {
                format!(
                    "{} transferred this chat to {}: {}",
                    from.name, to.name, comment
                )
            };
            let text = note(text)?;
            w.event(Event::Transferred {
                from: from.id,
                to: to.id,
            });
            // The comment is an internal note: the contact never sees it.
            w.message(agent_sender(from), text, Visibility::Internal, None);
            w.work(Work::DrainQueue);
        }
        Command::Invite {
            by,
            agent,
            agent_online,
        } => {
            if state.status == S::Closed {
                return Err(Refusal::AlreadyClosed);
            }
            if state.assignee == Some(agent.id) || state.members.iter().any(|m| m.agent == agent.id)
            {
                return Err(Refusal::AlreadyInRoom {
                    name: agent.name.clone(),
                });
            }
            if !agent_online {
                return Err(Refusal::NotOnline {
                    name: agent.name.clone(),
                });
            }
            w.event(Event::Invited {
                agent: agent.id,
                by: by.id,
            });
            w.system(
                format!("{} invited {} to the chat.", by.name, agent.name),
                Visibility::Internal,
            );
        }
        Command::Close { agent } => {
            if state.status == S::Closed {
                return Err(Refusal::AlreadyClosed);
            }
            w.system(
                format!(
                    "{} closed this conversation. Write again any time.",
                    agent.name
                ),
                Visibility::Public,
            );
            w.event(Event::Closed { by: Some(agent.id) });
            if matches!(state.status, S::Open | S::Offered) {
                w.work(Work::DrainQueue);
            }
        }
        Command::Offer { agent, deadline } => {
            if state.status != S::Queued || state.lead {
                return Err(Refusal::NotWaiting);
            }
            w.event(Event::Offered {
                agent: *agent,
                deadline: *deadline,
            });
        }
        Command::Enqueue { deadline } => {
            if state.status != S::Queued || state.lead {
                return Err(Refusal::NotWaiting);
            }
            // A running timer keeps running; a missed request stays flagged without one.
            if !state.missed && state.deadline.is_none() {
                w.event(Event::Queued {
                    deadline: *deadline,
                });
            }
        }
        Command::TimerFired { deadline, policy } => {
            if state.deadline != Some(*deadline) {
                return Ok(Decision::default()); // accepted, declined or fired elsewhere meanwhile
            }
            match (state.status, state.offered_to) {
                (S::Offered, Some(agent)) => {
                    w.event(Event::OfferLapsed { agent });
                    w.work(Work::Route);
                }
                (S::Queued, _) => {
                    let into_lead = *policy == MissedPolicy::OfflineLead;
                    w.event(Event::QueueMissed { into_lead });
                    let text = if into_lead {
                        "All our agents are busy right now. We have saved your message and will get back to you by email."
                    } else {
                        "Sorry for the wait: all our agents are busy. Please stay here; we'll answer as soon as someone is free."
                    };
                    w.system(text.into(), Visibility::Public);
                }
                _ => {}
            }
        }
        Command::RemoveComment {
            agent,
            message_id,
            comment,
            already,
        } => {
            if !state.active_channel.has_comments() {
                return Err(Refusal::NotAComment);
            }
            if *already {
                return Err(Refusal::CommentAlreadyRemoved);
            }
            w.system(
                format!(
                    "{} asked to delete the comment \u{201c}{}\u{201d}.",
                    agent.name,
                    super::preview_of(comment)
                ),
                Visibility::Internal,
            );
            w.work(Work::RemoveComment {
                message_id: *message_id,
            });
        }
        Command::CommentRemovalDone { message_id, result } => match result {
            Ok(()) => w.event(Event::CommentRemoved {
                message_id: *message_id,
            }),
            Err(reason) => w.system(
                format!("The comment could not be deleted: {reason}"),
                Visibility::Internal,
            ),
        },
        Command::RecordDelivery {
            message_id,
            current,
            next,
        } => {
            // Receipts come late and out of order (a "sent" after "delivered", a failure
            // after "read"); only news is recorded, on any conversation status.
            if current.advances_to(next.status) {
                w.event(Event::DeliveryUpdated {
                    message_id: *message_id,
                    delivery: next.clone(),
                });
            }
            // A switch's welcome decides the switch.
            if let Some(sw) = state
                .switch
                .as_ref()
                .filter(|sw| sw.pending() && sw.welcome == *message_id)
            {
                use crate::message::DeliveryStatus as D;
                match next.status {
                    D::Sent | D::Delivered | D::Read => w.event(Event::SwitchConfirmed),
                    D::Failed => {
                        let reason = next
                            .reason
                            .clone()
                            .unwrap_or_else(|| "the provider refused it".into());
                        w.event(Event::SwitchFailed {
                            reason: reason.clone(),
                        });
                        let next = if sw.reconnect {
                            "The chat stays ended."
                        } else {
                            "The chat continues here."
                        };
                        w.marker_on(
                            sw.from,
                            format!(
                                "We couldn't reach {} by {} ({}). {next}",
                                switch::readable_number(&sw.address),
                                sw.to.label(),
                                reason.trim_end_matches('.')
                            ),
                        );
                        if sw.reconnect {
                            w.event(Event::Closed { by: None });
                        }
                    }
                    D::Queued => {}
                }
            }
        }
        Command::SwitchChannel {
            contact_id,
            to,
            address,
            welcome,
            template,
        } => {
            if *contact_id != state.contact_id {
                return Err(Refusal::NotYourConversation);
            }
            if state.status == S::Closed {
                return Err(Refusal::AlreadyClosed);
            }
            if state.switch.as_ref().is_some_and(|sw| sw.pending()) {
                return Err(Refusal::SwitchPending);
            }
            if state.lead || *to == Channel::Web || !switch::switchable(state.active_channel, *to) {
                return Err(Refusal::CannotSwitch { to: *to });
            }
            w.marker_on(state.active_channel, switch::marker(*to, address));
            w.template = template.clone();
            let welcome = w.send_on(*to, welcome.as_str().to_string());
            w.template = None;
            w.event(Event::ChannelSwitched {
                from: state.active_channel,
                to: *to,
                address: address.clone(),
                welcome,
                reconnect: false,
            });
        }
        Command::Reconnect {
            agent,
            to,
            address,
            welcome,
        } => {
            if state.status != S::Closed {
                return Err(Refusal::StillGoing);
            }
            if !matches!(to, Channel::Sms | Channel::Whatsapp) {
                return Err(Refusal::CannotSwitch { to: *to });
            }
            w.event(Event::Reopened);
            w.event(Event::Assigned {
                agent: agent.id,
                by_reply: false,
            });
            w.marker_on(
                state.active_channel,
                format!(
                    "{} reconnected by {} at {}",
                    agent.name,
                    to.label(),
                    switch::readable_number(address)
                ),
            );
            let welcome = w.send_on(*to, welcome.as_str().to_string());
            w.event(Event::ChannelSwitched {
                from: state.active_channel,
                to: *to,
                address: address.clone(),
                welcome,
                reconnect: true,
            });
        }
        Command::ChooseChannel { agent, to, address } => {
            if state.status == S::Closed {
                return Err(Refusal::AlreadyClosed);
            }
            if state.switch.as_ref().is_some_and(|sw| sw.pending()) {
                return Err(Refusal::SwitchPending);
            }
            if state.lead || *to == state.active_channel || *to == Channel::PageComment {
                return Err(Refusal::CannotSwitch { to: *to });
            }
            let marker = match to {
                Channel::Web => format!("{} continued on the web chat", agent.name),
                _ => format!(
                    "{} continued by {} at {}",
                    agent.name,
                    to.label(),
                    switch::readable_number(address)
                ),
            };
            w.marker_on(state.active_channel, marker);
            w.event(Event::ReplyChannelChosen {
                from: state.active_channel,
                to: *to,
            });
        }
        Command::MergeContact {
            agent,
            from_name,
            into,
            into_name,
        } => {
            if *into == state.contact_id {
                return Err(Refusal::SameContact);
            }
            // Agents only: the visitor never learns how we file them.
            w.system(
                format!(
                    "{} merged the contact {from_name} into {into_name}",
                    agent.name
                ),
                Visibility::Internal,
            );
            w.event(Event::ContactMerged {
                from: state.contact_id,
                into: *into,
            });
        }
        Command::SignOutVisitor { agent } => {
            // Agents only: the widget just closes.
            w.system(
                format!("{} signed the visitor out of the chat widget", agent.name),
                Visibility::Internal,
            );
            w.event(Event::VisitorSignedOut {
                contact: state.contact_id,
            });
        }
        Command::AskToSwitch { agent, to } => {
            if state.status != S::Open {
                return Err(Refusal::NotOpen);
            }
            if state.switch.as_ref().is_some_and(|sw| sw.pending()) {
                return Err(Refusal::SwitchPending);
            }
            if state.lead
                || state.active_channel != Channel::Web
                || *to == Channel::Web
                || !switch::switchable(state.active_channel, *to)
            {
                return Err(Refusal::CannotSwitch { to: *to });
            }
            w.system(
                format!("{} asked to continue by {}.", agent.name, to.label()),
                Visibility::Public,
            );
            w.event(Event::SwitchAsked { to: *to });
        }
        Command::RevertSwitch {
            contact_id,
            goodbye,
        } => {
            if *contact_id != state.contact_id {
                return Err(Refusal::NotYourConversation);
            }
            let Some(sw) = state
                .switch
                .as_ref()
                .filter(|sw| sw.to == state.active_channel && sw.revertible_at(now))
            else {
                return Err(Refusal::NoRevert);
            };
            if let Some(goodbye) = goodbye {
                w.send_on(sw.to, goodbye.as_str().to_string());
            }
            w.event(Event::SwitchReverted);
            w.marker_on(sw.from, switch::marker(sw.from, ""));
        }
        Command::ContactChanged {
            message_id,
            theirs,
            latest,
            change,
        } => {
            // Only what the contact wrote is theirs to change; on any conversation status.
            if !*theirs {
                return Err(Refusal::NotYourConversation);
            }
            w.event(Event::ContactChanged {
                message_id: *message_id,
                change: change.clone(),
                latest: *latest,
            });
        }
    }
    Ok(w.decision)
}

/// A conversation to begin: its first message comes from the contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConversation {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub contact_name: String,
    pub channel: Channel,
    /// Left through the offline form: stored as a lead, not routed.
    pub lead: bool,
    pub first: MessageBody,
    pub client_msg_id: Option<Uuid>,
    /// The post a comment conversation is about.
    pub post: Option<Uuid>,
    /// The file the first message carries (then `first` names it).
    pub attachment: Option<Attachment>,
}

/// A new conversation's state, its first events and its work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub state: ConversationState,
    pub events: Vec<Event>,
    pub work: Vec<Work>,
}

/// Begins a conversation: started, the contact's first message, and routing (or, for a lead,
/// closed at once: the contact's next message reopens it).
pub fn start(new: NewConversation, now: Millis, new_id: &mut dyn FnMut() -> Uuid) -> Started {
    let blank = ConversationState {
        id: new.id,
        contact_id: new.contact_id,
        status: ConversationStatus::Queued,
        active_channel: new.channel,
        assignee: None,
        offered_to: None,
        deadline: None,
        missed: false,
        lead: false,
        last_seq: 0,
        revision: 0,
        preview: String::new(),
        last_sender: None,
        last_message_at: now,
        created_at: now,
        updated_at: now,
        queued_at: now,
        accepted_at: None,
        first_response_at: None,
        closed_at: None,
        members: vec![],
        passed_by: vec![],
        post: new.post,
        switch: None,
    };
    let mut w = Writer {
        state: &blank,
        now,
        new_id,
        next_seq: 0,
        decision: Decision::default(),
        reply_to: None,
        template: None,
        attachment: new.attachment,
        channel: None,
        send_system: false,
    };
    w.event(Event::Started {
        contact_id: new.contact_id,
        channel: new.channel,
        lead: new.lead,
    });
    let sender = Sender {
        kind: SenderKind::Visitor,
        id: None,
        name: new.contact_name.clone(),
    };
    w.message(
        sender,
        new.first.into_inner(),
        Visibility::Public,
        new.client_msg_id,
    );
    if new.lead {
        w.event(Event::Closed { by: None });
    } else {
        w.work(Work::Route);
    }
    let Decision { events, work } = w.decision;
    let mut state = blank.clone();
    for e in &events {
        evolve(&mut state, e, now);
    }
    Started {
        state,
        events,
        work,
    }
}

fn join(members: &mut Vec<Member>, agent: Uuid, role: ParticipantRole) {
    match members.iter_mut().find(|m| m.agent == agent) {
        Some(m) => m.role = role,
        None => members.push(Member { agent, role }),
    }
}

fn pass(passed_by: &mut Vec<Uuid>, agent: Uuid) {
    if !passed_by.contains(&agent) {
        passed_by.push(agent);
    }
}

/// Applies one event. Every event moves the revision on by one.
pub fn evolve(s: &mut ConversationState, event: &Event, now: Millis) {
    use ConversationStatus as S;
    s.revision += 1;
    s.updated_at = now;
    match event {
        Event::ChannelSwitched {
            from,
            to,
            address,
            welcome,
            reconnect,
        } => {
            s.active_channel = *to;
            s.switch = Some(switch::ChannelSwitch {
                from: *from,
                to: *to,
                address: address.clone(),
                welcome: *welcome,
                phase: switch::SwitchPhase::Pending,
                requested_at: now,
                reconnect: *reconnect,
            });
        }
        Event::SwitchAsked { .. } | Event::VisitorSignedOut { .. } => {}
        Event::ReplyChannelChosen { to, .. } => {
            s.active_channel = *to;
            s.switch = None;
        }
        Event::ContactMerged { into, .. } => {
            s.contact_id = *into;
        }
        Event::Released { agent } => {
            s.members.retain(|m| m.agent != *agent);
            if s.assignee == Some(*agent) {
                s.assignee = None;
                s.status = S::Queued;
                s.queued_at = now;
                s.deadline = None;
                pass(&mut s.passed_by, *agent);
            }
        }
        Event::SwitchConfirmed => {
            if let Some(sw) = s.switch.as_mut() {
                sw.phase = switch::SwitchPhase::Confirmed { at: now };
            }
        }
        Event::SwitchFailed { .. } | Event::SwitchReverted => {
            if let Some(sw) = s.switch.take() {
                s.active_channel = sw.from;
            }
        }
        Event::Started {
            contact_id,
            channel,
            lead,
        } => {
            s.contact_id = *contact_id;
            s.active_channel = *channel;
            s.lead = *lead;
            s.status = S::Queued;
            s.created_at = now;
            s.queued_at = now;
        }
        Event::MessageAppended { message } => {
            s.last_seq = s.last_seq.max(message.seq);
            if message.visibility.visible_to_contact() {
                s.preview = super::preview_of(&message.body);
                s.last_sender = Some(message.sender.kind);
                s.last_message_at = message.created_at;
                if message.sender.kind == SenderKind::Agent && s.first_response_at.is_none() {
                    s.first_response_at = Some(message.created_at);
                }
            }
        }
        Event::Reopened => {
            // Back to routing from scratch, with the whole history kept.
            s.status = S::Queued;
            s.closed_at = None;
            s.assignee = None;
            s.offered_to = None;
            s.deadline = None;
            s.missed = false;
            s.lead = false;
            s.queued_at = now;
            s.accepted_at = None;
            s.first_response_at = None;
            s.members.clear();
            s.passed_by.clear();
        }
        Event::Queued { deadline } => s.deadline = Some(*deadline),
        Event::Offered { agent, deadline } => {
            s.status = S::Offered;
            s.offered_to = Some(*agent);
            s.deadline = Some(*deadline);
        }
        Event::Assigned { agent, .. } => {
            s.status = S::Open;
            s.assignee = Some(*agent);
            s.offered_to = None;
            s.deadline = None;
            s.accepted_at = s.accepted_at.or(Some(now));
            join(&mut s.members, *agent, ParticipantRole::Owner);
        }
        Event::OfferLapsed { agent } => {
            s.status = S::Queued;
            s.offered_to = None;
            s.deadline = None;
            pass(&mut s.passed_by, *agent);
        }
        Event::QueueMissed { into_lead } => {
            s.missed = true;
            s.deadline = None;
            if *into_lead {
                s.status = S::Closed;
                s.lead = true;
                s.closed_at = Some(now);
            }
        }
        Event::Declined { agent, withdrawn } => {
            pass(&mut s.passed_by, *agent);
            if *withdrawn {
                s.status = S::Queued;
                s.offered_to = None;
                s.deadline = None;
            }
        }
        Event::Transferred { from, to } => {
            s.status = S::Open;
            s.assignee = Some(*to);
            s.offered_to = None;
            s.deadline = None;
            s.members.retain(|m| m.agent != *from);
            join(&mut s.members, *to, ParticipantRole::Owner);
        }
        Event::Invited { agent, .. } => join(&mut s.members, *agent, ParticipantRole::Invited),
        Event::Closed { .. } => {
            s.status = S::Closed;
            s.offered_to = None;
            s.deadline = None;
            s.closed_at = Some(now);
        }
        // The message row carries its delivery; the conversation only gets a new revision.
        // The row's preview never keeps text its author deleted.
        Event::ContactChanged {
            change,
            latest: true,
            ..
        } => match change {
            ContactChange::Edited { text } => s.preview = super::preview_of(text),
            ContactChange::Withdrawn => s.preview = "Message deleted by the contact".into(),
            ContactChange::Hidden | ContactChange::Unhidden => {}
        },
        Event::DeliveryUpdated { .. }
        | Event::CommentRemoved { .. }
        | Event::ContactChanged { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationStatus::*;

    const NOW: Millis = 1_000_000;

    fn ids() -> impl FnMut() -> Uuid {
        let mut n = 1000u128;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    fn agent(n: u128) -> AgentRef {
        AgentRef {
            id: Uuid::from_u128(n),
            name: format!("Agent {n}"),
        }
    }

    fn contact() -> Author {
        Author::Contact {
            contact_id: Uuid::from_u128(7),
            name: "Ada".into(),
            via: Channel::Web,
        }
    }

    fn body(s: &str) -> MessageBody {
        MessageBody::parse(s).unwrap()
    }

    /// A chat started by Ada, then shaped by `events` (as the engine would apply them).
    fn chat(events: &[Event]) -> ConversationState {
        let started = start(
            NewConversation {
                id: Uuid::from_u128(99),
                contact_id: Uuid::from_u128(7),
                contact_name: "Ada".into(),
                channel: Channel::Web,
                lead: false,
                first: body("hello"),
                client_msg_id: None,
                post: None,
                attachment: None,
            },
            NOW,
            &mut ids(),
        );
        let mut s = started.state;
        for e in events {
            evolve(&mut s, e, NOW);
        }
        s
    }

    fn run(s: &ConversationState, c: Command) -> Result<Decision, Refusal> {
        decide(s, &c, NOW + 5, &mut ids())
    }

    /// Decides and applies, as the engine does.
    fn apply(s: &ConversationState, c: Command) -> (ConversationState, Decision) {
        let d = run(s, c).expect("accepted");
        let mut next = s.clone();
        for e in &d.events {
            evolve(&mut next, e, NOW + 5);
        }
        (next, d)
    }

    fn kinds(d: &Decision) -> Vec<&'static str> {
        d.events.iter().map(Event::name).collect()
    }

    fn offered_to(n: u128) -> Event {
        Event::Offered {
            agent: Uuid::from_u128(n),
            deadline: NOW + 30_000,
        }
    }

    fn assigned_to(n: u128) -> Event {
        Event::Assigned {
            agent: Uuid::from_u128(n),
            by_reply: false,
        }
    }

    #[test]
    fn a_chat_starts_queued_with_its_first_message_and_asks_for_routing() {
        let started = start(
            NewConversation {
                id: Uuid::from_u128(99),
                contact_id: Uuid::from_u128(7),
                contact_name: "Ada".into(),
                channel: Channel::Web,
                lead: false,
                first: body("hello"),
                client_msg_id: Some(Uuid::from_u128(5)),
                post: None,
                attachment: None,
            },
            NOW,
            &mut ids(),
        );
        assert_eq!(
            started.events.iter().map(Event::name).collect::<Vec<_>>(),
            vec!["started", "message_appended"]
        );
        assert_eq!(started.work, vec![Work::Route]);
        let s = &started.state;
        assert_eq!(
            (s.status, s.last_seq, s.revision, s.lead),
            (Queued, 1, 2, false)
        );
        assert_eq!(s.preview, "hello");
        assert_eq!(s.last_sender, Some(SenderKind::Visitor));
        let Event::MessageAppended { message } = &started.events[1] else {
            panic!()
        };
        assert_eq!(
            (
                message.seq,
                message.client_msg_id,
                message.sender.name.as_str()
            ),
            (1, Some(Uuid::from_u128(5)), "Ada")
        );
    }

    #[test]
    fn a_lead_is_closed_at_once_and_not_routed() {
        let started = start(
            NewConversation {
                id: Uuid::from_u128(99),
                contact_id: Uuid::from_u128(7),
                contact_name: "Ada".into(),
                channel: Channel::Web,
                lead: true,
                first: body("call me"),
                client_msg_id: None,
                post: None,
                attachment: None,
            },
            NOW,
            &mut ids(),
        );
        assert!(started.work.is_empty());
        assert_eq!(
            (
                started.state.status,
                started.state.lead,
                started.state.closed_at
            ),
            (Closed, true, Some(NOW))
        );
    }

    #[test]
    fn an_agent_reply_takes_a_waiting_chat() {
        let (s, d) = apply(
            &chat(&[]),
            Command::Append {
                author: Author::Agent(agent(1)),
                body: body("Hi!"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
        );
        assert_eq!(kinds(&d), vec!["assigned", "message_appended"]);
        assert_eq!((s.status, s.assignee), (Open, Some(Uuid::from_u128(1))));
        assert_eq!(s.first_response_at, Some(NOW + 5));
        assert_eq!(s.accepted_at, Some(NOW + 5));
        assert_eq!(
            s.members,
            vec![Member {
                agent: Uuid::from_u128(1),
                role: ParticipantRole::Owner
            }]
        );
        // Answering a chat already held does not re-assign it.
        let (s2, d2) = apply(
            &s,
            Command::Append {
                author: Author::Agent(agent(2)),
                body: body("me too"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
        );
        assert_eq!(kinds(&d2), vec!["message_appended"]);
        assert_eq!(s2.assignee, Some(Uuid::from_u128(1)));
        assert_eq!(
            s2.first_response_at,
            Some(NOW + 5),
            "the first response is the first"
        );
    }

    #[test]
    fn a_reply_to_a_chat_offered_to_someone_else_is_refused() {
        let s = chat(&[offered_to(2)]);
        let reply = |n| Command::Append {
            author: Author::Agent(agent(n)),
            body: body("x"),
            visibility: Visibility::Public,
            client_msg_id: None,
        };
        assert_eq!(run(&s, reply(1)), Err(Refusal::OfferedToAnother));
        let (taken, d) = apply(&s, reply(2));
        assert_eq!(kinds(&d), vec!["assigned", "message_appended"]);
        assert_eq!(
            (
                taken.status,
                taken.assignee,
                taken.offered_to,
                taken.deadline
            ),
            (Open, Some(Uuid::from_u128(2)), None, None)
        );
        // An internal note changes nothing about who has it.
        let note = Command::Append {
            author: Author::Agent(agent(1)),
            body: body("n"),
            visibility: Visibility::Internal,
            client_msg_id: None,
        };
        let (noted, d) = apply(&s, note);
        assert_eq!(kinds(&d), vec!["message_appended"]);
        assert_eq!(
            (noted.status, noted.preview.as_str()),
            (Offered, "hello"),
            "notes are not previews"
        );
    }

    #[test]
    fn agents_cannot_write_publicly_to_a_closed_chat_but_notes_are_fine() {
        let s = chat(&[
            assigned_to(1),
            Event::Closed {
                by: Some(Uuid::from_u128(1)),
            },
        ]);
        let reply = Command::Append {
            author: Author::Agent(agent(1)),
            body: body("x"),
            visibility: Visibility::Public,
            client_msg_id: None,
        };
        assert_eq!(run(&s, reply), Err(Refusal::ClosedForAgents));
        let note = Command::Append {
            author: Author::Agent(agent(1)),
            body: body("x"),
            visibility: Visibility::Internal,
            client_msg_id: None,
        };
        assert!(run(&s, note).is_ok());
    }

    #[test]
    fn the_contact_writing_to_a_closed_chat_reopens_it_from_scratch() {
        let s = chat(&[
            Event::Declined {
                agent: Uuid::from_u128(3),
                withdrawn: false,
            },
            assigned_to(1),
            Event::Closed {
                by: Some(Uuid::from_u128(1)),
            },
        ]);
        let (s, d) = apply(
            &s,
            Command::Append {
                author: contact(),
                body: body("again"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
        );
        assert_eq!(kinds(&d), vec!["reopened", "message_appended"]);
        assert_eq!(d.work, vec![Work::Route]);
        assert_eq!(
            (s.status, s.assignee, s.closed_at, s.queued_at),
            (Queued, None, None, NOW + 5)
        );
        assert!(
            s.members.is_empty() && s.passed_by.is_empty(),
            "a new round of routing"
        );
        assert_eq!(s.last_seq, 2);
    }

    #[test]
    fn a_contact_writes_only_to_their_own_conversation_and_always_publicly() {
        let s = chat(&[]);
        let stranger = Author::Contact {
            contact_id: Uuid::from_u128(8),
            name: "Eve".into(),
            via: Channel::Web,
        };
        let cmd = Command::Append {
            author: stranger,
            body: body("hi"),
            visibility: Visibility::Public,
            client_msg_id: None,
        };
        assert_eq!(run(&s, cmd), Err(Refusal::NotYourConversation));
        let sneaky = Command::Append {
            author: contact(),
            body: body("hi"),
            visibility: Visibility::Internal,
            client_msg_id: None,
        };
        let d = run(&s, sneaky).unwrap();
        let Event::MessageAppended { message } = &d.events[0] else {
            panic!()
        };
        assert_eq!(message.visibility, Visibility::Public);
    }

    fn at(
        s: &ConversationState,
        c: Command,
        now: Millis,
    ) -> Result<(ConversationState, Decision), Refusal> {
        let d = decide(s, &c, now, &mut ids())?;
        let mut next = s.clone();
        for e in &d.events {
            evolve(&mut next, e, now);
        }
        Ok((next, d))
    }

    fn switch_to_sms() -> Command {
        Command::SwitchChannel {
            contact_id: Uuid::from_u128(7),
            to: Channel::Sms,
            address: "+15005550006".into(),
            welcome: body("Hi Ada, reply to this text to continue your chat."),
            template: None,
        }
    }

    fn revert() -> Command {
        Command::RevertSwitch {
            contact_id: Uuid::from_u128(7),
            goodbye: Some(body("This chat continues on the web.")),
        }
    }

    fn welcome_went(
        s: &ConversationState,
        status: DeliveryStatus,
        reason: Option<&str>,
    ) -> Command {
        Command::RecordDelivery {
            message_id: s.switch.as_ref().unwrap().welcome,
            current: DeliveryStatus::Queued,
            next: Delivery {
                status,
                reason: reason.map(str::to_string),
            },
        }
    }

    fn appended(d: &Decision) -> Vec<&Message> {
        d.events
            .iter()
            .filter_map(|e| match e {
                Event::MessageAppended { message } => Some(message),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_switch_to_sms_greets_the_phone_holds_once_sent_and_reverts_within_ten_seconds() {
        let open = chat(&[Event::Assigned {
            agent: Uuid::from_u128(1),
            by_reply: false,
        }]);
        let (pending, d) = at(&open, switch_to_sms(), NOW).unwrap();
        assert_eq!(
            kinds(&d),
            vec!["message_appended", "message_appended", "channel_switched"]
        );
        let [marker, welcome] = appended(&d)[..] else {
            panic!()
        };
        assert_eq!(marker.body, "Continued by SMS at +1 500 555 0006");
        assert_eq!(
            (marker.channel, marker.delivery.is_some()),
            (Channel::Web, false)
        );
        assert_eq!(welcome.channel, Channel::Sms);
        assert_eq!(welcome.delivery, Some(Delivery::queued()));
        assert_eq!(
            d.work,
            vec![Work::Deliver {
                message_id: welcome.id
            }]
        );
        assert_eq!(pending.active_channel, Channel::Sms);
        assert_eq!(
            pending.assignee,
            Some(Uuid::from_u128(1)),
            "the agent's side is untouched"
        );
        // The agent's next reply goes out by SMS.
        let (_, reply) = at(
            &pending,
            Command::Append {
                author: Author::Agent(agent(1)),
                body: body("Hi!"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
            NOW + 1,
        )
        .unwrap();
        assert_eq!(appended(&reply)[0].channel, Channel::Sms);
        // Not revertible, nor switchable again, while the welcome is on its way.
        assert_eq!(
            at(&pending, revert(), NOW + 1).unwrap_err(),
            Refusal::NoRevert
        );
        assert_eq!(
            at(&pending, switch_to_sms(), NOW + 1).unwrap_err(),
            Refusal::SwitchPending
        );

        // The provider took it: the switch holds, and can be reverted for ten seconds.
        let (held, d) = at(
            &pending,
            welcome_went(&pending, DeliveryStatus::Sent, None),
            NOW + 2_000,
        )
        .unwrap();
        assert_eq!(kinds(&d), vec!["delivery_updated", "switch_confirmed"]);
        assert_eq!(
            held.switch.as_ref().unwrap().revert_until(),
            Some(NOW + 12_000)
        );
        // A later receipt confirms nothing twice.
        let (_, d) = at(
            &held,
            Command::RecordDelivery {
                message_id: held.switch.as_ref().unwrap().welcome,
                current: DeliveryStatus::Sent,
                next: Delivery {
                    status: DeliveryStatus::Delivered,
                    reason: None,
                },
            },
            NOW + 3_000,
        )
        .unwrap();
        assert_eq!(kinds(&d), vec!["delivery_updated"]);
        assert_eq!(
            at(&held, revert(), NOW + 12_001).unwrap_err(),
            Refusal::NoRevert
        );
        let (back, d) = at(&held, revert(), NOW + 12_000).unwrap();
        assert_eq!(
            kinds(&d),
            vec!["message_appended", "switch_reverted", "message_appended"]
        );
        let [goodbye, marker] = appended(&d)[..] else {
            panic!()
        };
        assert_eq!(
            (goodbye.channel, goodbye.delivery.is_some()),
            (Channel::Sms, true),
            "the phone is told once"
        );
        assert_eq!(
            d.work,
            vec![Work::Deliver {
                message_id: goodbye.id
            }]
        );
        assert_eq!(
            (marker.channel, marker.body.as_str()),
            (Channel::Web, "Continued in the web chat.")
        );
        assert_eq!(
            (back.active_channel, back.switch.clone()),
            (Channel::Web, None)
        );
        assert_eq!(
            at(&back, revert(), NOW + 12_000).unwrap_err(),
            Refusal::NoRevert
        );

        // Several switches in one chat.
        let (again, _) = at(&back, switch_to_sms(), NOW + 20_000).unwrap();
        let (again, _) = at(
            &again,
            welcome_went(&again, DeliveryStatus::Delivered, None),
            NOW + 21_000,
        )
        .unwrap();
        assert_eq!(again.active_channel, Channel::Sms);
        // After the window it stays on SMS.
        assert_eq!(
            at(&again, revert(), NOW + 40_000).unwrap_err(),
            Refusal::NoRevert
        );
    }

    #[test]
    fn a_failed_welcome_keeps_the_chat_on_the_web_and_says_why() {
        let (pending, _) = at(&chat(&[]), switch_to_sms(), NOW).unwrap();
        // An agent's own failing send does not decide the switch.
        let (still, d) = at(
            &pending,
            Command::RecordDelivery {
                message_id: Uuid::from_u128(5),
                current: DeliveryStatus::Queued,
                next: Delivery {
                    status: DeliveryStatus::Failed,
                    reason: Some("x".into()),
                },
            },
            NOW + 1,
        )
        .unwrap();
        assert_eq!(kinds(&d), vec!["delivery_updated"]);
        assert!(still.switch.as_ref().unwrap().pending());
        let (back, d) = at(
            &still,
            welcome_went(
                &still,
                DeliveryStatus::Failed,
                Some("The number is unsubscribed."),
            ),
            NOW + 2,
        )
        .unwrap();
        assert_eq!(
            kinds(&d),
            vec!["delivery_updated", "switch_failed", "message_appended"]
        );
        assert_eq!(appended(&d)[0].body, "We couldn't reach +1 500 555 0006 by SMS (The number is unsubscribed). The chat continues here.");
        assert_eq!(
            (back.active_channel, back.switch.clone()),
            (Channel::Web, None)
        );
        // The contact writing meanwhile on the web loses nothing.
        let (_, d) = at(
            &pending,
            Command::Append {
                author: contact(),
                body: body("still here"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
            NOW + 1,
        )
        .unwrap();
        // …and it reads as written on the web, where it was.
        assert_eq!(
            (appended(&d)[0].body.as_str(), appended(&d)[0].channel),
            ("still here", Channel::Web)
        );
    }

    #[test]
    fn an_agent_asks_the_visitor_to_switch_on_an_open_web_chat_only() {
        let ask = || Command::AskToSwitch {
            agent: agent(1),
            to: Channel::Sms,
        };
        assert_eq!(run(&chat(&[]), ask()).unwrap_err(), Refusal::NotOpen);
        let open = chat(&[Event::Assigned {
            agent: Uuid::from_u128(1),
            by_reply: false,
        }]);
        let (_, d) = apply(&open, ask());
        assert_eq!(kinds(&d), vec!["message_appended", "switch_asked"]);
        assert_eq!(appended(&d)[0].body, "Agent 1 asked to continue by SMS.");
        assert_eq!(appended(&d)[0].visibility, Visibility::Public);
        let (on_sms, _) = at(&open, switch_to_sms(), NOW).unwrap();
        assert_eq!(run(&on_sms, ask()).unwrap_err(), Refusal::SwitchPending);
        let web_only = Command::AskToSwitch {
            agent: agent(1),
            to: Channel::Web,
        };
        assert_eq!(
            run(&open, web_only).unwrap_err(),
            Refusal::CannotSwitch { to: Channel::Web }
        );
    }

    #[test]
    fn an_agent_reconnects_an_ended_chat_or_a_lead_by_sms_and_a_failed_welcome_ends_it_again() {
        let reconnect = || Command::Reconnect {
            agent: agent(2),
            to: Channel::Sms,
            address: "+15005550006".into(),
            welcome: body("Hi Ada, it's support again."),
        };
        assert_eq!(
            run(&chat(&[]), reconnect()).unwrap_err(),
            Refusal::StillGoing
        );
        let ended = chat(&[Event::Closed { by: None }]);
        let (open, d) = at(&ended, reconnect(), NOW).unwrap();
        assert_eq!(
            kinds(&d),
            vec![
                "reopened",
                "assigned",
                "message_appended",
                "message_appended",
                "channel_switched"
            ]
        );
        assert!(
            d.work.iter().all(|w| matches!(w, Work::Deliver { .. })),
            "no routing: {:?}",
            d.work
        );
        assert_eq!(
            appended(&d)[0].body,
            "Agent 2 reconnected by SMS at +1 500 555 0006"
        );
        assert_eq!(
            (open.status, open.assignee, open.active_channel),
            (
                ConversationStatus::Open,
                Some(Uuid::from_u128(2)),
                Channel::Sms
            )
        );
        let (held, _) = at(
            &open,
            welcome_went(&open, DeliveryStatus::Sent, None),
            NOW + 1,
        )
        .unwrap();
        assert_eq!(
            (held.status, held.active_channel),
            (ConversationStatus::Open, Channel::Sms)
        );
        // Refused by the provider: it ends again, and says why.
        let (closed, d) = at(
            &open,
            welcome_went(&open, DeliveryStatus::Failed, Some("No such number.")),
            NOW + 1,
        )
        .unwrap();
        assert_eq!(
            kinds(&d),
            vec![
                "delivery_updated",
                "switch_failed",
                "message_appended",
                "closed"
            ]
        );
        assert!(
            appended(&d)[0]
                .body
                .ends_with("(No such number). The chat stays ended."),
            "{}",
            appended(&d)[0].body
        );
        assert_eq!(
            (closed.status, closed.active_channel),
            (ConversationStatus::Closed, Channel::Web)
        );
        // A lead (closed at once when left) reconnects too, and is a live chat after.
        let mut lead = ended.clone();
        lead.lead = true;
        let (live, _) = at(&lead, reconnect(), NOW).unwrap();
        assert!(!live.lead);
    }

    #[test]
    fn a_whatsapp_switch_greets_with_the_template_and_reverts_without_free_text() {
        let s = chat(&[]);
        let template = TemplateRef {
            name: "chat_continue".into(),
            language: "en_US".into(),
            parameters: vec!["Ada".into()],
        };
        let (switched, d) = at(
            &s,
            Command::SwitchChannel {
                contact_id: Uuid::from_u128(7),
                to: Channel::Whatsapp,
                address: "+15005550006".into(),
                welcome: body("Hi Ada, reply here to continue your web chat."),
                template: Some(template.clone()),
            },
            NOW,
        )
        .unwrap();
        assert_eq!(switched.active_channel, Channel::Whatsapp);
        let sent = appended(&d);
        // The marker stays on the web, plain; the welcome goes as the template, queued.
        assert_eq!(sent.len(), 2);
        assert_eq!((sent[0].channel, &sent[0].template), (Channel::Web, &None));
        assert_eq!(sent[1].channel, Channel::Whatsapp);
        assert_eq!(sent[1].template.as_ref(), Some(&template));
        assert!(sent[1].delivery.is_some());
        let went = welcome_went(&switched, DeliveryStatus::Sent, None);
        let (confirmed, _) = at(&switched, went, NOW + 500).unwrap();
        // Back to the web with no goodbye (WhatsApp would not take free text yet).
        let (back, d) = at(
            &confirmed,
            Command::RevertSwitch {
                contact_id: Uuid::from_u128(7),
                goodbye: None,
            },
            NOW + 2_000,
        )
        .unwrap();
        assert_eq!(back.active_channel, Channel::Web);
        assert!(appended(&d).iter().all(|m| m.delivery.is_none()));
        assert!(d.work.is_empty());
    }

    #[test]
    fn an_agent_chooses_the_reply_channel_among_the_contacts_ways() {
        let s = chat(&[]);
        let choose = |to, address: &str| Command::ChooseChannel {
            agent: AgentRef {
                id: Uuid::from_u128(1),
                name: "Sam".into(),
            },
            to,
            address: address.into(),
        };
        let (on_sms, d) = at(&s, choose(Channel::Sms, "+15005550006"), NOW).unwrap();
        assert_eq!(on_sms.active_channel, Channel::Sms);
        let m = appended(&d);
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].body.as_str(), m[0].channel, m[0].delivery.is_none()),
            (
                "Sam continued by SMS at +1 500 555 0006",
                Channel::Web,
                true
            )
        );
        // Back to the web; the same channel twice, a comment thread or a closed chat: refused.
        let (back, _) = at(&on_sms, choose(Channel::Web, ""), NOW + 1).unwrap();
        assert_eq!(back.active_channel, Channel::Web);
        assert_eq!(
            run(&back, choose(Channel::Web, "")).unwrap_err(),
            Refusal::CannotSwitch { to: Channel::Web }
        );
        assert_eq!(
            run(&back, choose(Channel::PageComment, "x")).unwrap_err(),
            Refusal::CannotSwitch {
                to: Channel::PageComment
            }
        );
        let closed = chat(&[Event::Closed { by: None }]);
        assert_eq!(
            run(&closed, choose(Channel::Sms, "+15005550006")).unwrap_err(),
            Refusal::AlreadyClosed
        );
    }

    #[test]
    fn a_deactivated_agents_chats_go_back_to_routing_and_their_offers_are_withdrawn() {
        let release = |n: u128| Command::Release { agent: agent(n) };
        // Held: back in the queue, routed again, the visitor told; never offered back to them.
        let held = chat(&[assigned_to(1)]);
        let (next, d) = apply(&held, release(1));
        assert_eq!(kinds(&d), ["message_appended", "released"]);
        assert_eq!((next.status, next.assignee), (Queued, None));
        assert!(next.members.is_empty() && next.passed_by.contains(&Uuid::from_u128(1)));
        assert_eq!(d.work, [Work::Route]);
        assert_eq!(
            appended(&d)[0].body.as_str(),
            "Agent 1 is no longer available. Another agent will be with you shortly."
        );
        // Offered to them: withdrawn and routed again.
        let offered = chat(&[offered_to(1)]);
        let (next, d) = apply(&offered, release(1));
        assert_eq!((next.status, next.offered_to), (Queued, None));
        assert_eq!(d.work, [Work::Route]);
        // Invited into a colleague's chat: they leave the room, the chat goes on.
        let invited = chat(&[
            assigned_to(2),
            Event::Invited {
                agent: Uuid::from_u128(1),
                by: Uuid::from_u128(2),
            },
        ]);
        let (next, d) = apply(&invited, release(1));
        assert_eq!(kinds(&d), ["released"]);
        assert_eq!(
            (next.status, next.assignee),
            (Open, Some(Uuid::from_u128(2)))
        );
        assert_eq!(next.members.len(), 1);
        // Nothing of theirs: nothing happens.
        assert!(run(&chat(&[assigned_to(2)]), release(1))
            .unwrap()
            .events
            .is_empty());
        assert!(run(&chat(&[]), release(1)).unwrap().events.is_empty());
    }

    #[test]
    fn signing_a_web_visitor_out_leaves_a_note_for_agents_and_changes_nothing_else() {
        let open = chat(&[]);
        let (after, d) = apply(&open, Command::SignOutVisitor { agent: agent(1) });
        assert_eq!(kinds(&d), ["message_appended", "visitor_signed_out"]);
        let m = appended(&d);
        assert_eq!(
            (m[0].body.as_str(), m[0].visibility),
            (
                "Agent 1 signed the visitor out of the chat widget",
                Visibility::Internal
            )
        );
        assert_eq!((after.status, after.assignee), (open.status, open.assignee));
        assert!(d.work.is_empty());
        // A closed chat too: a token outlives the chat it began.
        let closed = chat(&[Event::Closed { by: None }]);
        let (after, _) = apply(&closed, Command::SignOutVisitor { agent: agent(1) });
        assert_eq!(after.status, closed.status);
    }

    #[test]
    fn a_merged_contacts_conversation_moves_to_the_kept_contact_with_a_note_for_agents() {
        let closed = chat(&[Event::Closed { by: None }]);
        let merge = |into: u128| Command::MergeContact {
            agent: agent(1),
            from_name: "Ada".into(),
            into: Uuid::from_u128(into),
            into_name: "Ada Lovelace".into(),
        };
        // Any conversation moves, a closed one too, and stays as it was otherwise.
        let (moved, d) = apply(&closed, merge(8));
        assert_eq!(moved.contact_id, Uuid::from_u128(8));
        assert_eq!(moved.status, Closed);
        assert_eq!(moved.placement().contact_id, Uuid::from_u128(8));
        assert_eq!(kinds(&d), ["message_appended", "contact_merged"]);
        let m = appended(&d);
        assert_eq!(
            (m[0].body.as_str(), m[0].visibility, m[0].delivery.is_none()),
            (
                "Agent 1 merged the contact Ada into Ada Lovelace",
                Visibility::Internal,
                true
            )
        );
        assert!(d.work.is_empty());
        // The contact's own messages are checked against the new contact from now on.
        let write = |contact: u128| Command::Append {
            author: Author::Contact {
                contact_id: Uuid::from_u128(contact),
                name: "Ada".into(),
                via: Channel::Web,
            },
            body: body("still here"),
            visibility: Visibility::Public,
            client_msg_id: None,
        };
        assert_eq!(
            run(&moved, write(7)).unwrap_err(),
            Refusal::NotYourConversation
        );
        assert!(run(&moved, write(8)).is_ok());
        // Into the contact it already belongs to: refused.
        assert_eq!(run(&moved, merge(8)).unwrap_err(), Refusal::SameContact);
    }

    #[test]
    fn a_switch_is_refused_where_it_cannot_go() {
        let s = chat(&[]);
        let to = |to| Command::SwitchChannel {
            contact_id: Uuid::from_u128(7),
            to,
            address: "+15005550006".into(),
            welcome: body("hi"),
            template: None,
        };
        assert_eq!(
            run(&s, to(Channel::Messenger)).unwrap_err(),
            Refusal::CannotSwitch {
                to: Channel::Messenger
            }
        );
        assert_eq!(
            run(&s, to(Channel::Web)).unwrap_err(),
            Refusal::CannotSwitch { to: Channel::Web }
        );
        let stranger = Command::SwitchChannel {
            contact_id: Uuid::from_u128(8),
            to: Channel::Sms,
            address: "+1".into(),
            welcome: body("hi"),
            template: None,
        };
        assert_eq!(run(&s, stranger).unwrap_err(), Refusal::NotYourConversation);
        let closed = chat(&[Event::Closed { by: None }]);
        assert_eq!(
            run(&closed, switch_to_sms()).unwrap_err(),
            Refusal::AlreadyClosed
        );
        let mut lead = chat(&[]);
        lead.lead = true;
        assert_eq!(
            run(&lead, switch_to_sms()).unwrap_err(),
            Refusal::CannotSwitch { to: Channel::Sms }
        );
        assert!(run(&s, to(Channel::Whatsapp)).is_ok());
    }

    #[test]
    fn an_agent_shares_a_file_as_a_reply_naming_it_and_refused_once_closed() {
        let pdf = Attachment {
            kind: crate::message::MediaKind::Document,
            filename: Some("terms.pdf".into()),
            mime: Some("application/pdf".into()),
            size: Some(4096),
        };
        let share = |visibility| Command::AgentShares {
            agent: agent(1),
            attachment: pdf.clone(),
            visibility,
            client_msg_id: Some(Uuid::from_u128(6)),
        };
        // Queued: a public file answers and takes it, like a reply.
        let (s, d) = apply(&chat(&[]), share(Visibility::Public));
        assert_eq!(kinds(&d), vec!["assigned", "message_appended"]);
        let Event::MessageAppended { message } = &d.events[1] else {
            panic!()
        };
        assert_eq!(message.body, "terms.pdf");
        assert_eq!(message.attachment.as_ref(), Some(&pdf));
        assert_eq!(s.assignee, Some(Uuid::from_u128(1)));
        // An internal one is a note with a file, and takes nothing.
        let d = run(&chat(&[]), share(Visibility::Internal)).unwrap();
        assert_eq!(kinds(&d), vec!["message_appended"]);
        let closed = chat(&[Event::Closed { by: None }]);
        assert_eq!(
            run(&closed, share(Visibility::Public)),
            Err(Refusal::ClosedForAgents)
        );
    }

    #[test]
    fn a_contact_shares_a_file_as_a_public_message_naming_it_and_reopens_a_closed_chat() {
        let photo = Attachment {
            kind: crate::message::MediaKind::Image,
            filename: None,
            mime: Some("image/jpeg".into()),
            size: Some(1234),
        };
        let share = |contact_id: u128| Command::ContactShares {
            contact_id: Uuid::from_u128(contact_id),
            name: "Ada".into(),
            attachment: photo.clone(),
            client_msg_id: Some(Uuid::from_u128(5)),
        };
        assert_eq!(run(&chat(&[]), share(8)), Err(Refusal::NotYourConversation));
        let closed = chat(&[Event::Closed { by: None }]);
        let (s, d) = apply(&closed, share(7));
        assert_eq!(kinds(&d), vec!["reopened", "message_appended"]);
        assert_eq!(d.work, vec![Work::Route]);
        let Event::MessageAppended { message } = &d.events[1] else {
            panic!()
        };
        assert_eq!(
            message.body, "Photo",
            "named by its kind without a file name"
        );
        assert_eq!(message.attachment.as_ref(), Some(&photo));
        assert_eq!(message.visibility, Visibility::Public);
        assert_eq!(s.preview, "Photo");
        // The next message carries no file.
        let (_, d) = apply(
            &s,
            Command::Append {
                author: contact(),
                body: body("that one"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
        );
        let Event::MessageAppended { message } = &d.events[0] else {
            panic!()
        };
        assert_eq!(message.attachment, None);
        let named = Attachment {
            filename: Some("invoice.pdf".into()),
            ..photo.clone()
        };
        assert_eq!(named.label(), "invoice.pdf");
    }

    #[test]
    fn a_contact_changes_only_their_own_messages_and_on_any_status() {
        let closed = chat(&[Event::Closed { by: None }]);
        let change = |theirs: bool| Command::ContactChanged {
            message_id: Uuid::from_u128(3),
            theirs,
            latest: true,
            change: ContactChange::Edited {
                text: "fixed typo".into(),
            },
        };
        assert_eq!(
            run(&closed, change(false)),
            Err(Refusal::NotYourConversation)
        );
        let (s, d) = apply(&closed, change(true));
        assert_eq!(kinds(&d), vec!["contact_changed"]);
        assert!(d.work.is_empty(), "nothing is reopened or routed");
        assert_eq!(s.status, closed.status);
        assert_eq!(s.last_seq, closed.last_seq, "no message is added");
        assert_eq!(
            s.preview, "fixed typo",
            "the latest message's preview follows"
        );
        let (s, _) = apply(
            &s,
            Command::ContactChanged {
                message_id: Uuid::from_u128(3),
                theirs: true,
                latest: true,
                change: ContactChange::Withdrawn,
            },
        );
        assert_eq!(s.preview, "Message deleted by the contact");
        let (s, _) = apply(
            &s,
            Command::ContactChanged {
                message_id: Uuid::from_u128(2),
                theirs: true,
                latest: false,
                change: ContactChange::Edited {
                    text: "an older one".into(),
                },
            },
        );
        assert_eq!(
            s.preview, "Message deleted by the contact",
            "older: the preview stays"
        );

        // How a message reads after each change.
        let started = start(
            NewConversation {
                id: Uuid::from_u128(1),
                contact_id: Uuid::from_u128(7),
                contact_name: "Ada".into(),
                channel: Channel::Instagram,
                lead: false,
                first: body("original"),
                client_msg_id: None,
                post: None,
                attachment: None,
            },
            NOW,
            &mut ids(),
        );
        let Event::MessageAppended { message } = &started.events[1] else {
            panic!("{:?}", started.events)
        };
        let mut m = message.clone();
        m.alter(&ContactChange::Edited {
            text: "edited".into(),
        });
        assert_eq!(
            (m.body.as_str(), m.altered),
            ("edited", Some(crate::message::Altered::Edited))
        );
        m.alter(&ContactChange::Hidden);
        m.alter(&ContactChange::Unhidden);
        assert_eq!(m.altered, None);
        m.alter(&ContactChange::Withdrawn);
        assert_eq!(
            (m.body.as_str(), m.altered),
            ("", Some(crate::message::Altered::Withdrawn))
        );
    }

    #[test]
    fn accept_takes_a_queued_chat_or_an_offer_to_me_and_nothing_else() {
        let (s, d) = apply(&chat(&[]), Command::Accept { agent: agent(1) });
        assert_eq!(kinds(&d), vec!["assigned", "message_appended"]);
        let Event::MessageAppended { message } = &d.events[1] else {
            panic!()
        };
        assert_eq!(
            (message.body.as_str(), message.sender.kind),
            ("Agent 1 joined the chat.", SenderKind::System)
        );
        assert_eq!(s.status, Open);
        assert_eq!(
            run(&s, Command::Accept { agent: agent(1) }),
            Err(Refusal::AlreadyYours)
        );
        assert_eq!(
            run(&s, Command::Accept { agent: agent(2) }),
            Err(Refusal::AlreadyTaken)
        );
        let offered = chat(&[offered_to(2)]);
        assert_eq!(
            run(&offered, Command::Accept { agent: agent(1) }),
            Err(Refusal::OfferedToAnother)
        );
        assert!(run(&offered, Command::Accept { agent: agent(2) }).is_ok());
        let closed = chat(&[Event::Closed { by: None }]);
        assert_eq!(
            run(&closed, Command::Accept { agent: agent(1) }),
            Err(Refusal::AlreadyClosed)
        );
    }

    #[test]
    fn decline_withdraws_my_offer_or_hides_a_queued_chat_from_me() {
        let (s, d) = apply(
            &chat(&[offered_to(1)]),
            Command::Decline {
                agent: Uuid::from_u128(1),
            },
        );
        assert_eq!(
            d.events,
            vec![Event::Declined {
                agent: Uuid::from_u128(1),
                withdrawn: true
            }]
        );
        assert_eq!(d.work, vec![Work::Route]);
        assert_eq!((s.status, s.offered_to, s.deadline), (Queued, None, None));
        assert_eq!(s.passed_by, vec![Uuid::from_u128(1)]);

        let (q, d) = apply(
            &chat(&[]),
            Command::Decline {
                agent: Uuid::from_u128(1),
            },
        );
        assert_eq!(
            d.events,
            vec![Event::Declined {
                agent: Uuid::from_u128(1),
                withdrawn: false
            }]
        );
        assert!(
            d.work.is_empty(),
            "a broadcast request just leaves my queue"
        );
        assert_eq!(
            run(
                &q,
                Command::Decline {
                    agent: Uuid::from_u128(1)
                }
            ),
            Ok(Decision::default()),
            "twice: nothing"
        );

        assert_eq!(
            run(
                &chat(&[offered_to(2)]),
                Command::Decline {
                    agent: Uuid::from_u128(1)
                }
            ),
            Err(Refusal::NotWaiting)
        );
        assert_eq!(
            run(
                &chat(&[assigned_to(2)]),
                Command::Decline {
                    agent: Uuid::from_u128(1)
                }
            ),
            Err(Refusal::NotWaiting)
        );
    }

    #[test]
    fn transfer_hands_an_open_chat_to_an_online_colleague_with_an_internal_note() {
        let open = chat(&[
            assigned_to(1),
            Event::Invited {
                agent: Uuid::from_u128(3),
                by: Uuid::from_u128(1),
            },
        ]);
        let cmd = |to_online| Command::Transfer {
            from: agent(1),
            to: agent(2),
            to_online,
            comment: " VIP ".into(),
        };
        let (s, d) = apply(&open, cmd(true));
        assert_eq!(kinds(&d), vec!["transferred", "message_appended"]);
        assert_eq!(d.work, vec![Work::DrainQueue]);
        let Event::MessageAppended { message } = &d.events[1] else {
            panic!()
        };
        assert_eq!(message.visibility, Visibility::Internal);
        assert_eq!(
            message.body,
            "Agent 1 transferred this chat to Agent 2: VIP"
        );
        assert_eq!(s.assignee, Some(Uuid::from_u128(2)));
        assert_eq!(
            s.members
                .iter()
                .map(|m| (m.agent.as_u128(), m.role))
                .collect::<Vec<_>>(),
            vec![(3, ParticipantRole::Invited), (2, ParticipantRole::Owner)],
            "the sender leaves, the invited colleague stays"
        );
        assert_eq!(
            run(&open, cmd(false)),
            Err(Refusal::NotOnline {
                name: "Agent 2".into()
            })
        );
        let to_self = Command::Transfer {
            from: agent(1),
            to: agent(1),
            to_online: true,
            comment: String::new(),
        };
        assert_eq!(run(&open, to_self), Err(Refusal::SelfTransfer));
    }

    #[test]
    fn a_closed_or_waiting_chat_cannot_be_transferred() {
        let cmd = Command::Transfer {
            from: agent(1),
            to: agent(2),
            to_online: true,
            comment: String::new(),
        };
        assert_eq!(
            run(
                &chat(&[assigned_to(1), Event::Closed { by: None }]),
                cmd.clone()
            ),
            Err(Refusal::AlreadyClosed)
        );
        assert_eq!(run(&chat(&[]), cmd.clone()), Err(Refusal::NotOpen));
        assert_eq!(run(&chat(&[offered_to(1)]), cmd), Err(Refusal::NotOpen));
    }

    #[test]
    fn a_too_long_transfer_comment_is_refused_with_the_message_rule() {
        let cmd = Command::Transfer {
            from: agent(1),
            to: agent(2),
            to_online: true,
            comment: "x".repeat(5000),
        };
        assert!(matches!(
            run(&chat(&[assigned_to(1)]), cmd),
            Err(Refusal::Message(MessageError::TooLong(_)))
        ));
    }

    #[test]
    fn invite_brings_an_online_colleague_in_once_and_never_into_a_closed_chat() {
        let open = chat(&[assigned_to(1)]);
        let cmd = |n, online| Command::Invite {
            by: agent(1),
            agent: agent(n),
            agent_online: online,
        };
        let (s, d) = apply(&open, cmd(2, true));
        assert_eq!(kinds(&d), vec!["invited", "message_appended"]);
        let Event::MessageAppended { message } = &d.events[1] else {
            panic!()
        };
        assert_eq!(message.visibility, Visibility::Internal);
        assert!(s.placement().involves(Uuid::from_u128(2)));
        assert_eq!(
            run(&s, cmd(2, true)),
            Err(Refusal::AlreadyInRoom {
                name: "Agent 2".into()
            })
        );
        assert_eq!(
            run(&open, cmd(1, true)),
            Err(Refusal::AlreadyInRoom {
                name: "Agent 1".into()
            })
        );
        assert_eq!(
            run(&open, cmd(3, false)),
            Err(Refusal::NotOnline {
                name: "Agent 3".into()
            })
        );
        assert_eq!(
            run(&chat(&[Event::Closed { by: None }]), cmd(2, true)),
            Err(Refusal::AlreadyClosed)
        );
    }

    #[test]
    fn close_tells_the_contact_and_frees_capacity() {
        let (s, d) = apply(&chat(&[assigned_to(1)]), Command::Close { agent: agent(1) });
        assert_eq!(kinds(&d), vec!["message_appended", "closed"]);
        assert_eq!(d.work, vec![Work::DrainQueue]);
        assert_eq!((s.status, s.closed_at), (Closed, Some(NOW + 5)));
        assert_eq!(
            run(&s, Command::Close { agent: agent(1) }),
            Err(Refusal::AlreadyClosed)
        );
        let (_, d) = apply(&chat(&[]), Command::Close { agent: agent(1) });
        assert!(d.work.is_empty(), "closing a queued chat frees nobody");
    }

    #[test]
    fn routing_offers_or_queues_only_what_waits() {
        let (s, d) = apply(
            &chat(&[]),
            Command::Offer {
                agent: Uuid::from_u128(1),
                deadline: NOW + 30,
            },
        );
        assert_eq!(kinds(&d), vec!["offered"]);
        assert_eq!(
            (s.status, s.offered_to, s.deadline),
            (Offered, Some(Uuid::from_u128(1)), Some(NOW + 30))
        );
        assert_eq!(
            run(
                &s,
                Command::Offer {
                    agent: Uuid::from_u128(2),
                    deadline: NOW
                }
            ),
            Err(Refusal::NotWaiting)
        );
        assert_eq!(
            run(&chat(&[assigned_to(2)]), Command::Enqueue { deadline: NOW }),
            Err(Refusal::NotWaiting)
        );

        let (q, d) = apply(
            &chat(&[]),
            Command::Enqueue {
                deadline: NOW + 180,
            },
        );
        assert_eq!(kinds(&d), vec!["queued"]);
        assert_eq!(q.deadline, Some(NOW + 180));
        assert_eq!(
            run(
                &q,
                Command::Enqueue {
                    deadline: NOW + 999
                }
            ),
            Ok(Decision::default()),
            "the running timer stays"
        );
        let missed = chat(&[Event::QueueMissed { into_lead: false }]);
        assert_eq!(
            run(&missed, Command::Enqueue { deadline: NOW }),
            Ok(Decision::default())
        );
    }

    fn sms_chat(events: &[Event]) -> ConversationState {
        let mut s = chat(events);
        s.active_channel = Channel::Sms;
        s
    }

    fn reply(visibility: Visibility) -> Command {
        Command::Append {
            author: Author::Agent(agent(1)),
            body: body("on its way"),
            visibility,
            client_msg_id: None,
        }
    }

    #[test]
    fn an_agent_reply_on_a_provider_channel_is_queued_for_delivery_in_the_same_decision() {
        let d = run(&sms_chat(&[assigned_to(1)]), reply(Visibility::Public)).unwrap();
        let Event::MessageAppended { message } = &d.events[0] else {
            panic!("{d:?}")
        };
        assert_eq!(
            (message.channel, message.delivery.clone()),
            (Channel::Sms, Some(Delivery::queued()))
        );
        assert_eq!(
            d.work,
            vec![Work::Deliver {
                message_id: message.id
            }]
        );

        // Notes stay inside; web chat is read from our own socket; the contact's own words
        // and system lines are not sent back.
        let note = run(&sms_chat(&[assigned_to(1)]), reply(Visibility::Internal)).unwrap();
        assert!(note.work.is_empty());
        let web = run(&chat(&[assigned_to(1)]), reply(Visibility::Public)).unwrap();
        assert!(web.work.is_empty());
        let Event::MessageAppended { message } = &web.events[0] else {
            panic!()
        };
        assert_eq!(message.delivery, None);
        let inbound = run(
            &sms_chat(&[]),
            Command::Append {
                author: contact(),
                body: body("hi"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
        )
        .unwrap();
        assert!(inbound.work.is_empty());
        let accepted = run(&sms_chat(&[]), Command::Accept { agent: agent(1) }).unwrap();
        assert!(
            accepted.work.is_empty(),
            "the 'joined' line is not texted to the contact"
        );
    }

    #[test]
    fn a_comment_is_answered_publicly_or_privately_only_on_a_comment_channel() {
        let answer = |private| Command::AnswerComment {
            agent: agent(1),
            body: body("Thanks for asking!"),
            comment_id: "post_1_c9".into(),
            private,
            client_msg_id: None,
        };
        let mut page = chat(&[]);
        page.active_channel = Channel::PageComment;
        for private in [false, true] {
            let d = run(&page, answer(private)).unwrap();
            assert_eq!(
                kinds(&d),
                vec!["assigned", "message_appended"],
                "answering takes the waiting chat"
            );
            let Event::MessageAppended { message } = &d.events[1] else {
                panic!()
            };
            assert_eq!(
                message.reply_to,
                Some(ReplyTo {
                    comment_id: "post_1_c9".into(),
                    private
                })
            );
            assert_eq!(message.delivery, Some(Delivery::queued()));
            assert_eq!(
                d.work,
                vec![Work::Deliver {
                    message_id: message.id
                }]
            );
        }
        assert_eq!(run(&sms_chat(&[]), answer(true)), Err(Refusal::NotAComment));
        let mut closed = chat(&[Event::Closed { by: None }]);
        closed.active_channel = Channel::PageComment;
        assert_eq!(run(&closed, answer(false)), Err(Refusal::ClosedForAgents));
        // An ordinary reply answers no comment in particular.
        let d = run(&page, reply(Visibility::Public)).unwrap();
        let Event::MessageAppended { message } = d.events.last().unwrap() else {
            panic!()
        };
        assert_eq!(message.reply_to, None);
    }

    #[test]
    fn a_comment_is_deleted_once_through_the_outbox_and_a_refusal_is_noted() {
        let mut page = chat(&[assigned_to(1)]);
        page.active_channel = Channel::PageComment;
        let remove = |already| Command::RemoveComment {
            agent: agent(1),
            message_id: Uuid::from_u128(5),
            comment: "rude words".into(),
            already,
        };
        let d = run(&page, remove(false)).unwrap();
        assert_eq!(
            d.work,
            vec![Work::RemoveComment {
                message_id: Uuid::from_u128(5)
            }]
        );
        let Event::MessageAppended { message } = &d.events[0] else {
            panic!()
        };
        assert_eq!(
            message.visibility,
            Visibility::Internal,
            "a note for agents, never sent"
        );
        assert!(message.body.contains("rude words"));
        assert_eq!(
            run(&page, remove(true)),
            Err(Refusal::CommentAlreadyRemoved)
        );
        assert_eq!(
            run(&sms_chat(&[]), remove(false)),
            Err(Refusal::NotAComment)
        );

        let done = run(
            &page,
            Command::CommentRemovalDone {
                message_id: Uuid::from_u128(5),
                result: Ok(()),
            },
        )
        .unwrap();
        assert_eq!(
            done.events,
            vec![Event::CommentRemoved {
                message_id: Uuid::from_u128(5)
            }]
        );
        let refused = run(
            &page,
            Command::CommentRemovalDone {
                message_id: Uuid::from_u128(5),
                result: Err("Permission denied.".into()),
            },
        )
        .unwrap();
        let Event::MessageAppended { message } = &refused.events[0] else {
            panic!()
        };
        assert_eq!(message.visibility, Visibility::Internal);
        assert!(message.body.contains("Permission denied."));
    }

    #[test]
    fn delivery_only_moves_forward_whatever_the_conversation_status() {
        let record = |current, status| Command::RecordDelivery {
            message_id: Uuid::from_u128(42),
            current,
            next: Delivery {
                status,
                reason: None,
            },
        };
        use DeliveryStatus as D;
        for s in [
            sms_chat(&[assigned_to(1)]),
            sms_chat(&[assigned_to(1), Event::Closed { by: None }]),
        ] {
            let (after, d) = apply(&s, record(D::Queued, D::Sent));
            assert_eq!(kinds(&d), vec!["delivery_updated"]);
            assert_eq!(after.revision, s.revision + 1);
            assert_eq!(after.status, s.status);
            assert_eq!(
                run(&s, record(D::Delivered, D::Sent)),
                Ok(Decision::default()),
                "a late 'sent' is not news"
            );
            assert_eq!(
                run(&s, record(D::Read, D::Failed)),
                Ok(Decision::default()),
                "a failure never undoes a read"
            );
            assert_eq!(run(&s, record(D::Sent, D::Sent)), Ok(Decision::default()));
            assert_eq!(
                kinds(&run(&s, record(D::Sent, D::Failed)).unwrap()),
                vec!["delivery_updated"]
            );
            assert_eq!(
                kinds(&run(&s, record(D::Failed, D::Delivered)).unwrap()),
                vec!["delivery_updated"]
            );
        }
    }

    #[test]
    fn a_lapsed_offer_goes_back_to_routing_never_twice() {
        let s = chat(&[offered_to(1)]);
        let fired = Command::TimerFired {
            deadline: NOW + 30_000,
            policy: MissedPolicy::StayQueued,
        };
        let (after, d) = apply(&s, fired.clone());
        assert_eq!(
            d.events,
            vec![Event::OfferLapsed {
                agent: Uuid::from_u128(1)
            }]
        );
        assert_eq!(d.work, vec![Work::Route]);
        assert_eq!(
            (after.status, after.offered_to, after.passed_by.clone()),
            (Queued, None, vec![Uuid::from_u128(1)])
        );
        assert_eq!(
            run(&after, fired),
            Ok(Decision::default()),
            "the same timer fires once"
        );
        let stale = Command::TimerFired {
            deadline: NOW + 1,
            policy: MissedPolicy::StayQueued,
        };
        assert_eq!(
            run(&s, stale),
            Ok(Decision::default()),
            "a timer that was replaced does nothing"
        );
    }

    #[test]
    fn an_expired_queue_wait_is_missed_or_becomes_a_lead() {
        let s = chat(&[Event::Queued {
            deadline: NOW + 180,
        }]);
        let (stay, d) = apply(
            &s,
            Command::TimerFired {
                deadline: NOW + 180,
                policy: MissedPolicy::StayQueued,
            },
        );
        assert_eq!(kinds(&d), vec!["queue_missed", "message_appended"]);
        assert_eq!(
            (stay.status, stay.missed, stay.deadline, stay.lead),
            (Queued, true, None, false)
        );
        let (lead, d) = apply(
            &s,
            Command::TimerFired {
                deadline: NOW + 180,
                policy: MissedPolicy::OfflineLead,
            },
        );
        let Event::MessageAppended { message } = &d.events[1] else {
            panic!()
        };
        assert!(message.body.contains("get back to you by email"));
        assert_eq!((lead.status, lead.lead, lead.missed), (Closed, true, true));
    }

    #[test]
    fn every_event_moves_the_revision_and_seqs_have_no_gaps() {
        let s = chat(&[]);
        assert_eq!(s.revision, 2);
        let (s, d) = apply(&s, Command::Accept { agent: agent(1) });
        assert_eq!(s.revision, 2 + d.events.len() as u64);
        let (s, _) = apply(
            &s,
            Command::Append {
                author: contact(),
                body: body("a"),
                visibility: Visibility::Public,
                client_msg_id: None,
            },
        );
        let (s, d) = apply(&s, Command::Close { agent: agent(1) });
        let Event::MessageAppended { message } = &d.events[0] else {
            panic!()
        };
        assert_eq!(message.seq, 4, "hello, joined, a, closed note");
        assert_eq!(s.last_seq, 4);
    }

    #[test]
    fn placement_lists_everyone_involved_once() {
        let s = chat(&[
            assigned_to(1),
            Event::Invited {
                agent: Uuid::from_u128(2),
                by: Uuid::from_u128(1),
            },
        ]);
        let p = s.placement();
        assert_eq!(p.involved, vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
        assert_eq!(p.folder(), crate::inbox::Folder::Engaged);
    }

    #[test]
    fn events_round_trip_as_json() {
        let s = chat(&[]);
        let d = run(&s, Command::Accept { agent: agent(1) }).unwrap();
        for e in d.events {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
        }
        assert_eq!(
            serde_json::to_string(&Work::Route).unwrap(),
            r#"{"work":"route"}"#
        );
    }
}
