//! Operations endpoints and middleware: `/api/health`, `/metrics` (Prometheus text), request
//! metrics by route, and the security headers every answer carries.

use crate::state::AppState;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Instant;

/// 200 `{"status":"ok","database":"ok"}`, or 503 when the database does not answer.
pub async fn health(State(state): State<AppState>) -> Response {
    match tokio::time::timeout(std::time::Duration::from_secs(3), state.store.ping()).await {
        Ok(Ok(())) => {
            Json(json!({"status": "ok", "database": "ok", "backend": state.store.backend()}))
                .into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "degraded", "database": "error"})),
            )
                .into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "degraded", "database": "timeout"})),
        )
            .into_response(),
    }
}

/// Prometheus text format. With a `metrics_token` configured, it needs that bearer token.
pub async fn metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    match &state.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}

/// Counts requests and records their latency by method, route template and status.
pub async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}

/// The content security policy of every page: only our own scripts, styles and connections.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; object-src 'none'; \
    base-uri 'self'; form-action 'self'";
/// The API docs page (Swagger UI) sets inline styles.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; frame-ancestors 'none'; object-src 'none'; base-uri 'self'";

/// Security headers on every answer (TSD §7.2, stricter: no inline scripts, no framing).
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(if docs { DOCS_CSP } else { CSP }),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "referrer-policy",
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.settings.environment == crate::Environment::Production {
        h.insert(
            "strict-transport-security",
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// CORS (TSD §7.5, built from `BASE_DOMAIN`): pages of the platform's own hosts may call the
/// API; credentials are not shared across origins (API clients use bearer tokens).
pub fn cors(base_domain: &str) -> tower_http::cors::CorsLayer {
    use axum::http::{Method, header::HeaderName};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let base = base_domain.to_ascii_lowercase();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin
                .to_str()
                .ok()
                .is_some_and(|o| origin_allowed(o, &base))
        }))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-csrf-token"),
            HeaderName::from_static("idempotency-key"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

/// `http(s)://{base}` or `http(s)://{label}.{base}`, with an optional port.
pub fn origin_allowed(origin: &str, base: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    if scheme != "https" && scheme != "http" {
        return false;
    }
    let host = match rest.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => rest,
    };
    let host = host.to_ascii_lowercase();
    host == base
        || host
            .strip_suffix(base)
            .and_then(|l| l.strip_suffix('.'))
            .is_some_and(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins_of_the_platform_are_allowed() {
        assert!(origin_allowed("http://demo.localhost:3000", "localhost"));
        assert!(origin_allowed("https://localhost", "localhost"));
        assert!(origin_allowed("https://acme.qms.example", "qms.example"));
        assert!(!origin_allowed("https://evil.example", "qms.example"));
        assert!(!origin_allowed("https://a.b.qms.example", "qms.example"));
        assert!(!origin_allowed("https://evilqms.example", "qms.example"));
        assert!(!origin_allowed("null", "qms.example"));
        assert!(!origin_allowed("ftp://acme.qms.example", "qms.example"));
    }
}
