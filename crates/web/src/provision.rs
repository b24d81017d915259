//! Subdomain provisioning (TSD §5.2): making `{slug}.{BASE_DOMAIN}` (and a tenant's own domain)
//! reach this service with a certificate, behind the [`DomainProvisioner`] trait.
//!
//! Three ways, chosen by `DOMAIN_PROVISIONER`:
//! - `none` (default): a wildcard DNS record and certificate already cover every subdomain.
//! - `render`: each host is added to the service through Render's custom-domain API
//!   (`POST {RENDER_API_URL}/services/{RENDER_SERVICE_ID}/custom-domains`, bearer
//!   `RENDER_API_KEY`); the base URL is configurable so tests run it against a local server.
//! - `ask`: a Caddy front proxy issues certificates on demand and asks
//!   `GET /internal/domain-allowed?domain=…` first ([`domain_allowed`], answered on every
//!   configuration): 200 only for the platform's own hosts and active tenants' hosts.
//!
//! Provisioning runs after the tenant's transaction has committed, so it can never leave half
//! a tenant: a failure is recorded on the tenant (`provisioning_status = failed`, the error,
//! the attempt count) and retried with back-off by the BackOffice job runner.

use crate::state::AppState;
use crate::tenancy::{HostKind, classify_host};
use async_trait::async_trait;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use qms_store::{Provisioning, StoreResult, Tenant, provisioning};
use serde::Deserialize;
use std::net::SocketAddr;
use std::time::Duration;
use time::OffsetDateTime;

/// How subdomains are provisioned (from `DOMAIN_PROVISIONER` and the `RENDER_*` settings).
#[derive(Clone, Default)]
pub enum ProvisionerConfig {
    /// Wildcard DNS already points at us.
    #[default]
    None,
    /// Caddy's on-demand TLS asks `/internal/domain-allowed`.
    Ask,
    /// Render's custom-domain API.
    Render {
        api_url: String,
        api_key: String,
        service_id: String,
    },
}

impl std::fmt::Debug for ProvisionerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProvisionerConfig::None => f.write_str("none"),
            ProvisionerConfig::Ask => f.write_str("ask"),
            ProvisionerConfig::Render {
                api_url,
                service_id,
                ..
            } => f
                .debug_struct("render")
                .field("api_url", api_url)
                .field("service_id", service_id)
                .field("api_key", &"<redacted>")
                .finish(),
        }
    }
}

/// Render's public API, the default `RENDER_API_URL`.
pub const RENDER_API_URL: &str = "https://api.render.com/v1";

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("the provider refused: HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("bad provisioner settings: {0}")]
    Config(String),
}

/// Makes host names reach this service.
#[async_trait]
pub trait DomainProvisioner: Send + Sync {
    /// `none`, `ask` or `render`.
    fn name(&self) -> &'static str;
    /// False when there is nothing to do per tenant (new tenants are provisioned at once).
    fn acts(&self) -> bool;
    /// Adds a host; succeeds when it is already there.
    async fn provision(&self, host: &str) -> Result<(), ProvisionError>;
    /// Removes a host; succeeds when it is already gone.
    async fn remove(&self, host: &str) -> Result<(), ProvisionError>;
}

/// Nothing to do: wildcard DNS (`none`) or certificates on demand (`ask`).
pub struct Passive(&'static str);

#[async_trait]
impl DomainProvisioner for Passive {
    fn name(&self) -> &'static str {
        self.0
    }
    fn acts(&self) -> bool {
        false
    }
    async fn provision(&self, _: &str) -> Result<(), ProvisionError> {
        Ok(())
    }
    async fn remove(&self, _: &str) -> Result<(), ProvisionError> {
        Ok(())
    }
}

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;
type HttpClient = hyper_util::client::legacy::Client<Https, Full<Bytes>>;

/// Render's custom-domain API, over HTTPS (rustls with ring and the webpki roots; plain HTTP
/// only for a local test server).
pub struct RenderProvisioner {
    client: HttpClient,
    api_url: String,
    api_key: String,
    service_id: String,
}

/// How long one call to the provider may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);

impl RenderProvisioner {
    pub fn new(api_url: &str, api_key: &str, service_id: &str) -> Result<Self, ProvisionError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(|e| ProvisionError::Config(e.to_string()))?
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(https);
        Ok(RenderProvisioner {
            client,
            api_url: api_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            service_id: service_id.to_string(),
        })
    }

    fn domains_url(&self) -> String {
        format!(
            "{}/services/{}/custom-domains",
            self.api_url, self.service_id
        )
    }

    /// One call: the status and the first bytes of the answer (for the error shown to
    /// operators; the request, with its key, is never shown).
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<serde_json::Value>,
    ) -> Result<(StatusCode, String), ProvisionError> {
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(url)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.api_key))
            .header(header::ACCEPT, "application/json")
            .header(
                header::USER_AGENT,
                concat!("qms/", env!("CARGO_PKG_VERSION")),
            );
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(v.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let req = req
            .body(body)
            .map_err(|e| ProvisionError::Config(e.to_string()))?;
        let res = tokio::time::timeout(CALL_TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| ProvisionError::Unreachable("no answer within 15 s".into()))?
            .map_err(|e| ProvisionError::Unreachable(e.to_string()))?;
        let status = res.status();
        let bytes = tokio::time::timeout(CALL_TIMEOUT, res.into_body().collect())
            .await
            .map_err(|_| ProvisionError::Unreachable("the answer did not finish".into()))?
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let text: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
        Ok((status, text))
    }
}

#[async_trait]
impl DomainProvisioner for RenderProvisioner {
    fn name(&self) -> &'static str {
        "render"
    }
    fn acts(&self) -> bool {
        true
    }

    async fn provision(&self, host: &str) -> Result<(), ProvisionError> {
        let body = serde_json::json!({"name": host, "certificateType": "managed"});
        let (status, text) = self
            .call(Method::POST, &self.domains_url(), Some(body))
            .await?;
        // 409: the service has this domain already — what we wanted.
        if status.is_success() || status == StatusCode::CONFLICT {
            return Ok(());
        }
        Err(ProvisionError::Refused {
            status: status.as_u16(),
            body: text,
        })
    }

    async fn remove(&self, host: &str) -> Result<(), ProvisionError> {
        let url = format!("{}/{host}", self.domains_url());
        let (status, text) = self.call(Method::DELETE, &url, None).await?;
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(ProvisionError::Refused {
            status: status.as_u16(),
            body: text,
        })
    }
}

/// The provisioner the configuration asks for.
pub fn from_config(
    config: &ProvisionerConfig,
) -> Result<std::sync::Arc<dyn DomainProvisioner>, ProvisionError> {
    Ok(match config {
        ProvisionerConfig::None => std::sync::Arc::new(Passive("none")),
        ProvisionerConfig::Ask => std::sync::Arc::new(Passive("ask")),
        ProvisionerConfig::Render {
            api_url,
            api_key,
            service_id,
        } => std::sync::Arc::new(RenderProvisioner::new(api_url, api_key, service_id)?),
    })
}

/// The host names a tenant is reached at.
pub fn hosts_of(base_domain: &str, tenant: &Tenant) -> Vec<String> {
    let mut hosts = vec![format!("{}.{base_domain}", tenant.slug)];
    hosts.extend(tenant.domain.clone());
    hosts
}

/// How long to wait before the next attempt after `attempts` failures: 1, 2, 4 … minutes,
/// at most six hours.
pub fn backoff(attempts: i32) -> time::Duration {
    let minutes = 1i64 << attempts.clamp(0, 9);
    time::Duration::minutes(minutes.min(360))
}

/// Provisions every host of a tenant and records the outcome on the tenant.
pub async fn provision_tenant(state: &AppState, tenant: &Tenant) -> StoreResult<Provisioning> {
    let provisioner = &state.provisioner;
    let mut failure = None;
    for host in hosts_of(&state.settings.base_domain, tenant) {
        let attempt = tokio::time::timeout(Duration::from_secs(20), provisioner.provision(&host));
        match attempt.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                failure = Some(format!("{host}: {e}"));
                break;
            }
            Err(_) => {
                failure = Some(format!("{host}: no answer within 20 s"));
                break;
            }
        }
    }
    match failure {
        None => {
            state
                .store
                .set_provisioning(tenant.id, provisioning::PROVISIONED, None, None)
                .await
        }
        Some(error) => {
            tracing::warn!(tenant = %tenant.slug, provisioner = provisioner.name(), error = %error, "provisioning failed; will retry");
            let attempts = state
                .store
                .tenant_overview(tenant.id)
                .await?
                .map(|o| o.provisioning.attempts)
                .unwrap_or(0);
            let next = OffsetDateTime::now_utc() + backoff(attempts);
            state
                .store
                .set_provisioning(tenant.id, provisioning::FAILED, Some(&error), Some(next))
                .await
        }
    }
}

/// Retries every tenant whose provisioning is due; answers how many were tried.
pub async fn retry_due(state: &AppState) -> StoreResult<usize> {
    let due = state
        .store
        .tenants_to_provision(OffsetDateTime::now_utc())
        .await?;
    for tenant in &due {
        provision_tenant(state, tenant).await?;
    }
    Ok(due.len())
}

#[derive(Deserialize)]
pub struct DomainQuery {
    domain: Option<String>,
}

/// `GET /internal/domain-allowed?domain=…`: Caddy's on-demand TLS "ask" endpoint. 200 for the
/// platform's own hosts and active tenants' subdomains and custom domains, 404 otherwise.
/// Answered only to the loopback interface and trusted proxies (the proxy is the asker).
pub async fn domain_allowed(
    State(state): State<AppState>,
    Query(q): Query<DomainQuery>,
    req: Request,
) -> Response {
    // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`.
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical());
    let trusted =
        peer.is_some_and(|ip| ip.is_loopback() || state.settings.trusted_proxies.contains(&ip));
    if !trusted {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(domain) = q.domain.filter(|d| !d.is_empty() && d.len() <= 253) else {
        return (StatusCode::BAD_REQUEST, "domain is required").into_response();
    };
    let kind = classify_host(&domain, &state.settings.base_domain);
    let allowed = match &kind {
        HostKind::Platform => {
            // An IP address is "platform" for routing, but never gets a certificate.
            domain.parse::<std::net::IpAddr>().is_err()
        }
        HostKind::BackOffice => true,
        HostKind::Invalid => false,
        HostKind::Subdomain(_) | HostKind::CustomDomain(_) => match state.tenant_for(&kind).await {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "domain-allowed: lookup failed");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
    };
    if allowed {
        (StatusCode::OK, "allowed").into_response()
    } else {
        (StatusCode::NOT_FOUND, "unknown domain").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_six_hours() {
        assert_eq!(backoff(0), time::Duration::minutes(1));
        assert_eq!(backoff(1), time::Duration::minutes(2));
        assert_eq!(backoff(5), time::Duration::minutes(32));
        assert_eq!(backoff(30), time::Duration::minutes(360));
        assert_eq!(backoff(-3), time::Duration::minutes(1));
    }

    #[test]
    fn the_render_key_is_never_printed() {
        let c = ProvisionerConfig::Render {
            api_url: RENDER_API_URL.into(),
            api_key: "rnd_secret".into(),
            service_id: "srv-1".into(),
        };
        let shown = format!("{c:?}");
        assert!(shown.contains("srv-1") && !shown.contains("rnd_secret"));
    }
}
