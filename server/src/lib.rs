//! The Switchboard server: configuration, start-up (database, migrations, demo data), and the
//! axum router that puts the app's pages, server functions and sockets behind one listener.

pub mod config;
pub mod seed;

use app::auth::session_store::DbSessionStore;
use app::realtime::hub::Hub;
use app::realtime::socket;
use app::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::Router;
use config::{Config, Mode};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sea_orm::ConnectionTrait;
use std::sync::Arc;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    App(#[from] app::error::AppError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Connects, migrates, seeds (in demo mode) and loads the signing secret.
pub async fn prepare(config: &Config) -> Result<AppState, StartError> {
    let db = app::db::connect(&config.database_url).await?;
    if config.mode == Mode::Demo {
        seed::demo_accounts(&db).await?;
        app::routing::service::seed_settings(&db, &app::routing::RoutingSettings::demo()).await?;
    }
    let secret = match &config.secret {
        Some(s) => s.as_bytes().to_vec(),
        None => seed::stored_secret(&db).await?,
    };
    Ok(AppState {
        leptos_options: config.leptos_options.clone(),
        db,
        hub: Hub::new(),
        secret: Arc::new(secret),
        agent_sockets: Default::default(),
    })
}

/// The whole HTTP surface.
pub fn router(state: AppState, config: &Config) -> Router {
    let routes = generate_route_list(app::App);
    let store = DbSessionStore::new(state.db.clone());
    spawn_session_cleanup(store.clone());
    app::routing::timers::spawn(state.clone());
    let sessions = SessionManagerLayer::new(store)
        .with_name("switchboard_session")
        .with_secure(config.secure_cookies)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::days(7)));

    Router::new()
        .route("/healthz", get(healthz))
        .route("/demo", get(demo_page))
        .route("/ws/visitor", get(socket::visitor_socket))
        .route("/ws/agent", get(socket::agent_socket))
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        .layer(sessions)
        .with_state(state)
}

fn spawn_session_cleanup(store: DbSessionStore) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "deleting expired sessions failed");
            }
        }
    });
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// A stand-in customer website that embeds the widget exactly as any site would.
async fn demo_page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(include_str!("../../public/demo.html")))
}

/// Binds and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let state = prepare(&config).await?;
    let app = router(state, &config);
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    tracing::info!("Switchboard listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app.into_make_service()).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
