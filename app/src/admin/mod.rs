//! Admin: agents (create, role, chat limit, deactivate), routing and widget settings, and
//! reports. Every function here requires an admin.

mod view;

pub use view::AdminPage;

use crate::auth::AgentRole;
use crate::error::ApiError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use switchboard_domain::RoutingSettings;
use switchboard_wire::admin::ReportData;
use switchboard_wire::inbox::AgentInfo;
use uuid::Uuid;

#[server(endpoint = "admin/agents/create", input = Json, output = Json)]
pub async fn create_agent(
    email: String,
    name: String,
    password: String,
    role: AgentRole,
    capacity: u32,
) -> Result<AgentInfo, ApiError> {
    use crate::error::AppError;
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            let created = state
                .engine
                .create_account(&email, &name, &password, role, capacity)
                .await?;
            state
                .engine
                .agents()
                .await?
                .into_iter()
                .find(|a| a.id == created.id)
                .ok_or_else(|| AppError::Internal("created agent vanished".into()))
        }
        .await,
    )
}

/// Changes an agent's role, chat limit or whether the account may sign in at all.
#[server(endpoint = "admin/agents/update", input = Json, output = Json)]
pub async fn update_agent(
    id: Uuid,
    role: AgentRole,
    capacity: u32,
    active: bool,
) -> Result<AgentInfo, ApiError> {
    crate::error::respond(
        async {
            let me = crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .update_agent(me.id, id, role, capacity, active)
                .await?)
        }
        .await,
    )
}

/// The connected messaging channels: accounts (secrets masked), where their webhooks go.
#[server(endpoint = "admin/channels", input = Json, output = Json)]
pub async fn list_channels() -> Result<switchboard_wire::admin::ChannelsOverview, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.channels_overview())
        }
        .await,
    )
}

/// Saves one provider's credentials (`section`: `twilio`, `meta`, `whatsapp`, `facebook`,
/// `telegram`; `values` by variable name). An empty secret keeps the saved one. They apply at
/// once, on every node within seconds. Settings the environment sets cannot be changed.
#[server(endpoint = "admin/channels/save", input = Json, output = Json)]
pub async fn save_channel_settings(
    section: String,
    values: std::collections::BTreeMap<String, String>,
) -> Result<switchboard_wire::admin::ChannelsOverview, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            state.engine.save_channel_section(&section, &values).await?;
            Ok(state.engine.channels_overview())
        }
        .await,
    )
}

/// Removes what was saved for one provider: it disconnects (or, in demo mode, goes back to
/// the simulator).
#[server(endpoint = "admin/channels/clear", input = Json, output = Json)]
pub async fn clear_channel_settings(
    section: String,
) -> Result<switchboard_wire::admin::ChannelsOverview, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            state.engine.clear_channel_section(&section).await?;
            Ok(state.engine.channels_overview())
        }
        .await,
    )
}

/// Tests a channel account's credentials with one harmless read at the provider.
#[server(endpoint = "admin/channels/test", input = Json, output = Json)]
pub async fn test_channel(
    channel: switchboard_domain::Channel,
    address: String,
) -> Result<switchboard_wire::admin::ChannelTest, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            state.engine.test_channel(channel, &address).await.ok_or(
                crate::error::AppError::Engine(switchboard_engine::EngineError::NotFound(
                    switchboard_engine::Missing::Account,
                )),
            )
        }
        .await,
    )
}

#[server(endpoint = "admin/settings", input = Json, output = Json)]
pub async fn get_settings() -> Result<RoutingSettings, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.settings().await?)
        }
        .await,
    )
}

/// Saves settings; a new routing mode applies to the next request (and, switching to
/// time-based, to everything waiting in the queue).
#[server(endpoint = "admin/settings/save", input = Json, output = Json)]
pub async fn save_settings(settings: RoutingSettings) -> Result<RoutingSettings, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state.engine.save_settings(&settings).await?)
        }
        .await,
    )
}

/// Closed chats and time-in-status per agent for `[from, to)` (unix milliseconds).
#[server(endpoint = "admin/report", input = Json, output = Json)]
pub async fn report(from: i64, to: i64) -> Result<ReportData, ApiError> {
    crate::error::respond(
        async {
            crate::auth::ssr::require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            Ok(state
                .engine
                .report(from, to, switchboard_engine::now())
                .await?)
        }
        .await,
    )
}
