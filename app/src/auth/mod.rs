//! Agent and admin accounts: sign in, sign out, who am I, and the login page.

#[cfg(feature = "ssr")]
pub mod session_store;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use switchboard_wire::{AgentProfile, AgentRole};

use crate::error::ApiError;
use leptos::prelude::*;

/// Signs an agent in. A plain form post works without JavaScript and lands on the inbox.
#[server(endpoint = "auth/login")]
pub async fn login(
    email: String,
    password: String,
    presence: Option<String>,
) -> Result<AgentProfile, ApiError> {
    use crate::error::{respond, AppError};
    use switchboard_domain::presence::PresenceCommand;
    respond(
        async {
            let state = crate::state::AppState::from_context()?;
            state
                .limit_this_request(&state.engine.limits().login_ip)
                .await?;
            let profile = state.engine.authenticate(&email, &password).await?;
            let session: tower_sessions::Session = leptos_axum::extract()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            // A fresh id on every sign-in: a session id seen before login is worthless after.
            session
                .cycle_id()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            session
                .insert(ssr::SESSION_ACCOUNT_KEY, profile.id)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            session
                .insert(ssr::SESSION_SIGNED_IN_KEY, switchboard_engine::now())
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            // Online on sign-in, unless the agent chose otherwise on the form.
            let presence =
                switchboard_domain::Presence::parse(presence.as_deref().unwrap_or("online"))
                    .unwrap_or(switchboard_domain::Presence::Online);
            state
                .engine
                .set_presence(profile.id, PresenceCommand::Choose(presence))
                .await?;
            leptos_axum::redirect("/inbox");
            Ok(profile)
        }
        .await,
    )
}

#[server(endpoint = "auth/logout")]
pub async fn logout() -> Result<(), ApiError> {
    use crate::error::{respond, AppError};
    use switchboard_domain::presence::PresenceCommand;
    respond(
        async {
            let session: tower_sessions::Session = leptos_axum::extract()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let agent = ssr::require_agent().await.ok();
            let state = crate::state::AppState::from_context()?;
            if let Some(agent) = &agent {
                state
                    .engine
                    .set_presence(
                        agent.id,
                        PresenceCommand::Choose(switchboard_domain::Presence::Offline),
                    )
                    .await?;
            }
            session
                .flush()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            // This session's sockets close, on every node.
            if let Some(agent) = agent {
                state.engine.access_changed(agent.id).await?;
            }
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
