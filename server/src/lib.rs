//! The Switchboard server: configuration, start-up (engine, demo data, secret), the axum
//! router (no side effects), and the lifecycle. `start` runs the engine's workers and an
//! accept loop that tracks every connection, so `shutdown` can close sockets with a close
//! frame and finish in-flight requests, and `kill` can stop everything at once.

pub mod assets;
pub mod channels;
pub mod config;
pub mod observe;
pub mod origin;
pub mod seed;

use app::auth::session_store::DbSessionStore;
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
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use switchboard_engine::{Engine, EngineConfig, Workers};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Engine(#[from] switchboard_engine::EngineError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

fn engine_config(config: &Config) -> EngineConfig {
    let mut e = EngineConfig::new(config.database_url.clone());
    e.presence_ttl = config.presence_ttl;
    e.test_hold_assignment = config.test_hold_assignment;
    e.files = Some(config.files.clone());
    e.channels = switchboard_engine::channels::settings::Layers {
        env: config.channels.clone(),
        simulator: config.simulated_channels.clone(),
    };
    e
}

/// Opens the engine, seeds the demo (in demo mode) and loads the signing secret.
pub async fn prepare(config: &Config) -> Result<AppState, StartError> {
    let engine = Engine::open(engine_config(config)).await?;
    if config.mode == Mode::Demo {
        seed::demo(&engine).await?;
    }
    let secret = match &config.secret {
        Some(s) => s.as_bytes().to_vec(),
        None => seed::stored_secret(&engine).await?,
    };
    if config.test_silent_bus {
        tracing::warn!(
            "TEST HOOK: this node announces no commit (fan-out relies on the dispatchers' poll)"
        );
        engine.bus().set_silent(true);
    }
    let channels = engine.channels();
    let simulator = channels.config.simulator.as_ref().map(|origin| {
        app::simulator::provider::Simulator::new(origin.clone(), channels.config.public_url.clone())
    });
    Ok(AppState {
        leptos_options: config.leptos_options.clone(),
        engine,
        secret: Arc::new(secret),
        shutdown: CancellationToken::new(),
        public_url: Arc::from(channels.config.public_url.as_str()),
        simulator,
        trusted_ip_header: config.trusted_ip_header.clone(),
        inbox_page: config.test_inbox_page.unwrap_or(app::state::INBOX_PAGE),
    })
}

/// The whole HTTP surface. Starts nothing.
pub fn router(state: AppState, config: &Config) -> Router {
    let routes = generate_route_list(app::App);
    let assets = assets::Assets::scan(&state.leptos_options);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(
        state.engine.clone(),
        config.session_idle,
        config.session_lifetime,
    ))
    // Each request moves the idle end (the store skips writes that change next to nothing).
    .with_always_save(true)
    .with_name("switchboard_session")
    .with_secure(secure_cookies(config, &state.public_url))
    .with_same_site(SameSite::Lax)
    .with_http_only(true)
    .with_expiry(Expiry::OnInactivity(
        time::Duration::try_from(config.session_idle).unwrap_or(time::Duration::days(1)),
    ));

    let mut plain = Router::new().route("/healthz", get(healthz));
    // The stand-in customer site exists for the demo only.
    if config.mode == Mode::Demo {
        plain = plain.route("/demo", get(demo_page));
    }
    let routes = plain
        .route("/ws/visitor", get(socket::visitor_socket))
        .route("/ws/agent", get(socket::agent_socket))
        .route(app::files::MEDIA_PATH, get(app::files::media_handler))
        .route(
            switchboard_wire::files::AGENT_UPLOAD_PATH,
            axum::routing::post(app::files::agent_upload),
        )
        .route(
            switchboard_wire::files::VISITOR_UPLOAD_PATH,
            axum::routing::post(app::files::visitor_upload),
        )
        .route(
            &format!("{}/{{id}}", switchboard_wire::files::VISITOR_MEDIA_PATH),
            get(app::files::visitor_media),
        )
        .route(app::files::SIGNED_PATH, get(app::files::signed_file))
        // The widget is a page of its own, rendered by its own bundle (not the app's router).
        .route(
            "/widget",
            get(leptos_axum::render_app_to_stream_with_context(
                page_context(state.clone(), assets.bundles.clone()),
                {
                    let options = state.leptos_options.clone();
                    move || app::widget::shell(options.clone())
                },
            )),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            page_context(state.clone(), assets.bundles.clone()),
            {
                let options = state.leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .fallback({
            let assets = assets.clone();
            move |state: State<AppState>, req: axum::extract::Request| {
                assets::static_or_page(assets.clone(), state, req)
            }
        })
        .layer(axum::middleware::map_response(app::error::server_fn_status))
        .layer(axum::middleware::from_fn(observe::track))
        .with_state(state.clone());
    // The widget's endpoints are anonymous (a visitor token, never a session), so they skip
    // the session layer: no cookie parsing, no session handle, per message a visitor sends.
    // A visitor's message over HTTP (the widget's fallback while its socket is down) is
    // answered by a plain handler with the server function's wire.
    let send = Router::new()
        .route(
            app::widget::SEND_PATH,
            axum::routing::post(app::widget::send_handler),
        )
        .layer(axum::middleware::from_fn(observe::track))
        .with_state(state.clone());
    let hooks = channels::routes(state.clone()).layer(axum::middleware::from_fn(observe::track));
    let simulator = Router::new()
        .route(
            "/simulator/api/{*call}",
            axum::routing::any(app::simulator::provider::api_handler),
        )
        .layer(axum::middleware::from_fn(observe::track))
        .with_state(state.clone());
    // `/metrics` on this listener: only with a token, and only when no private address is
    // set for it.
    let metrics = observe::Exporter::new(&config.metrics)
        .filter(|_| config.metrics.addr.is_none())
        .map(|exporter| metrics_router(exporter, state.clone()));
    let widget = routes.clone();
    // Refused before the session is even read: another site's page acting with the cookie.
    let agents = routes
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            origin::Origins::new(&state.public_url),
            origin::same_origin,
        ));
    Router::new().fallback_service(tower::service_fn(move |req: axum::extract::Request| {
        let path = req.uri().path();
        let service = if path == app::widget::SEND_PATH && req.method() == axum::http::Method::POST
        {
            send.clone()
        } else if let (observe::PATH, Some(metrics)) = (path, &metrics) {
            metrics.clone()
        } else if path.starts_with("/webhooks/") {
            hooks.clone()
        } else if path.starts_with("/simulator/api/") {
            simulator.clone()
        } else if path.starts_with("/api/visitor/") || path == "/ws/visitor" {
            widget.clone()
        } else {
            agents.clone()
        };
        service.oneshot(req)
    }))
}

/// What every page's render has in context: the server's state, the names of the bundles it
/// loads, and its security headers.
fn page_context(
    state: AppState,
    bundles: app::Bundles,
) -> impl Fn() + Clone + Send + Sync + 'static {
    move || {
        provide_context(state.clone());
        provide_context(bundles.clone());
        content_security_policy();
    }
}

/// `/metrics` alone, with its token check.
fn metrics_router(exporter: observe::Exporter, state: AppState) -> Router {
    Router::new()
        .route(observe::PATH, get(observe::scrape))
        .with_state((exporter, state))
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.engine.db().read.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// A page's Content-Security-Policy, with the nonce this render gave its inline scripts:
/// scripts only from here (and WebAssembly), no plugins, no foreign forms or base URLs, and
/// no framing except for the widget, which customers' sites frame by design.
pub fn content_policy(nonce: &str, framable: bool) -> String {
    let ancestors = if framable { "*" } else { "'none'" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors {ancestors}"
    )
}

/// Inside a page render: sets the Content-Security-Policy header for it.
fn content_security_policy() {
    use axum::http::HeaderValue;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let framable = use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| parts.uri.path() == "/widget");
    if let Ok(value) = HeaderValue::from_str(&content_policy(&nonce, framable)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
    response.insert_header(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response.insert_header(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    // Pages carry a nonce and, for agents, their inbox: never kept.
    response.insert_header(
        header::CACHE_CONTROL,
        HeaderValue::from_static(assets::NO_STORE),
    );
}

/// The session cookie is `Secure` whenever the public URL (as configured, or as in effect)
/// is https, or when forced.
pub fn secure_cookies(config: &Config, public_url: &str) -> bool {
    let https = |url: &str| {
        url.get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    };
    config.secure_cookies || https(&config.channels.public_url) || https(public_url)
}

/// A stand-in customer website that embeds the widget exactly as any site would.
async fn demo_page() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(include_str!("demo.html")),
    )
}

/// A running server: its workers, its accept loop and every connection it serves.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    workers: Workers,
    /// Stops accepting.
    accepting: CancellationToken,
    /// Asks open HTTP connections to finish their request and close.
    draining: CancellationToken,
    accept_loop: tokio::task::JoinHandle<JoinSet<()>>,
    /// Where `/metrics` answers when it has an address of its own, and its accept loop.
    pub metrics_addr: Option<SocketAddr>,
    metrics_loop: Option<tokio::task::JoinHandle<JoinSet<()>>>,
}

/// Starts the engine's workers and serves on `listener` until stopped.
pub async fn start(config: &Config, listener: TcpListener) -> Result<Running, StartError> {
    let addr = listener.local_addr()?;
    // Demo mode with no channel in the environment: the provider simulator connects every
    // channel an admin has not saved settings for.
    let mut config = config.clone();
    if config.mode == Mode::Demo && !config.channels.any() {
        let host = if addr.ip().is_unspecified() {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
        } else {
            addr
        };
        config.simulated_channels = Some(channels::simulated(&format!("http://{host}")));
    }
    let config = &config;
    // `/metrics` on an address of its own: bound before anything starts, so a bad address
    // fails the start with nothing left running.
    let metrics_listener = match config.metrics.addr {
        Some(addr) => Some(TcpListener::bind(addr).await?),
        None => None,
    };
    let state = prepare(config).await?;
    let workers = state.engine.start();
    let app = router(state.clone(), config);
    let accepting = CancellationToken::new();
    let draining = CancellationToken::new();
    let accept_loop = tokio::spawn(accept(listener, app, accepting.clone(), draining.clone()));
    let (mut metrics_addr, mut metrics_loop) = (None, None);
    if let (Some(listener), Some(exporter)) =
        (metrics_listener, observe::Exporter::new(&config.metrics))
    {
        let at = listener.local_addr()?;
        tracing::info!("metrics on http://{at}{}", observe::PATH);
        metrics_addr = Some(at);
        metrics_loop = Some(tokio::spawn(accept(
            listener,
            metrics_router(exporter, state.clone()),
            accepting.clone(),
            draining.clone(),
        )));
    }
    match config.mode {
        Mode::Demo => tracing::info!(
            "Switchboard listening on http://{addr} (demo mode: demo accounts, /demo and the channel simulator)"
        ),
        Mode::Production => tracing::info!("Switchboard listening on http://{addr}"),
    }
    Ok(Running {
        addr,
        state,
        workers,
        accepting,
        draining,
        accept_loop,
        metrics_addr,
        metrics_loop,
    })
}

async fn accept(
    listener: TcpListener,
    app: Router,
    accepting: CancellationToken,
    draining: CancellationToken,
) -> JoinSet<()> {
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = accepting.cancelled() => return connections,
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Small frames must not wait for delayed ACKs.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let draining = draining.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    // Who is calling, for the per-address limits.
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    app.clone().oneshot(req)
                });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = draining.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
                }
            }
        });
        // Forget the connections that are done.
        while connections.try_join_next().is_some() {}
    }
}

/// Waits (boundedly) until this node's sockets have closed.
async fn sockets_closed(engine: &Engine, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    while engine.hub().socket_count() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Running {
    /// A graceful stop (SIGTERM): sockets get a close frame (clients reconnect elsewhere),
    /// in-flight requests finish, then the workers stop.
    pub async fn shutdown(self) {
        self.accepting.cancel();
        self.state.shutdown.cancel();
        sockets_closed(&self.state.engine, Duration::from_secs(5)).await;
        self.draining.cancel();
        for accept_loop in std::iter::once(self.accept_loop).chain(self.metrics_loop) {
            if let Ok(mut connections) = accept_loop.await {
                let all = async { while connections.join_next().await.is_some() {} };
                if tokio::time::timeout(Duration::from_secs(12), all)
                    .await
                    .is_err()
                {
                    connections.shutdown().await;
                }
            }
        }
        self.workers.stop().await;
        self.state.engine.release();
        tracing::info!("Switchboard stopped");
    }

    /// Stops everything at once, like a crash as far as clients can tell: connections drop
    /// mid-request. Nothing of this server runs afterwards.
    pub async fn kill(self) {
        self.accepting.cancel();
        for accept_loop in std::iter::once(self.accept_loop).chain(self.metrics_loop) {
            accept_loop.abort();
            if let Ok(mut connections) = accept_loop.await {
                connections.shutdown().await;
            }
        }
        self.state.shutdown.cancel();
        self.workers.stop().await;
        sockets_closed(&self.state.engine, Duration::from_secs(5)).await;
        self.state.engine.release();
    }
}

/// Binds and serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), StartError> {
    let listener = TcpListener::bind(config.addr).await?;
    let running = start(&config, listener).await?;
    shutdown_signal().await;
    tracing::info!("shutting down: closing sockets, finishing requests");
    running.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
