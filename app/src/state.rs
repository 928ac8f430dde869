//! What every request handler and server function can reach, provided as Leptos context
//! and as axum state.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use switchboard_engine::Engine;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub engine: Engine,
    /// Signs visitor tokens; kept in the database so tokens survive restarts.
    pub secret: Arc<Vec<u8>>,
    /// Cancelled when the server shuts down: open sockets close with a restart code.
    pub shutdown: CancellationToken,
    /// Where providers reach this server (`SWITCHBOARD_PUBLIC_URL`): webhook URLs start here.
    pub public_url: Arc<str>,
    /// The provider simulator (demo mode only).
    pub simulator: Option<Arc<crate::simulator::provider::Simulator>>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// The state inside a server function.
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<AppState>()
            .ok_or_else(|| crate::error::AppError::Internal("AppState missing from context".into()))
    }
}
