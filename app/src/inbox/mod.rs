//! The agent inbox: conversation list, thread, reply, close; and its server functions.
//! Every function here refuses anonymous callers.

mod view;
#[cfg(feature = "hydrate")]
mod live;

pub use view::InboxPage;

use crate::conversations::{ConversationDetail, InboxRow};
use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use switchboard_domain::{ConversationSummary, Message};
use uuid::Uuid;

/// Which folder of the inbox to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Folder {
    /// Requests waiting for an agent (broadcast queue, or nobody free yet).
    Queued,
    /// Chats being handled (or offered to someone).
    Engaged,
    /// Closed chats.
    History,
    /// Offline messages and chats the queue gave up on.
    Leads,
}

impl Folder {
    /// Whether the mine / all / operator scope applies. The queue and the leads are shared
    /// by the whole team, so they ignore it (a declined request leaves the queue per agent).
    pub fn scoped(self) -> bool {
        matches!(self, Folder::Engaged | Folder::History)
    }
}

/// Whose chats a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Scope {
    All,
    Mine,
    /// Another operator's chats (admins only).
    Operator(Uuid),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Filter {
    pub scope: Scope,
    pub unread_only: bool,
    pub channel: Option<switchboard_domain::Channel>,
}

impl Default for Filter {
    fn default() -> Self {
        // Engaged is "my chats" unless the agent asks for everyone's.
        Self { scope: Scope::Mine, unread_only: false, channel: None }
    }
}

/// An agent as colleagues see them (transfer and invite targets, presence).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentInfo {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: crate::auth::AgentRole,
    pub presence: switchboard_domain::Presence,
    pub capacity: u32,
    pub active_chats: u32,
    pub active: bool,
}

/// A contact found by quick search, with their latest conversation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ContactHit {
    pub contact_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub conversation: Option<ConversationSummary>,
}

#[cfg(feature = "ssr")]
const LIST_LIMIT: u64 = 300;

#[server(endpoint = "inbox/list", input = Json, output = Json)]
pub async fn list_conversations(folder: Folder, filter: Filter) -> Result<Vec<InboxRow>, ApiError> {
    use crate::conversations::service::{self, ListQuery};
    use crate::error::{respond, AppError};
    use switchboard_domain::ConversationStatus as S;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let (statuses, lead) = match folder {
                Folder::Queued => (vec![S::Queued], Some(false)),
                Folder::Engaged => (vec![S::Offered, S::Open], Some(false)),
                Folder::History => (vec![S::Closed], Some(false)),
                Folder::Leads => (vec![S::Closed, S::Queued, S::Offered, S::Open], Some(true)),
            };
            let who = match filter.scope {
                _ if !folder.scoped() => None,
                Scope::All => None,
                Scope::Mine => Some(agent.id),
                Scope::Operator(id) if agent.role == crate::auth::AgentRole::Admin => Some(id),
                Scope::Operator(_) => return Err(AppError::Forbidden),
            };
            let q = ListQuery {
                statuses,
                lead,
                channel: filter.channel,
                involving: who,
                not_passed_by: (folder == Folder::Queued).then_some(agent.id),
                limit: LIST_LIMIT,
            };
            let summaries = service::list_summaries(&state.db, &q).await?;
            let reads = service::read_positions(&state.db, agent.id).await?;
            Ok(summaries
                .into_iter()
                .map(|summary| InboxRow { read_seq: reads.get(&summary.id).copied().unwrap_or(0), summary })
                .filter(|r| !filter.unread_only || r.read_seq < r.summary.last_seq)
                .collect())
        }
        .await,
    )
}

/// Start chat / Accept (and Put on hold, which is the same on the server: the client
/// simply stays where it is).
#[server(endpoint = "inbox/accept", input = Json, output = Json)]
pub async fn accept_chat(conversation_id: Uuid) -> Result<ConversationSummary, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let events = crate::routing::service::accept(&state.db, conversation_id, &agent, crate::db::now_millis()).await?;
            state.hub.publish_all(events);
            crate::conversations::service::load_summary(&state.db, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/decline", input = Json, output = Json)]
pub async fn decline_chat(conversation_id: Uuid) -> Result<(), ApiError> {
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let events = crate::routing::service::decline(&state.db, conversation_id, &agent, crate::db::now_millis()).await?;
            state.hub.publish_all(events);
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "inbox/transfer", input = Json, output = Json)]
pub async fn transfer_chat(conversation_id: Uuid, to: Uuid, comment: String) -> Result<ConversationSummary, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let events =
                crate::routing::service::transfer(&state.db, conversation_id, &agent, to, &comment, crate::db::now_millis())
                    .await?;
            state.hub.publish_all(events);
            crate::conversations::service::load_summary(&state.db, conversation_id).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/invite", input = Json, output = Json)]
pub async fn invite_agent(conversation_id: Uuid, agent_id: Uuid) -> Result<ConversationSummary, ApiError> {
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let events =
                crate::routing::service::invite(&state.db, conversation_id, &agent, agent_id, crate::db::now_millis()).await?;
            state.hub.publish_all(events);
            crate::conversations::service::load_summary(&state.db, conversation_id).await
        }
        .await,
    )
}

/// Sets the signed-in agent's presence; `auto` is the client's idle detector speaking.
#[server(endpoint = "inbox/presence", input = Json, output = Json)]
pub async fn set_presence(presence: switchboard_domain::Presence, auto: bool) -> Result<(), ApiError> {
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            if auto {
                use sea_orm::EntityTrait;
                // The idle detector may only move Online to Away and back, never override a choice.
                let row = crate::db::entities::account::Entity::find_by_id(agent.id).one(&state.db).await?;
                let current = row.as_ref().map(|r| (r.presence.clone(), r.presence_auto));
                let allowed = matches!(
                    (presence, current.as_ref().map(|(p, a)| (p.as_str(), *a))),
                    (switchboard_domain::Presence::Away, Some(("online", _)))
                        | (switchboard_domain::Presence::Online, Some(("away", true)))
                );
                if !allowed {
                    return Ok(());
                }
            }
            let auto = auto && presence == switchboard_domain::Presence::Away;
            if let Some(e) =
                crate::routing::service::set_presence(&state.db, agent.id, presence, auto, crate::db::now_millis()).await?
            {
                state.hub.publish(e);
            }
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "inbox/agents", input = Json, output = Json)]
pub async fn list_agents() -> Result<Vec<AgentInfo>, ApiError> {
    use crate::error::respond;
    respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let mut out: Vec<AgentInfo> = crate::routing::service::all_agents(&state.db).await?;
            out.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        }
        .await,
    )
}

/// What the inbox needs at start: colleagues and the idle time before automatic Away.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InboxContext {
    pub agents: Vec<AgentInfo>,
    pub auto_away_secs: u32,
    pub mode: switchboard_domain::RoutingMode,
}

#[server(endpoint = "inbox/setup", input = Json, output = Json)]
pub async fn inbox_setup() -> Result<InboxContext, ApiError> {
    use crate::error::respond;
    respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let settings = crate::routing::service::load_settings(&state.db).await?;
            let mut agents = crate::routing::service::all_agents(&state.db).await?;
            agents.retain(|a| a.active);
            agents.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(InboxContext { agents, auto_away_secs: settings.auto_away_secs, mode: settings.mode })
        }
        .await,
    )
}

/// Quick search of contacts by name, email or phone.
#[server(endpoint = "inbox/search", input = Json, output = Json)]
pub async fn search_contacts(query: String) -> Result<Vec<ContactHit>, ApiError> {
    use crate::error::respond;
    respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            crate::conversations::service::search_contacts(&state.db, &query, 20).await
        }
        .await,
    )
}

#[server(endpoint = "inbox/conversation", input = Json, output = Json)]
pub async fn open_conversation(conversation_id: Uuid) -> Result<ConversationDetail, ApiError> {
    use crate::conversations::service;
    use crate::error::respond;
    respond(
        async {
            crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let summary = service::load_summary(&state.db, conversation_id).await?;
            let messages = service::messages_after(&state.db, conversation_id, 0, true, 10_000).await?;
            Ok(ConversationDetail { summary, messages })
        }
        .await,
    )
}

/// Sends an agent reply (or, with `internal`, a note only agents see). Replying to a queued
/// conversation takes it. Retrying with the same `client_msg_id` stores it once.
#[server(endpoint = "inbox/send", input = Json, output = Json)]
pub async fn send_agent_message(
    conversation_id: Uuid,
    client_msg_id: Uuid,
    body: String,
    internal: bool,
) -> Result<Message, ApiError> {
    use crate::conversations::service::{self, Author};
    use crate::error::respond;
    use switchboard_domain::{MessageBody, Visibility};
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let body = MessageBody::parse(&body)?;
            let visibility = if internal { Visibility::Internal } else { Visibility::Public };
            let written = service::append_message(
                &state.db,
                conversation_id,
                Author::Agent(agent.clone()),
                body,
                visibility,
                Some(client_msg_id),
                crate::db::now_millis(),
            )
            .await?;
            state.hub.publish_all(written.events);
            service::mark_read(&state.db, conversation_id, agent.id, written.value.seq).await?;
            Ok(written.value)
        }
        .await,
    )
}

#[server(endpoint = "inbox/close", input = Json, output = Json)]
pub async fn close_conversation(conversation_id: Uuid) -> Result<ConversationSummary, ApiError> {
    use crate::conversations::service;
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let written = service::close_conversation(&state.db, conversation_id, &agent, crate::db::now_millis()).await?;
            state.hub.publish_all(written.events);
            Ok(written.value)
        }
        .await,
    )
}

#[server(endpoint = "inbox/read", input = Json, output = Json)]
pub async fn mark_read(conversation_id: Uuid, seq: u64) -> Result<(), ApiError> {
    use crate::conversations::service;
    use crate::error::respond;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            service::mark_read(&state.db, conversation_id, agent.id, seq).await
        }
        .await,
    )
}
