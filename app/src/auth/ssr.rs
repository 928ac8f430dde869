//! Server side of agent authentication: the guard every agent-only server function and
//! socket goes through. Accounts and passwords live in the engine.

use super::AgentProfile;
use crate::error::AppError;
use switchboard_engine::Engine;
use tower_sessions::Session;
use uuid::Uuid;

pub const SESSION_ACCOUNT_KEY: &str = "account_id";
/// When the agent signed in (Unix milliseconds): the session's lifetime counts from it.
pub const SESSION_SIGNED_IN_KEY: &str = "signed_in_at";

/// The signed-in, active agent of this session (role and status read afresh).
pub async fn agent_of_session(
    engine: &Engine,
    session: &Session,
) -> Result<AgentProfile, AppError> {
    let id: Option<Uuid> = session
        .get(SESSION_ACCOUNT_KEY)
        .await
        .map_err(|e| AppError::Internal(format!("session: {e}")))?;
    let id = id.ok_or(AppError::Unauthorized)?;
    Ok(engine.active_agent(id).await?)
}

/// Inside a server function: the signed-in agent, or 401.
pub async fn require_agent() -> Result<AgentProfile, AppError> {
    let state = crate::state::AppState::from_context()?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|_| AppError::Unauthorized)?;
    agent_of_session(&state.engine, &session).await
}

/// Inside a server function: the signed-in agent, if the policy lets them `access` this
/// conversation (401 signed out, 404 no such conversation, 403 not theirs).
pub async fn require_access(
    conversation_id: Uuid,
    access: switchboard_domain::access::Access,
) -> Result<AgentProfile, AppError> {
    let agent = require_agent().await?;
    let state = crate::state::AppState::from_context()?;
    let viewer = state.engine.viewer_of(&agent).await?;
    state
        .engine
        .authorize(&viewer, conversation_id, access)
        .await?;
    Ok(agent)
}

/// Inside a server function: the signed-in admin, 403 for other agents.
pub async fn require_admin() -> Result<AgentProfile, AppError> {
    let agent = require_agent().await?;
    if agent.role != super::AgentRole::Admin {
        return Err(AppError::Forbidden);
    }
    Ok(agent)
}

/// The agent as a domain command names them.
pub fn agent_ref(p: &AgentProfile) -> switchboard_domain::conversation::AgentRef {
    switchboard_domain::conversation::AgentRef {
        id: p.id,
        name: p.name.clone(),
    }
}
