//! The visitor widget: pre-chat form, live thread, and the server functions behind them.
//! The widget authenticates with a signed visitor token kept in the iframe's localStorage.

#[cfg(feature = "ssr")]
pub mod token;
mod view;

pub use view::WidgetPage;

use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use switchboard_domain::{ConversationStatus, Message};
use uuid::Uuid;

/// What the widget needs to show a visitor their conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitorChat {
    pub token: String,
    pub conversation_id: Uuid,
    pub contact_name: String,
    pub status: ConversationStatus,
    /// The conversation's revision when `status` was read (newer status frames win).
    pub revision: u64,
    /// Public messages only, in seq order.
    pub messages: Vec<Message>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::conversations::service;
    use crate::error::AppError;
    use crate::state::AppState;
    use uuid::Uuid;

    /// The contact a token speaks for.
    pub async fn contact_of_token(state: &AppState, token: &str) -> Result<Uuid, AppError> {
        let visitor_id = super::token::verify(&state.secret, token).ok_or(AppError::Unauthorized)?;
        service::contact_of_visitor(&state.db, visitor_id).await?.ok_or(AppError::Unauthorized)
    }

    /// Starts a chat or leaves a lead from the widget's form, and issues the visitor token.
    pub async fn start(
        form: (String, String, String, String),
        client_msg_id: Uuid,
        kind: service::Start,
    ) -> Result<super::VisitorChat, AppError> {
        use switchboard_domain::{ContactDetails, MessageBody};
        let (name, email, phone, message) = form;
        let state = AppState::from_context()?;
        let details = ContactDetails::parse(&name, &email, &phone)?;
        let body = MessageBody::parse(&message)?;
        let written =
            service::start_web_conversation(&state.db, &details, &body, client_msg_id, kind, crate::db::now_millis()).await?;
        state.hub.publish_all(written.events);
        let (visitor_id, summary, _) = written.value;
        chat_view(&state, super::token::issue(&state.secret, visitor_id), summary.id).await
    }

    pub async fn chat_view(state: &AppState, token: String, conversation_id: Uuid) -> Result<super::VisitorChat, AppError> {
        let summary = service::load_summary(&state.db, conversation_id).await?;
        let messages = service::messages_after(&state.db, conversation_id, 0, false, 10_000).await?;
        Ok(super::VisitorChat {
            token,
            conversation_id,
            contact_name: summary.contact_name,
            status: summary.status,
            revision: summary.revision,
            messages,
        })
    }
}

/// Starts a chat from the pre-chat form. Retrying with the same `client_msg_id` is safe.
#[server(endpoint = "visitor/start", input = Json, output = Json)]
pub async fn start_chat(
    name: String,
    email: String,
    phone: String,
    message: String,
    client_msg_id: Uuid,
) -> Result<VisitorChat, ApiError> {
    use crate::conversations::service::Start;
    crate::error::respond(ssr::start((name, email, phone, message), client_msg_id, Start::Chat).await)
}

/// The offline form: leaves a message as a lead when no agent is Online.
#[server(endpoint = "visitor/leave-message", input = Json, output = Json)]
pub async fn leave_message(
    name: String,
    email: String,
    phone: String,
    message: String,
    client_msg_id: Uuid,
) -> Result<VisitorChat, ApiError> {
    use crate::conversations::service::Start;
    crate::error::respond(ssr::start((name, email, phone, message), client_msg_id, Start::Lead).await)
}

/// What the widget shows before a chat: the chatbot, and whether anyone is Online.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetSetup {
    pub bot: Option<crate::routing::BotSettings>,
    pub agents_online: bool,
}

#[server(endpoint = "visitor/config", input = Json, output = Json)]
pub async fn widget_config() -> Result<WidgetSetup, ApiError> {
    use crate::error::respond;
    use switchboard_domain::Presence;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let settings = crate::routing::service::load_settings(&state.db).await?;
            let loads = crate::routing::service::agent_loads(&state.db).await?;
            Ok(WidgetSetup {
                bot: settings.bot.enabled.then_some(settings.bot),
                agents_online: loads.iter().any(|(_, l)| l.presence == Presence::Online),
            })
        }
        .await,
    )
}

/// Where a waiting visitor stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueInfo {
    pub status: ConversationStatus,
    /// 1 is next; none once an agent has it.
    pub position: Option<usize>,
    pub estimate: Option<switchboard_domain::WaitEstimate>,
    pub missed: bool,
}

#[server(endpoint = "visitor/queue", input = Json, output = Json)]
pub async fn queue_status(token: String, conversation_id: Uuid) -> Result<QueueInfo, ApiError> {
    use crate::conversations::service;
    use crate::error::{respond, AppError};
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let contact_id = ssr::contact_of_token(&state, &token).await?;
            if !service::conversation_belongs_to(&state.db, conversation_id, contact_id).await? {
                return Err(AppError::NotFound("That conversation does not exist.".into()));
            }
            crate::routing::service::queue_status(&state.db, conversation_id, crate::db::now_millis()).await
        }
        .await,
    )
}

/// The visitor's latest conversation with its history, or `None` for an unknown token
/// (the widget then shows the pre-chat form).
#[server(endpoint = "visitor/resume", input = Json, output = Json)]
pub async fn resume_chat(token: String) -> Result<Option<VisitorChat>, ApiError> {
    use crate::conversations::service;
    use crate::error::{respond, AppError};
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let contact_id = match ssr::contact_of_token(&state, &token).await {
                Ok(c) => c,
                Err(AppError::Unauthorized) => return Ok(None),
                Err(e) => return Err(e),
            };
            match service::latest_conversation_of_contact(&state.db, contact_id).await? {
                Some(summary) => Ok(Some(ssr::chat_view(&state, token, summary.id).await?)),
                None => Ok(None),
            }
        }
        .await,
    )
}

/// Sends a visitor message. Retrying with the same `client_msg_id` stores it once.
#[server(endpoint = "visitor/send", input = Json, output = Json)]
pub async fn send_visitor_message(
    token: String,
    conversation_id: Uuid,
    client_msg_id: Uuid,
    body: String,
) -> Result<Message, ApiError> {
    use crate::conversations::service::{self, Author};
    use crate::error::{respond, AppError};
    use switchboard_domain::{MessageBody, Visibility};
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let body = MessageBody::parse(&body)?;
            let contact_id = ssr::contact_of_token(&state, &token).await?;
            if !service::conversation_belongs_to(&state.db, conversation_id, contact_id).await? {
                return Err(AppError::NotFound("That conversation does not exist.".into()));
            }
            let written = service::append_message(
                &state.db,
                conversation_id,
                Author::Contact,
                body,
                Visibility::Public,
                Some(client_msg_id),
                crate::db::now_millis(),
            )
            .await?;
            state.hub.publish_all(written.events);
            Ok(written.value)
        }
        .await,
    )
}
