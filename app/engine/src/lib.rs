//! Switchboard's engine: everything the server does that is not HTTP.
//!
//! - `conversations`: the write path (one transaction per command: the domain decides;
//!   state, events and follow-up work are written together) and the read models.
//! - `routing`: assignment, timers, transfer and invite, presence across nodes, the queue.
//! - `accounts`, `reports`: agents, sessions, numbers for admins.
//! - `outbox`: the reactor doing follow-up work; `bus`: waking every node after a commit;
//!   `delivery`: this node's sockets and the dispatcher that fans events out to them.
//! - `store`: connections, migrations, entities, strict row conversion.
//!
//! No web framework here: the web crate calls these functions and speaks HTTP.

pub mod accounts;
pub mod bus;
pub mod canned;
pub mod channels;
pub mod conversations;
pub mod delivery;
pub mod error;
pub mod files;
pub mod limits;
pub mod metrics;
pub mod outbox;
pub mod reports;
pub mod routing;
pub mod seed;
pub mod store;
pub mod switch;
pub mod workers;

pub use error::{EngineError, Missing, Result, Rule};

use bus::{Bus, BusKind};
use delivery::Hub;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{Backend, Db};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;

/// The clock of the server (unix milliseconds).
pub fn now() -> i64 {
    store::now_millis()
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub database_url: String,
    /// How long a node's presence lease lives without renewal (a dead node's agents go
    /// Offline after it, unless connected elsewhere).
    pub presence_ttl: Duration,
    /// How long after an agent's last socket closes they still count as connected.
    pub last_tab_grace: Duration,
    /// How often each node looks for agents whose leases all ran out.
    pub sweep_every: Duration,
    /// Whether this process serves as a node (SQLite: only one may). A one-off command such
    /// as `create-admin` does not.
    pub serves: bool,
    /// Test only: keeps each offer's transaction open this long before committing, so that
    /// concurrent assignments on several nodes overlap for sure.
    pub test_hold_assignment: Duration,
    /// Provider channels as the environment (and, in demo mode, the simulator) give them;
    /// what admins save goes on top.
    pub channels: channels::settings::Layers,
    /// Where uploaded files go: a folder, or `s3://bucket/prefix`. None keeps them in memory
    /// (tests of the engine alone).
    pub files: Option<String>,
}

impl EngineConfig {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            presence_ttl: Duration::from_secs(15),
            last_tab_grace: Duration::from_secs(8),
            sweep_every: Duration::from_secs(1),
            serves: true,
            test_hold_assignment: Duration::ZERO,
            channels: Default::default(),
            files: None,
        }
    }
}

struct Inner {
    db: Db,
    bus: Bus,
    hub: Hub,
    node_id: Uuid,
    config: EngineConfig,
    /// SQLite: this process's claim on the database file (one node only).
    sqlite_claim: Mutex<Option<std::fs::File>>,
    /// Which contact a web visitor is (asked on every visitor request; never changes).
    visitors: conversations::contacts::VisitorCache,
    /// How often a client may try things (this node's count).
    limits: limits::Limits,
    /// SQLite: log rows just committed, for the dispatcher (see `delivery::dispatcher`).
    committed: Mutex<Vec<delivery::dispatcher::Logged>>,
    /// SQLite: conversation states as the one writer last left them.
    states: Mutex<conversations::write::States>,
    /// The channels in effect (swapped whole when an admin saves settings).
    channels: std::sync::RwLock<Arc<channels::Live>>,
    /// Calls providers' APIs.
    http: reqwest::Client,
    /// Agents' typing as this node last showed it on providers (see `delivery::typing`).
    typing: Mutex<delivery::typing::Forwarded>,
    /// Where uploaded files are kept.
    files: files::FileStore,
}

/// A handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// The engine's workers, running until `stop`.
pub struct Workers {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Workers {
    /// Stops every worker and waits until they have.
    pub async fn stop(self) {
        self.token.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

impl Engine {
    /// Connects, migrates, and (SQLite) claims the database for this node.
    pub async fn open(config: EngineConfig) -> Result<Engine> {
        let sqlite_claim = if config.serves && config.database_url.starts_with("sqlite:") {
            Some(claim_sqlite(&config.database_url)?)
        } else {
            None
        };
        // What the environment gives must work on its own (saved settings come on top).
        let channels = channels::settings::build(&config.channels, None)?;
        let files = match &config.files {
            Some(location) => files::FileStore::open(location)?,
            None => files::FileStore::in_memory(),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| EngineError::Config(format!("HTTP client: {e}")))?;
        let db = Db::connect(&config.database_url).await?;
        let bus = Bus::new(match db.backend {
            Backend::Sqlite => BusKind::Local,
            Backend::Postgres => BusKind::Postgres,
        });
        let node_id = Uuid::new_v4();
        tracing::info!(node = %node_id, backend = ?db.backend, "engine open");
        let engine = Engine {
            inner: Arc::new(Inner {
                db,
                bus,
                hub: Hub::default(),
                node_id,
                config,
                sqlite_claim: Mutex::new(sqlite_claim),
                visitors: Default::default(),
                limits: Default::default(),
                committed: Default::default(),
                states: Default::default(),
                channels: std::sync::RwLock::new(Arc::new(channels)),
                http,
                typing: Default::default(),
                files,
            }),
        };
        engine.load_channels().await?;
        if engine.inner.config.serves {
            engine.record_accounts().await?;
        }
        Ok(engine)
    }

    /// Starts the workers: dispatcher, reactor, timers, presence, housekeeping and (with
    /// several nodes) the bus listener.
    pub fn start(&self) -> Workers {
        let token = CancellationToken::new();
        let tracker = TaskTracker::new();
        let e = self.clone();
        workers::supervise(&tracker, &token, "dispatcher", move |t| {
            e.clone().run_dispatcher(t)
        });
        let e = self.clone();
        workers::supervise(&tracker, &token, "reactor", move |t| {
            e.clone().run_reactor(t)
        });
        let e = self.clone();
        workers::supervise(&tracker, &token, "polling", move |t| {
            e.clone().run_polling(t)
        });
        let e = self.clone();
        workers::supervise(&tracker, &token, "timers", move |t| e.clone().run_timers(t));
        let e = self.clone();
        workers::supervise(&tracker, &token, "presence", move |t| {
            e.clone().run_presence(t)
        });
        let e = self.clone();
        workers::supervise(&tracker, &token, "housekeeping", move |t| {
            e.clone().run_housekeeping(t)
        });
        if self.db().backend == Backend::Postgres {
            let e = self.clone();
            workers::supervise(&tracker, &token, "channel-settings", move |t| {
                e.clone().run_channel_watch(t)
            });
            let e = self.clone();
            workers::supervise(&tracker, &token, "bus", move |t| {
                let pool = e.db().postgres_pool().cloned();
                let (bus, hub) = (e.bus().clone(), e.hub().clone());
                async move {
                    match pool {
                        Some(pool) => bus.listen(pool, hub, t).await,
                        None => tracing::error!("the PostgreSQL bus without a PostgreSQL pool"),
                    }
                }
            });
        }
        Workers { token, tracker }
    }

    pub fn limits(&self) -> &limits::Limits {
        &self.inner.limits
    }

    pub(crate) fn visitors(&self) -> &conversations::contacts::VisitorCache {
        &self.inner.visitors
    }

    pub(crate) fn committed(&self) -> &Mutex<Vec<delivery::dispatcher::Logged>> {
        &self.inner.committed
    }

    pub(crate) fn states(&self) -> &Mutex<conversations::write::States> {
        &self.inner.states
    }

    /// The channels in effect: connected accounts and their settings.
    pub fn channels(&self) -> Arc<channels::Live> {
        self.inner
            .channels
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn inner_typing(&self) -> &Mutex<delivery::typing::Forwarded> {
        &self.inner.typing
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Releases what this node holds (its SQLite claim), so another may start.
    pub fn release(&self) {
        if let Ok(mut claim) = self.inner.sqlite_claim.lock() {
            claim.take();
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn bus(&self) -> &Bus {
        &self.inner.bus
    }

    pub fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    pub fn node_id(&self) -> Uuid {
        self.inner.node_id
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    async fn run_housekeeping(self, token: CancellationToken) {
        let mut every = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = token.cancelled() => return,
                _ = every.tick() => {}
            }
            if let Err(e) = self.delete_expired_sessions().await {
                tracing::warn!(error = %e, "deleting expired sessions failed");
            }
        }
    }
}

/// SQLite serves one node: a second process on the same file would fight over the single
/// writer and never hear the first one's commits. Refuse it clearly.
fn claim_sqlite(url: &str) -> Result<std::fs::File> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Err(EngineError::Internal(
            "an in-memory SQLite database is not supported".into(),
        ));
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| {
                EngineError::Internal(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
    }
    let lock_path = format!("{path}.node-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| EngineError::Internal(format!("cannot open {lock_path}: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(EngineError::SqliteTaken(path.to_string())),
        Err(std::fs::TryLockError::Error(e)) => Err(EngineError::Internal(format!(
            "cannot lock {lock_path}: {e}"
        ))),
    }
}
