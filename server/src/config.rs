//! Configuration from the environment. Every variable has a default that runs the demo.

use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seeds demo accounts into an empty database, serves `/demo` and the channel simulator.
    Demo,
    /// No demo data, no `/demo`, no simulator; create the first admin with
    /// `server create-admin`.
    Production,
}

impl Mode {
    /// `SWITCHBOARD_MODE` as set (or not) for a server listening on `addr`: unset means demo
    /// only on a loopback address, where nobody else can reach the demo accounts.
    pub fn resolve(setting: Option<&str>, addr: &SocketAddr) -> Result<Self, String> {
        match setting.map(str::trim) {
            None | Some("") => Ok(if addr.ip().is_loopback() {
                Mode::Demo
            } else {
                Mode::Production
            }),
            Some("demo") => Ok(Mode::Demo),
            Some("production") => Ok(Mode::Production),
            Some(other) => Err(format!(
                "SWITCHBOARD_MODE must be demo or production, not {:?}",
                clip(other)
            )),
        }
    }
}

fn clip(s: &str) -> String {
    switchboard_domain::clip(s, 64)
}

/// Reads a number of seconds in `range` from `var`, or `default`.
fn seconds(
    var: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<std::time::Duration, String> {
    match std::env::var(var) {
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(std::time::Duration::from_secs(n)),
            _ => Err(format!(
                "{var} must be a number of seconds from {} to {}, not {:?}",
                range.start(),
                range.end(),
                clip(&v)
            )),
        },
        Err(_) => Ok(std::time::Duration::from_secs(default)),
    }
}

/// How many threads run the server's tasks: `SWITCHBOARD_WORKER_THREADS` as set, else one
/// fewer than the machine's cores (at least one). The core left over serves what runs beside
/// them: the kernel's network stack, which does much of a message's work, SQLite's WAL
/// checkpointer and password hashing. On a small machine this is also what makes a message
/// cheapest: a message passes through several tasks (its request, the commit, the
/// dispatcher, each socket), and with fewer workers they run one after the other instead of
/// waking a parked thread for each (on 2 cores, one worker measured 27% less CPU per message
/// at 1,000 msg/s, and lower latency).
pub fn worker_threads(setting: Option<&str>, cores: usize) -> Result<usize, String> {
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(cores.saturating_sub(1).max(1)),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1024).contains(&n) => Ok(n),
            _ => Err(format!(
                "SWITCHBOARD_WORKER_THREADS must be a number from 1 to 1024, not {:?}",
                clip(v)
            )),
        },
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub mode: Mode,
    /// Overrides the visitor-token key stored in the database.
    pub secret: Option<String>,
    /// Forces the session cookie `Secure`; it is anyway when the public URL is https.
    pub secure_cookies: bool,
    /// A session unused this long ends.
    pub session_idle: std::time::Duration,
    /// A session ends this long after sign-in, used or not.
    pub session_lifetime: std::time::Duration,
    pub leptos_options: LeptosOptions,
    /// How long a node's hold on its agents' presence lasts without renewal.
    pub presence_ttl: std::time::Duration,
    /// Test only: this node's commits wake nobody (fan-out must come from the poll).
    pub test_silent_bus: bool,
    /// Test only: offers stay uncommitted this long, so assignments on several nodes overlap.
    pub test_hold_assignment: std::time::Duration,
    /// Test only: inbox folder pages this long instead of 300 rows, so that a browser test
    /// pages through a folder of a few chats (`SWITCHBOARD_TEST_INBOX_PAGE`).
    pub test_inbox_page: Option<u64>,
    /// Provider channels (SMS, WhatsApp, Messenger, Page comments, Instagram, Telegram) as
    /// the environment sets them; admins may add to them from the admin page.
    pub channels: crate::channels::ChannelConfig,
    /// Demo mode: the provider simulator's channels, under everything else (set at start,
    /// when the address is known).
    pub simulated_channels: Option<crate::channels::ChannelConfig>,
    /// Where uploaded files go: a folder (outside the web root) or `s3://bucket/prefix`.
    pub files: String,
    /// The header a trusted reverse proxy puts the client's address in (such as
    /// `X-Forwarded-For`); unset: the connection's address is the client's.
    pub trusted_ip_header: Option<axum::http::HeaderName>,
    /// `/metrics`: who may read it, and where.
    pub metrics: Metrics,
}

/// `/metrics` (Prometheus): off unless a token or a private address is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    /// `SWITCHBOARD_METRICS_TOKEN`: scrapers send `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// `SWITCHBOARD_METRICS_ADDR`: `/metrics` is served on this address only, never on the
    /// public listener.
    pub addr: Option<SocketAddr>,
}

impl Metrics {
    pub fn enabled(&self) -> bool {
        self.token.is_some() || self.addr.is_some()
    }

    /// From the two settings' values as set (or not).
    pub fn parse(token: Option<&str>, addr: Option<&str>) -> Result<Metrics, String> {
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        if token.is_some_and(|t| t.len() < 16) {
            return Err("SWITCHBOARD_METRICS_TOKEN must be at least 16 characters".into());
        }
        let addr = match addr.map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(
                a.parse()
                    .map_err(|e| format!("SWITCHBOARD_METRICS_ADDR={:?}: {e}", clip(a)))?,
            ),
        };
        Ok(Metrics {
            token: token.map(String::from),
            addr,
        })
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/switchboard.db";
pub const DEFAULT_FILES: &str = "data/files";
const DAY: u64 = 24 * 3600;
/// A working day and a night: an agent who left yesterday signs in again.
pub const DEFAULT_SESSION_IDLE: u64 = 12 * 3600;
/// A week, however busy.
pub const DEFAULT_SESSION_LIFETIME: u64 = 7 * DAY;

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let mut leptos_options = leptos::prelude::get_configuration(None)
            .map_err(|e| format!("leptos configuration: {e}"))?
            .leptos_options;
        if leptos_options.output_name.is_empty() {
            leptos_options.output_name = "switchboard".into();
        }
        let addr = match std::env::var("SWITCHBOARD_ADDR") {
            Ok(a) => a
                .parse()
                .map_err(|e| format!("SWITCHBOARD_ADDR={a:?}: {e}"))?,
            Err(_) => leptos_options.site_addr,
        };
        let mode = Mode::resolve(std::env::var("SWITCHBOARD_MODE").ok().as_deref(), &addr)?;
        let secret = std::env::var("SWITCHBOARD_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        if secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err("SWITCHBOARD_SECRET must be at least 32 characters".into());
        }
        let presence_ttl = seconds("SWITCHBOARD_PRESENCE_TTL_SECS", 2..=600, 15)?;
        let session_idle = seconds(
            "SWITCHBOARD_SESSION_IDLE_SECS",
            60..=30 * DAY,
            DEFAULT_SESSION_IDLE,
        )?;
        let session_lifetime = seconds(
            "SWITCHBOARD_SESSION_LIFETIME_SECS",
            60..=90 * DAY,
            DEFAULT_SESSION_LIFETIME,
        )?;
        if session_lifetime < session_idle {
            return Err("SWITCHBOARD_SESSION_LIFETIME_SECS must not be shorter than SWITCHBOARD_SESSION_IDLE_SECS".into());
        }
        let trusted_ip_header = match std::env::var("SWITCHBOARD_TRUSTED_IP_HEADER") {
            Ok(h) if !h.trim().is_empty() => Some(
                axum::http::HeaderName::from_bytes(h.trim().as_bytes())
                    .map_err(|e| format!("SWITCHBOARD_TRUSTED_IP_HEADER={h:?}: {e}"))?,
            ),
            _ => None,
        };
        let metrics = Metrics::parse(
            std::env::var("SWITCHBOARD_METRICS_TOKEN").ok().as_deref(),
            std::env::var("SWITCHBOARD_METRICS_ADDR").ok().as_deref(),
        )?;
        Ok(Self {
            metrics,
            trusted_ip_header,
            channels: crate::channels::ChannelConfig::from_env()?,
            simulated_channels: None,
            files: std::env::var("SWITCHBOARD_FILES")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_FILES.into()),
            presence_ttl,
            test_silent_bus: std::env::var("SWITCHBOARD_TEST_SILENT_BUS").is_ok_and(|v| v == "1"),
            test_hold_assignment: std::time::Duration::from_millis(
                std::env::var("SWITCHBOARD_TEST_HOLD_ASSIGNMENT_MS")
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
            ),
            test_inbox_page: std::env::var("SWITCHBOARD_TEST_INBOX_PAGE")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0),
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
            addr,
            mode,
            secret,
            secure_cookies: std::env::var("SWITCHBOARD_SECURE_COOKIES")
                .is_ok_and(|v| v == "1" || v == "true"),
            session_idle,
            session_lifetime,
            leptos_options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_only_on_loopback_unless_asked() {
        let local: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let local6: SocketAddr = "[::1]:3000".parse().unwrap();
        let public: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        let lan: SocketAddr = "192.168.1.5:3000".parse().unwrap();
        assert_eq!(Mode::resolve(None, &local), Ok(Mode::Demo));
        assert_eq!(Mode::resolve(None, &local6), Ok(Mode::Demo));
        assert_eq!(Mode::resolve(Some(""), &local), Ok(Mode::Demo));
        assert_eq!(Mode::resolve(None, &public), Ok(Mode::Production));
        assert_eq!(Mode::resolve(None, &lan), Ok(Mode::Production));
        assert_eq!(Mode::resolve(Some("demo"), &public), Ok(Mode::Demo));
        assert_eq!(
            Mode::resolve(Some("production"), &local),
            Ok(Mode::Production)
        );
        assert!(Mode::resolve(Some("Demo!"), &local).is_err());
    }

    #[test]
    fn one_core_is_left_to_the_rest_unless_set() {
        assert_eq!(worker_threads(None, 1), Ok(1));
        assert_eq!(worker_threads(None, 2), Ok(1));
        assert_eq!(worker_threads(None, 8), Ok(7));
        assert_eq!(worker_threads(Some(" "), 8), Ok(7));
        assert_eq!(worker_threads(Some("4"), 2), Ok(4));
        assert!(worker_threads(Some("0"), 2).is_err());
        assert!(worker_threads(Some("many"), 2).is_err());
    }

    #[test]
    fn metrics_are_off_unless_a_token_or_an_address_is_set() {
        assert!(!Metrics::parse(None, None).unwrap().enabled());
        assert!(!Metrics::parse(Some(" "), Some("")).unwrap().enabled());
        let token = Metrics::parse(Some("0123456789abcdef"), None).unwrap();
        assert_eq!(token.token.as_deref(), Some("0123456789abcdef"));
        assert!(token.enabled() && token.addr.is_none());
        let private = Metrics::parse(None, Some("127.0.0.1:9100")).unwrap();
        assert_eq!(private.addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(Metrics::parse(Some("short"), None).is_err());
        assert!(Metrics::parse(None, Some("nowhere")).is_err());
    }
}
