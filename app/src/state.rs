//! What every request handler and server function can reach, provided as Leptos context
//! and as axum state.

use crate::realtime::hub::Hub;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub hub: Hub,
    /// Signs visitor tokens; kept in the database so tokens survive restarts.
    pub secret: Arc<Vec<u8>>,
    /// Open agent sockets on this node, per agent: the last one closing sets them Offline.
    pub agent_sockets: Arc<std::sync::Mutex<std::collections::HashMap<uuid::Uuid, usize>>>,
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
