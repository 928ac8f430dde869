//! Admin: agents (create, role, chat limit, deactivate), routing and widget settings, and
//! reports. Every function here requires an admin.

mod view;
#[cfg(feature = "ssr")]
pub mod reports;

pub use view::AdminPage;

use crate::auth::AgentRole;
use crate::error::ApiError;
use crate::inbox::AgentInfo;
use crate::routing::RoutingSettings;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[cfg(feature = "ssr")]
async fn require_admin() -> Result<crate::auth::AgentProfile, crate::error::AppError> {
    let agent = crate::auth::ssr::require_agent().await?;
    if agent.role != AgentRole::Admin {
        return Err(crate::error::AppError::Forbidden);
    }
    Ok(agent)
}

#[server(endpoint = "admin/agents/create", input = Json, output = Json)]
pub async fn create_agent(
    email: String,
    name: String,
    password: String,
    role: AgentRole,
    capacity: u32,
) -> Result<AgentInfo, ApiError> {
    use crate::error::{respond, AppError};
    respond(
        async {
            require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            let created = crate::auth::ssr::create_account(&state.db, &email, &name, &password, role, capacity).await?;
            crate::routing::service::all_agents(&state.db)
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
pub async fn update_agent(id: Uuid, role: AgentRole, capacity: u32, active: bool) -> Result<AgentInfo, ApiError> {
    use crate::db::entities::account;
    use crate::error::{respond, AppError};
    use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};
    respond(
        async {
            let me = require_admin().await?;
            if id == me.id && (!active || role != AgentRole::Admin) {
                return Err(AppError::Invalid("You cannot demote or deactivate your own account.".into()));
            }
            let capacity = crate::auth::ssr::capacity_in_range(capacity)?;
            let state = crate::state::AppState::from_context()?;
            let res = account::Entity::update_many()
                .col_expr(account::Column::Role, Expr::value(role.as_str()))
                .col_expr(account::Column::Capacity, Expr::value(capacity as i32))
                .col_expr(account::Column::Active, Expr::value(active))
                .filter(account::Column::Id.eq(id))
                .exec(&state.db)
                .await?;
            if res.rows_affected == 0 {
                return Err(AppError::NotFound("No such agent.".into()));
            }
            if !active {
                // A deactivated agent takes no chats: their sessions are refused from now on.
                let now = crate::db::now_millis();
                if let Some(e) =
                    crate::routing::service::set_presence(&state.db, id, switchboard_domain::Presence::Offline, false, now).await?
                {
                    state.hub.publish(e);
                }
            }
            crate::routing::service::all_agents(&state.db)
                .await?
                .into_iter()
                .find(|a| a.id == id)
                .ok_or_else(|| AppError::NotFound("No such agent.".into()))
        }
        .await,
    )
}

#[server(endpoint = "admin/settings", input = Json, output = Json)]
pub async fn get_settings() -> Result<RoutingSettings, ApiError> {
    use crate::error::respond;
    respond(
        async {
            require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            crate::routing::service::load_settings(&state.db).await
        }
        .await,
    )
}

/// Saves settings; a new routing mode applies to the next request (and, switching to
/// time-based, to everything waiting in the queue).
#[server(endpoint = "admin/settings/save", input = Json, output = Json)]
pub async fn save_settings(settings: RoutingSettings) -> Result<RoutingSettings, ApiError> {
    use crate::error::respond;
    respond(
        async {
            require_admin().await?;
            let state = crate::state::AppState::from_context()?;
            crate::routing::service::save_settings(&state.db, &settings).await?;
            Ok(settings)
        }
        .await,
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatStats {
    pub closed: u64,
    pub avg_first_response_secs: Option<u64>,
    pub avg_handle_secs: Option<u64>,
    /// Offers that lapsed plus requests the queue timer gave up on.
    pub missed: u64,
    pub leads: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeInStatus {
    pub agent_id: Uuid,
    pub name: String,
    pub online_secs: u64,
    pub away_secs: u64,
    pub offline_secs: u64,
    pub missed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub from: i64,
    pub to: i64,
    pub chats: ChatStats,
    pub agents: Vec<TimeInStatus>,
}

/// Closed chats and time-in-status per agent for `[from, to)` (unix milliseconds).
#[server(endpoint = "admin/report", input = Json, output = Json)]
pub async fn report(from: i64, to: i64) -> Result<ReportData, ApiError> {
    use crate::error::{respond, AppError};
    respond(
        async {
            require_admin().await?;
            if to <= from {
                return Err(AppError::Invalid("The report's end must come after its start.".into()));
            }
            let state = crate::state::AppState::from_context()?;
            reports::build(&state.db, from, to, crate::db::now_millis()).await
        }
        .await,
    )
}
