//! Configuration from the environment. Every variable has a default that runs the demo.

use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Seeds demo accounts into an empty database.
    Demo,
    /// No demo data; create the first admin with `server create-admin`.
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub mode: Mode,
    /// Overrides the visitor-token key stored in the database.
    pub secret: Option<String>,
    pub secure_cookies: bool,
    pub leptos_options: LeptosOptions,
    /// How long a node's hold on its agents' presence lasts without renewal.
    pub presence_ttl: std::time::Duration,
    /// Test only: this node's commits wake nobody (fan-out must come from the poll).
    pub test_silent_bus: bool,
    /// Test only: offers stay uncommitted this long, so assignments on several nodes overlap.
    pub test_hold_assignment: std::time::Duration,
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
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/switchboard.db";
pub const DEFAULT_FILES: &str = "data/files";

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
        let mode = match std::env::var("SWITCHBOARD_MODE").as_deref() {
            Ok("production") => Mode::Production,
            Ok("demo") | Err(_) => Mode::Demo,
            Ok(other) => {
                return Err(format!(
                    "SWITCHBOARD_MODE must be demo or production, not {other:?}"
                ))
            }
        };
        let secret = std::env::var("SWITCHBOARD_SECRET")
            .ok()
            .filter(|s| !s.is_empty());
        if secret.as_ref().is_some_and(|s| s.len() < 32) {
            return Err("SWITCHBOARD_SECRET must be at least 32 characters".into());
        }
        let presence_ttl = match std::env::var("SWITCHBOARD_PRESENCE_TTL_SECS") {
            Ok(v) => match v.parse::<u64>() {
                Ok(n) if (2..=600).contains(&n) => std::time::Duration::from_secs(n),
                _ => return Err(format!("SWITCHBOARD_PRESENCE_TTL_SECS must be a number of seconds from 2 to 600, not {v:?}")),
            },
            Err(_) => std::time::Duration::from_secs(15),
        };
        let trusted_ip_header = match std::env::var("SWITCHBOARD_TRUSTED_IP_HEADER") {
            Ok(h) if !h.trim().is_empty() => Some(
                axum::http::HeaderName::from_bytes(h.trim().as_bytes())
                    .map_err(|e| format!("SWITCHBOARD_TRUSTED_IP_HEADER={h:?}: {e}"))?,
            ),
            _ => None,
        };
        Ok(Self {
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
            database_url: std::env::var("DATABASE_URL")
                .unwrap_or_else(|_| DEFAULT_DATABASE_URL.into()),
            addr,
            mode,
            secret,
            secure_cookies: std::env::var("SWITCHBOARD_SECURE_COOKIES")
                .is_ok_and(|v| v == "1" || v == "true"),
            leptos_options,
        })
    }
}
