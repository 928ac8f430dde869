//! Agent and admin accounts: sign in, sign out, who am I, and the login page.

#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod ssr;

use crate::error::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    Admin,
    Agent,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Admin => "admin",
            AgentRole::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Admin, Self::Agent].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: AgentRole,
}

/// Signs an agent in. A plain form post works without JavaScript and lands on the inbox.
#[server(endpoint = "auth/login")]
pub async fn login(email: String, password: String, presence: Option<String>) -> Result<AgentProfile, ApiError> {
    use crate::error::{respond, AppError};
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            let profile = ssr::authenticate(&state.db, &email, &password).await?;
            let session: tower_sessions::Session =
                leptos_axum::extract().await.map_err(|e| AppError::Internal(e.to_string()))?;
            // A fresh id on every sign-in: a session id seen before login is worthless after.
            session.cycle_id().await.map_err(|e| AppError::Internal(e.to_string()))?;
            session
                .insert(ssr::SESSION_ACCOUNT_KEY, profile.id)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            // Online on sign-in, unless the agent chose otherwise on the form.
            let presence = switchboard_domain::Presence::parse(presence.as_deref().unwrap_or("online"))
                .unwrap_or(switchboard_domain::Presence::Online);
            if let Some(event) =
                crate::routing::service::set_presence(&state.db, profile.id, presence, false, crate::db::now_millis()).await?
            {
                state.hub.publish(event);
            }
            leptos_axum::redirect("/inbox");
            Ok(profile)
        }
        .await,
    )
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), ApiError> {
    use crate::error::{respond, AppError};
    respond(
        async {
            let session: tower_sessions::Session =
                leptos_axum::extract().await.map_err(|e| AppError::Internal(e.to_string()))?;
            if let Ok(agent) = ssr::require_agent().await {
                let state = crate::state::AppState::from_context()?;
                let now = crate::db::now_millis();
                if let Some(event) =
                    crate::routing::service::set_presence(&state.db, agent.id, switchboard_domain::Presence::Offline, false, now)
                        .await?
                {
                    state.hub.publish(event);
                }
            }
            session.flush().await.map_err(|e| AppError::Internal(e.to_string()))?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// The signed-in agent, or `None`.
#[server(endpoint = "auth/me")]
pub async fn current_agent() -> Result<Option<AgentProfile>, ApiError> {
    use crate::error::{respond, AppError};
    match ssr::require_agent().await {
        Ok(p) => Ok(Some(p)),
        Err(AppError::Unauthorized) => Ok(None),
        Err(e) => respond(Err(e)),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || match login.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <leptos_meta::Title text="Sign in · Switchboard"/>
        <main class="login-page">
            <ActionForm action=login attr:class="card login-card">
                <h1 class="brand">"Switchboard"</h1>
                <p class="muted">"Sign in to your team inbox"</p>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <label>
                    "Start as"
                    <select name="presence">
                        <option value="online" selected>"Online: take chats"</option>
                        <option value="away">"Away: no new chats"</option>
                    </select>
                </label>
                {move || error().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </main>
    }
}
