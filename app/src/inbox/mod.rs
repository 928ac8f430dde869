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
    /// Queued and open conversations.
    Open,
    /// History.
    Closed,
}

#[cfg(feature = "ssr")]
const LIST_LIMIT: u64 = 200;

#[server(endpoint = "inbox/list", input = Json, output = Json)]
pub async fn list_conversations(folder: Folder) -> Result<Vec<InboxRow>, ApiError> {
    use crate::conversations::service;
    use crate::error::respond;
    use switchboard_domain::ConversationStatus as S;
    respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            let statuses: &[S] = match folder {
                Folder::Open => &[S::Queued, S::Open],
                Folder::Closed => &[S::Closed],
            };
            let summaries = service::list_summaries(&state.db, statuses, LIST_LIMIT).await?;
            let reads = service::read_positions(&state.db, agent.id).await?;
            Ok(summaries
                .into_iter()
                .map(|summary| InboxRow { read_seq: reads.get(&summary.id).copied().unwrap_or(0), summary })
                .collect())
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
