//! Which site a request is for, from its `Host` header (TSD §5.1):
//! `{slug}.{BASE_DOMAIN}` or a tenant's own domain → that tenant; `admin.{BASE_DOMAIN}` or a
//! path under `/backoffice` → the BackOffice; the bare domain → the landing page. An unknown or
//! inactive tenant is answered 404 here, before any handler runs.
//!
//! Resolved tenants are cached for a few seconds per instance; changes made through this
//! instance invalidate at once.

use crate::client::{ClientIp, client_ip};
use crate::error::{ApiError, PageError};
use crate::limits::Decision;
use crate::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use qms_domain::Plan;
use qms_store::{StoreResult, Tenant};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The site a request addresses.
#[derive(Debug, Clone)]
pub enum Site {
    /// The bare base domain: landing page, health, metrics.
    Platform,
    /// The operator's portal.
    BackOffice,
    /// An active tenant.
    Tenant(Tenant),
}

/// What the host name alone says, before looking anything up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostKind {
    Platform,
    BackOffice,
    Subdomain(String),
    CustomDomain(String),
    Invalid,
}

/// Classifies a `Host` header value against the base domain (case-insensitive, port ignored).
pub fn classify_host(host: &str, base_domain: &str) -> HostKind {
    let host = host.trim().to_ascii_lowercase();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        Some(_) if host.starts_with('[') => return HostKind::Invalid,
        _ => host.as_str(),
    };
    let name = name.trim_end_matches('.');
    let valid = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        return HostKind::Invalid;
    }
    if name.parse::<std::net::IpAddr>().is_ok() {
        return HostKind::Platform;
    }
    let base = base_domain.trim_end_matches('.').to_ascii_lowercase();
    if name == base {
        return HostKind::Platform;
    }
    if let Some(label) = name.strip_suffix(&format!(".{base}")) {
        if label == "admin" {
            return HostKind::BackOffice;
        }
        if label == "www" {
            return HostKind::Platform;
        }
        if label.contains('.') || label.is_empty() {
            return HostKind::Invalid;
        }
        return HostKind::Subdomain(label.to_string());
    }
    HostKind::CustomDomain(name.to_string())
}

const CACHE_TTL: Duration = Duration::from_secs(5);
const CACHE_MAX: usize = 10_000;

/// A host's tenant and plan (or `None`: no active tenant there), and when it was looked up.
type CacheEntry = (Option<(Tenant, Plan)>, Instant);

/// A short-lived cache of host → tenant lookups (negative answers included).
#[derive(Default)]
pub struct TenantCache {
    entries: RwLock<HashMap<HostKind, CacheEntry>>,
}

impl TenantCache {
    fn get(&self, key: &HostKind) -> Option<Option<(Tenant, Plan)>> {
        let map = self.entries.read().ok()?;
        let (tenant, at) = map.get(key)?;
        (at.elapsed() < CACHE_TTL).then(|| tenant.clone())
    }

    fn put(&self, key: HostKind, tenant: Option<(Tenant, Plan)>) {
        if let Ok(mut map) = self.entries.write() {
            if map.len() >= CACHE_MAX {
                map.clear();
            }
            map.insert(key, (tenant, Instant::now()));
        }
    }

    /// Forgets every cached answer (after a tenant is created, changed or switched off).
    pub fn invalidate(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

impl AppState {
    /// Resolves the tenant of a host and its plan, from the cache or the store. Inactive
    /// tenants are `None`.
    pub async fn tenant_for(&self, kind: &HostKind) -> StoreResult<Option<(Tenant, Plan)>> {
        if let Some(hit) = self.tenants.get(kind) {
            return Ok(hit);
        }
        let found = match kind {
            HostKind::Subdomain(slug) => self.store.tenant_by_slug(slug).await?,
            HostKind::CustomDomain(domain) => self.store.tenant_by_domain(domain).await?,
            _ => None,
        };
        let active = match found.filter(|t| t.is_active) {
            Some(t) => {
                let plan = self.store.subscription(t.id).await?.plan;
                Some((t, plan))
            }
            None => None,
        };
        self.tenants.put(kind.clone(), active.clone());
        Ok(active)
    }
}

/// Paths that answer on every host and never need a tenant.
fn is_host_independent(path: &str) -> bool {
    path == "/api/health" || path == "/metrics" || path.starts_with("/static/")
}

/// Middleware: resolves the [`Site`] and stores it in the request's extensions, or answers 404.
pub async fn resolve_site(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = client_ip(peer, req.headers(), &state.settings.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    if is_host_independent(&path) {
        return next.run(req).await;
    }
    let is_api = path.starts_with("/api/");
    let host = req
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("")
        .to_string();
    let kind = classify_host(&host, &state.settings.base_domain);
    let mut plan = None;
    let site = if path == "/backoffice" || path.starts_with("/backoffice/") {
        Site::BackOffice
    } else {
        match &kind {
            HostKind::Platform => Site::Platform,
            HostKind::BackOffice => Site::BackOffice,
            HostKind::Invalid => return not_found(is_api),
            HostKind::Subdomain(_) | HostKind::CustomDomain(_) => {
                match state.tenant_for(&kind).await {
                    Ok(Some((tenant, p))) => {
                        plan = Some(p);
                        Site::Tenant(tenant)
                    }
                    Ok(None) => return not_found(is_api),
                    Err(e) => {
                        return if is_api {
                            ApiError::from(e).into_response()
                        } else {
                            PageError::from(e).into_response()
                        };
                    }
                }
            }
        }
    };
    let mut decision = None;
    if let Site::Tenant(t) = &site {
        tracing::Span::current().record("tenant", tracing::field::display(&t.slug));
        if let (true, Some(plan), Some(ip)) = (is_api, plan, ip) {
            let d = state.limits.plan(plan, t.id, ip);
            if !d.allowed {
                let mut res = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "too many requests; slow down",
                )
                .into_response();
                rate_limit_headers(&mut res, &d);
                return res;
            }
            decision = Some(d);
        }
    }
    req.extensions_mut().insert(site);
    let mut res = next.run(req).await;
    if let Some(d) = decision {
        rate_limit_headers(&mut res, &d);
    }
    res
}

/// Adds the `RateLimit-*` headers (and `Retry-After` on a refusal).
pub fn rate_limit_headers(res: &mut Response, d: &Decision) {
    let h = res.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(d.limit));
    h.insert("ratelimit-remaining", HeaderValue::from(d.remaining));
    h.insert("ratelimit-reset", HeaderValue::from(d.reset_secs));
    if !d.allowed {
        h.insert("retry-after", HeaderValue::from(d.reset_secs));
    }
}

fn not_found(is_api: bool) -> Response {
    if is_api {
        ApiError::not_found("tenant").into_response()
    } else {
        PageError::tenant_not_found().into_response()
    }
}

/// Extractor for handlers that serve one tenant: answers 404 on any other site.
#[derive(Debug, Clone)]
pub struct CurrentTenant(pub Tenant);

impl<S: Send + Sync> FromRequestParts<S> for CurrentTenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Site>() {
            Some(Site::Tenant(t)) => Ok(CurrentTenant(t.clone())),
            _ => Err(ApiError::not_found("tenant")),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Site {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Site>()
            .cloned()
            .ok_or_else(|| ApiError::not_found("site"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_classified() {
        let b = "localhost";
        assert_eq!(classify_host("localhost:3000", b), HostKind::Platform);
        assert_eq!(classify_host("LOCALHOST", b), HostKind::Platform);
        assert_eq!(
            classify_host("admin.localhost:3000", b),
            HostKind::BackOffice
        );
        assert_eq!(
            classify_host("demo.localhost:3000", b),
            HostKind::Subdomain("demo".into())
        );
        assert_eq!(
            classify_host("Demo.LocalHost.", b),
            HostKind::Subdomain("demo".into())
        );
        assert_eq!(classify_host("a.b.localhost", b), HostKind::Invalid);
        assert_eq!(
            classify_host("queue.myshop.com", b),
            HostKind::CustomDomain("queue.myshop.com".into())
        );
        assert_eq!(classify_host("", b), HostKind::Invalid);
        assert_eq!(classify_host("bad host", b), HostKind::Invalid);
        assert_eq!(classify_host("[::1]:3000", b), HostKind::Invalid);
        assert_eq!(classify_host("127.0.0.1:3000", b), HostKind::Platform);
        assert_eq!(classify_host("évil.localhost", b), HostKind::Invalid);
        assert_eq!(classify_host(&"a".repeat(300), b), HostKind::Invalid);
        assert_eq!(
            classify_host("x.qms.example:443", "qms.example"),
            HostKind::Subdomain("x".into())
        );
    }
}
