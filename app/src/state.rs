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
    /// The header a trusted reverse proxy puts the client's address in
    /// (`SWITCHBOARD_TRUSTED_IP_HEADER`); none: the connection's address is the client's.
    pub trusted_ip_header: Option<axum::http::HeaderName>,
    /// How many rows a page of an inbox folder has (`INBOX_PAGE`; tests set fewer).
    pub inbox_page: u64,
}

/// Rows in a page of an inbox folder; the next page loads on request.
pub const INBOX_PAGE: u64 = 300;

impl AppState {
    /// The client's address: from the trusted proxy's header (its last entry, the one that
    /// proxy added) when one is configured, else the connection's.
    pub fn client_ip(
        &self,
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::SocketAddr>,
    ) -> Option<std::net::IpAddr> {
        client_ip(self.trusted_ip_header.as_ref(), headers, peer)
    }

    /// Whether this client is limited at all: not when it is on this very machine (tests,
    /// benchmarks, health checks).
    pub fn is_limited(
        &self,
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::SocketAddr>,
    ) -> bool {
        self.limited_ip(headers, peer).is_some()
    }

    /// The client's address when limits apply to it (not this machine's).
    fn limited_ip(
        &self,
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::SocketAddr>,
    ) -> Option<std::net::IpAddr> {
        self.client_ip(headers, peer).filter(|ip| !ip.is_loopback())
    }

    /// Checks a per-address limit for this request. Clients on this very machine (tests,
    /// benchmarks, health checks) are not limited; behind a proxy on this machine, configure
    /// the trusted header so each client is seen.
    pub fn limit_by_address(
        &self,
        limit: &switchboard_engine::limits::Limit<std::net::IpAddr>,
        headers: &axum::http::HeaderMap,
        peer: Option<std::net::SocketAddr>,
    ) -> Result<(), crate::error::AppError> {
        match self.limited_ip(headers, peer) {
            Some(ip) => Ok(limit.check(&ip)?),
            None => Ok(()),
        }
    }

    /// The same, inside a server function.
    pub async fn limit_this_request(
        &self,
        limit: &switchboard_engine::limits::Limit<std::net::IpAddr>,
    ) -> Result<(), crate::error::AppError> {
        use axum::extract::ConnectInfo;
        let headers: axum::http::HeaderMap = leptos_axum::extract().await.unwrap_or_default();
        let peer = leptos_axum::extract::<ConnectInfo<std::net::SocketAddr>>()
            .await
            .ok()
            .map(|c| c.0);
        self.limit_by_address(limit, &headers, peer)
    }
}

/// The client's address: the trusted header's last entry (what our proxy added; what the
/// client wrote before it proves nothing) when a header is configured and present, else the
/// connection's address. Without a configured header, no header is believed.
pub fn client_ip(
    trusted: Option<&axum::http::HeaderName>,
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> Option<std::net::IpAddr> {
    if let Some(name) = trusted {
        let forwarded = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|ip| ip.trim().parse().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
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

#[cfg(test)]
mod tests {
    use super::client_ip;
    use axum::http::{HeaderMap, HeaderName};

    #[test]
    fn the_client_address_comes_from_a_configured_proxy_header_only() {
        let peer = Some("127.0.0.1:5000".parse().unwrap());
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        let xff = HeaderName::from_static("x-forwarded-for");
        // Configured: the entry our proxy added (the last), not what the client wrote first.
        assert_eq!(
            client_ip(Some(&xff), &h, peer),
            Some("203.0.113.7".parse().unwrap())
        );
        // Not configured: a made-up header proves nothing.
        assert_eq!(
            client_ip(None, &h, peer),
            Some("127.0.0.1".parse().unwrap())
        );
        // Configured but absent (a direct connection): the connection's address.
        assert_eq!(
            client_ip(Some(&xff), &HeaderMap::new(), peer),
            Some("127.0.0.1".parse().unwrap())
        );
    }
}
