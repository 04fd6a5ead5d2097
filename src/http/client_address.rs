//! Who is calling: the client address (the peer, or behind trusted proxies the right-most
//! untrusted `X-Forwarded-For` entry; see `server::security::client_address`) and the
//! browser's User-Agent.

use crate::server::Config;
use axum::http::{header, request::Parts};

/// The client of a request, as sign-in throttling and the audit trail record it.
pub fn client_of(config: &Config, parts: &Parts) -> crate::server::security::operators::Client {
    let forwarded: Vec<&str> =
        parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let peer =
        parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|info| info.0.ip());
    let address = peer
        .map(|peer| {
            crate::server::security::client_address::client_address(peer, &forwarded, &config.trusted_proxies)
        })
        .map(|ip| ip.to_string());
    crate::server::security::operators::Client {
        address: address.unwrap_or_else(|| "unknown".into()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
    }
}
