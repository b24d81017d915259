//! Who is calling: the client's IP address (believing `X-Forwarded-For` only from configured
//! trusted proxies, so rotating that header cannot dodge rate limits) and user agent.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The address a request comes from.
///
/// Without trusted proxies this is the TCP peer. When the peer is a trusted proxy, the
/// `X-Forwarded-For` chain is read from the right, skipping trusted proxies; the first address
/// that is not one is the client.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`: compare canonical forms.
    let peer = peer?.to_canonical();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let chain: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    Some(
        chain
            .into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

/// The TCP peer of a request, when the server was started with connect info.
pub fn peer_of(parts: &Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// The request's user agent, cut to 300 characters.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect())
}

/// The client's address as resolved by the site middleware (see [`client_ip`]).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(peer_of(parts).map(|p| p.ip()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 10.0.0.5"),
        );
        // An untrusted peer: its header is ignored.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), &h, &[]),
            Some(ip("203.0.113.9"))
        );
        // A trusted proxy: the rightmost untrusted address.
        let trusted = [ip("10.0.0.1")];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("10.0.0.5"))
        );
        let trusted = [ip("10.0.0.1"), ip("10.0.0.5")];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &h, &trusted),
            Some(ip("1.2.3.4"))
        );
        // Spoofed entries to the left of the real client do not matter.
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 1.2.3.4"),
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &h, &[ip("10.0.0.1")]),
            Some(ip("1.2.3.4"))
        );
        // A dual-stack listener's view of an IPv4 proxy is the same proxy.
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap_or(ip("0.0.0.0"));
        h.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        assert_eq!(
            client_ip(Some(mapped), &h, &[ip("10.0.0.1")]),
            Some(ip("1.2.3.4"))
        );
        // Garbage falls back to the proxy itself.
        h.insert("x-forwarded-for", HeaderValue::from_static("not-an-ip"));
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &h, &[ip("10.0.0.1")]),
            Some(ip("10.0.0.1"))
        );
    }
}
