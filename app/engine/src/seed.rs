//! A database filled to size, for the read-path benchmark (`switchboard-bench seed`): agents
//! online, contacts, conversations in history and waiting in the queue with their timers.
//!
//! Every conversation is lived through the domain (`start`, then `decide` for each command
//! at its own past time) and written as the engine writes it (`record`: the state's row, the
//! messages, one log row per event, the room's mirror), so the engine reads it back like any
//! other; only the writing is bulk: many rows per statement, many statements per transaction.

use crate::conversations::write::{active_row, record};
use crate::error::{EngineError, Result};
use crate::store::entities::{
    account, channel_identity, contact, conversation, conversation_event, conversation_participant,
    message,
};
use crate::store::{codec, prebuilt, Backend};
use crate::Engine;
use sea_orm::{ActiveValue::Set, EntityTrait, Iterable, PaginatorTrait};
use switchboard_domain::conversation::{
    decide, start, AgentRef, Author, Command, ConversationState, NewConversation,
};
use switchboard_domain::{Channel, ContactDetails, MessageBody, Presence, Visibility};
use uuid::Uuid;

/// How big a database to make.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    /// Agents, all Online (`agent{n}@scale.test`, password `switchboard`).
    pub agents: usize,
    pub contacts: usize,
    /// Closed conversations: started, taken by an agent, a reply each way, closed.
    pub history: usize,
    /// Waiting in the queue, each with its queue timer running.
    pub queued: usize,
    /// History spreads over this many days before now.
    pub days: i64,
    /// The queue's timers run out over this many seconds after now.
    pub timers_within_secs: i64,
}

impl Default for SeedPlan {
    /// The size of issue 11: 100,000 in history, 10,000 queued, 200 agents.
    fn default() -> Self {
        Self {
            agents: 200,
            contacts: 25_000,
            history: 100_000,
            queued: 10_000,
            days: 90,
            timers_within_secs: 3600,
        }
    }
}

/// What was seeded (counts of rows written).
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub agents: usize,
    pub contacts: usize,
    pub conversations: usize,
    pub messages: usize,
    pub events: usize,
}

const FIRST: [&str; 20] = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "John",
    "Katherine",
    "Linus",
    "Hedy",
    "Tim",
    "Sophie",
    "Niklaus",
    "Karen",
    "Guido",
];
const LAST: [&str; 25] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Backus",
    "Johnson",
    "Torvalds",
    "Lamarr",
    "Berners",
    "Wilson",
    "Wirth",
    "Jones",
    "Rossum",
    "Kay",
    "Moore",
    "Engelbart",
    "Shannon",
    "Cerf",
];
/// The channels a seeded conversation may be on (comments need posts; left out).
const CHANNELS: [Channel; 6] = [
    Channel::Web,
    Channel::Sms,
    Channel::Whatsapp,
    Channel::Messenger,
    Channel::Instagram,
    Channel::Telegram,
];
/// Conversations written per transaction.
const CHUNK: usize = 2_000;
/// Bound parameters per statement (under SQLite's 32,766 and PostgreSQL's 65,535).
const PARAMETERS: usize = 30_000;

/// The contact `i` of a seeded database (names repeat, emails and phones do not).
pub fn contact_details(i: usize) -> ContactDetails {
    let (first, last) = (FIRST[i % FIRST.len()], LAST[(i / FIRST.len()) % LAST.len()]);
    ContactDetails {
        name: format!("{first} {last}"),
        email: format!(
            "{}.{}{i}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        phone: Some(format!("+1555{i:07}")),
    }
}

struct Agent {
    id: Uuid,
    name: String,
}

/// Rows of one chunk, written together.
#[derive(Default)]
struct Batch {
    conversations: Vec<conversation::ActiveModel>,
    messages: Vec<message::ActiveModel>,
    events: Vec<conversation_event::ActiveModel>,
    participants: Vec<conversation_participant::ActiveModel>,
}

impl Batch {
    /// Lives `commands` through the domain after `started`, each at its time.
    fn add(
        &mut self,
        started: switchboard_domain::conversation::Started,
        at: i64,
        commands: &[(i64, Command)],
        visitor: Option<Uuid>,
    ) -> Result<()> {
        let blank = ConversationState {
            revision: 0,
            ..started.state.clone()
        };
        let (mut state, rows, messages) = record(blank, &started.events, at);
        self.keep(rows, messages);
        for (t, command) in commands {
            let decision = decide(&state, command, *t, &mut Uuid::now_v7)?;
            let (after, rows, messages) = record(state, &decision.events, *t);
            self.keep(rows, messages);
            state = after;
        }
        for m in &state.members {
            self.participants
                .push(conversation_participant::ActiveModel {
                    conversation_id: Set(state.id),
                    account_id: Set(m.agent),
                    role: Set(m.role.as_str().into()),
                    joined_at: Set(state.accepted_at.unwrap_or(at)),
                });
        }
        let mut row = codec::row_of(&state);
        row.visitor_id = Set(visitor);
        self.conversations.push(row);
        Ok(())
    }

    fn keep<L>(
        &mut self,
        rows: Vec<(conversation_event::Model, L)>,
        messages: Vec<message::ActiveModel>,
    ) {
        self.events
            .extend(rows.iter().map(|(row, _)| active_row(row)));
        self.messages.extend(messages);
    }
}

/// Inserts rows in statements of at most `PARAMETERS` bound values.
async fn insert_all<A>(tx: &crate::store::TxConn, backend: Backend, rows: &[A]) -> Result<()>
where
    A: sea_orm::ActiveModelTrait,
{
    let columns = <A::Entity as EntityTrait>::Column::iter().count();
    for part in rows.chunks((PARAMETERS / columns.max(1)).max(1)) {
        prebuilt::insert(tx, backend, part).await?;
    }
    Ok(())
}

impl Engine {
    /// Fills an empty database to `plan` (refused when it has conversations already).
    pub async fn seed(&self, plan: &SeedPlan, now: i64) -> Result<Seeded> {
        let db = self.db();
        if conversation::Entity::find().count(&db.read).await? > 0 {
            return Err(EngineError::Db(sea_orm::DbErr::Custom(
                "seeding wants a database without conversations".into(),
            )));
        }
        let mut seeded = Seeded::default();
        let hash = crate::accounts::hash_password("switchboard".into()).await?;
        let agents: Vec<Agent> = (0..plan.agents)
            .map(|i| Agent {
                id: Uuid::now_v7(),
                name: format!("Agent {i}"),
            })
            .collect();
        let tx = db.write.begin().await?;
        let rows: Vec<account::ActiveModel> = agents
            .iter()
            .enumerate()
            .map(|(i, a)| account::ActiveModel {
                id: Set(a.id),
                email: Set(format!("agent{i}@scale.test")),
                name: Set(a.name.clone()),
                role: Set(switchboard_wire::AgentRole::Agent.as_str().into()),
                password_hash: Set(hash.clone()),
                active: Set(true),
                created_at: Set(now),
                presence: Set(Presence::Online.as_str().into()),
                presence_auto: Set(false),
                presence_since: Set(now),
                capacity: Set(5),
                last_assigned_at: Set(None),
            })
            .collect();
        if !rows.is_empty() {
            insert_all(&tx, db.backend, &rows).await?;
        }
        seeded.agents = rows.len();

        // Contacts, each with the web visitor they began as.
        let mut contacts: Vec<(Uuid, Uuid)> = Vec::with_capacity(plan.contacts);
        let mut people = vec![];
        let mut identities = vec![];
        for i in 0..plan.contacts {
            let (id, visitor) = (Uuid::now_v7(), Uuid::new_v4());
            let details = contact_details(i);
            let since = now - plan.days * 86_400_000;
            people.push(contact::ActiveModel {
                id: Set(id),
                name: Set(details.name),
                email: Set(Some(details.email)),
                phone: Set(details.phone),
                created_at: Set(since),
                merged_into: Set(None),
            });
            identities.push(channel_identity::ActiveModel {
                id: Set(Uuid::now_v7()),
                contact_id: Set(id),
                channel: Set(Channel::Web.as_str().into()),
                address: Set(visitor.to_string()),
                created_at: Set(since),
                start_key: Set(None),
                revoked_before: Set(None),
                started_from: Set(None),
            });
            contacts.push((id, visitor));
        }
        if !people.is_empty() {
            insert_all(&tx, db.backend, &people).await?;
            insert_all(&tx, db.backend, &identities).await?;
        }
        tx.commit().await?;
        seeded.contacts = contacts.len();
        if contacts.is_empty() || agents.is_empty() {
            return Ok(seeded);
        }

        let total = plan.history + plan.queued;
        let span = plan.days.max(1) * 86_400_000;
        let mut batch = Batch::default();
        for i in 0..total {
            let contact_index = (i * 7919) % contacts.len();
            let (contact_id, visitor) = contacts[contact_index];
            let name = contact_details(contact_index).name;
            let channel = CHANNELS[i % CHANNELS.len()];
            let queued = i >= plan.history;
            // History spreads evenly over the span; the queue over the last half hour.
            let at = if queued {
                let k = (i - plan.history) as i64;
                now - 1_800_000 + k * 1_800_000 / plan.queued.max(1) as i64
            } else {
                now - span + i as i64 * span / plan.history.max(1) as i64
            };
            let first = MessageBody::parse(&format!("Hello, question number {i} about my order"))?;
            let started = start(
                NewConversation {
                    id: Uuid::now_v7(),
                    contact_id,
                    contact_name: name.clone(),
                    channel,
                    lead: false,
                    first,
                    client_msg_id: Some(Uuid::new_v4()),
                    post: None,
                    attachment: None,
                },
                at,
                &mut Uuid::now_v7,
            );
            let visitor = (channel == Channel::Web).then_some(visitor);
            let commands = if queued {
                let k = (i - plan.history) as i64;
                let deadline = now
                    + 60_000
                    + k * plan.timers_within_secs.max(1) * 1000 / plan.queued.max(1) as i64;
                vec![(at, Command::Enqueue { deadline })]
            } else {
                let agent = &agents[i % agents.len()];
                let agent = AgentRef {
                    id: agent.id,
                    name: agent.name.clone(),
                };
                let contact = Author::Contact {
                    contact_id,
                    name,
                    via: channel,
                };
                vec![
                    (
                        at,
                        Command::Enqueue {
                            deadline: at + 120_000,
                        },
                    ),
                    (
                        at + 20_000,
                        Command::Accept {
                            agent: agent.clone(),
                        },
                    ),
                    (
                        at + 40_000,
                        Command::Append {
                            author: Author::Agent(agent.clone()),
                            body: MessageBody::parse("Thanks for writing, let me look at it.")?,
                            visibility: Visibility::Public,
                            client_msg_id: Some(Uuid::new_v4()),
                        },
                    ),
                    (
                        at + 90_000,
                        Command::Append {
                            author: contact,
                            body: MessageBody::parse("That solves it, thank you!")?,
                            visibility: Visibility::Public,
                            client_msg_id: Some(Uuid::new_v4()),
                        },
                    ),
                    (at + 120_000, Command::Close { agent }),
                ]
            };
            batch.add(started, at, &commands, visitor)?;
            if batch.conversations.len() >= CHUNK || i + 1 == total {
                let done = std::mem::take(&mut batch);
                let tx = db.write.begin().await?;
                insert_all(&tx, db.backend, &done.conversations).await?;
                insert_all(&tx, db.backend, &done.messages).await?;
                insert_all(&tx, db.backend, &done.events).await?;
                if !done.participants.is_empty() {
                    insert_all(&tx, db.backend, &done.participants).await?;
                }
                tx.commit().await?;
                seeded.conversations += done.conversations.len();
                seeded.messages += done.messages.len();
                seeded.events += done.events.len();
            }
        }
        Ok(seeded)
    }
}
