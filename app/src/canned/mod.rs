//! Canned responses: the server functions, the page where they are kept (`manage`: the team's
//! shared library for admins, personal ones for every agent), and the room's picker and
//! `/shortcut` suggestions (`picker`).

mod manage;
mod picker;

pub use manage::{CannedManager, CannedPage};
pub use picker::{CannedPicker, CannedState, CannedSuggestions};

use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
pub use switchboard_domain::canned::CannedResponse;
use uuid::Uuid;

#[cfg(feature = "ssr")]
async fn editor() -> Result<switchboard_engine::canned::Editor, crate::error::AppError> {
    let agent = crate::auth::ssr::require_agent().await?;
    Ok(switchboard_engine::canned::Editor {
        id: agent.id,
        admin: agent.role == crate::auth::AgentRole::Admin,
    })
}

/// The responses the agent may use: the team's and their own.
#[server(endpoint = "canned/list", input = Json, output = Json)]
pub async fn list_canned() -> Result<Vec<CannedResponse>, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_agent().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.canned_for(agent.id).await?)
        }
        .await,
    )
}

/// Creates (`id` none) or changes a response; `shared` puts a new one in the team's library
/// (admins only).
#[server(endpoint = "canned/save", input = Json, output = Json)]
pub async fn save_canned(
    id: Option<Uuid>,
    shared: bool,
    title: String,
    shortcut: String,
    text: String,
) -> Result<CannedResponse, ApiError> {
    use switchboard_engine::canned::Library;
    crate::error::respond(
        async {
            let by = editor().await?;
            let state = crate::state::AppState::from_context()?;
            let draft = switchboard_domain::canned::CannedDraft::parse(&title, &shortcut, &text)
                .map_err(|e| {
                    switchboard_engine::EngineError::from(switchboard_engine::Rule::from(e))
                })?;
            let library = if shared {
                Library::Shared
            } else {
                Library::Personal
            };
            Ok(state.engine.save_canned(by, id, library, draft).await?)
        }
        .await,
    )
}

#[server(endpoint = "canned/delete", input = Json, output = Json)]
pub async fn delete_canned(id: Uuid) -> Result<(), ApiError> {
    crate::error::respond(
        async {
            let by = editor().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.delete_canned(by, id).await?)
        }
        .await,
    )
}

/// A response's text for this conversation, its placeholders filled in.
#[server(endpoint = "canned/use", input = Json, output = Json)]
pub async fn use_canned(id: Uuid, conversation_id: Uuid) -> Result<String, ApiError> {
    crate::error::respond(
        async {
            let agent = crate::auth::ssr::require_access(
                conversation_id,
                switchboard_domain::access::Access::Read,
            )
            .await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .canned_text(&crate::auth::ssr::agent_ref(&agent), id, conversation_id)
                .await?)
        }
        .await,
    )
}
