//! Cross-site request forgery protection: one middleware for every state-changing request.
//!
//! - Requests with `Authorization: Bearer` are exempt (a browser never adds that header by
//!   itself).
//! - Any other POST/PUT/PATCH/DELETE is refused when the browser says it is cross-site
//!   (`Sec-Fetch-Site: cross-site`) or sends an `Origin` that is not this host.
//! - When the request carries a valid session cookie, it must also carry the session's token,
//!   in the `X-CSRF-Token` header (for `fetch`) or the `_csrf` form field (for forms) — except
//!   on the anonymous sign-in forms (sign in, forgotten password, reset, invitation), which do
//!   not act with the session's authority and are covered by the origin check.
//!
//! The loaded session is kept in the request's extensions so handlers do not load it again.

use crate::error::{ApiError, PageError};
use crate::session;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "_csrf";

fn refuse(is_api: bool, why: &str) -> Response {
    if is_api {
        ApiError::new(StatusCode::FORBIDDEN, "csrf", why).into_response()
    } else {
        PageError::new(StatusCode::FORBIDDEN, "Request refused", why).into_response()
    }
}

/// True when `Origin` is absent or names this very host.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Forms that anyone may post, signed in or not. The customer forms (`/queue/…`: join, leave)
/// act with the place's session id in the path, not with a staff session.
fn is_anonymous_form(path: &str) -> bool {
    path.starts_with("/queue/")
        || matches!(
            path,
            "/auth/login"
                | "/auth/forgot-password"
                | "/auth/reset-password"
                | "/auth/accept-invite"
                | "/api/auth/login"
                | "/api/auth/forgot-password"
                | "/api/auth/reset-password"
                | "/api/auth/accept-invite"
        )
}

pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let is_api = req.uri().path().starts_with("/api/");
    if !unsafe_method || crate::auth::bearer(req.headers()).is_some() {
        return next.run(req).await;
    }
    let headers = req.headers();
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    if cross_site || !same_origin(headers) {
        return refuse(is_api, "cross-site requests are not accepted");
    }
    if is_anonymous_form(req.uri().path()) {
        return next.run(req).await;
    }
    let session = match session::load(&state, headers).await {
        Ok(s) => s,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(session) = session else {
        return next.run(req).await;
    };

    let header_token = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let (mut req, token) = match (header_token, is_form) {
        (Some(t), _) => (req, Some(t)),
        (None, true) => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
                return ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is too large",
                )
                .into_response();
            };
            let token = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v));
            (Request::from_parts(parts, Body::from(bytes)), token)
        }
        (None, false) => (req, None),
    };
    let valid = token.is_some_and(|t| constant_time_eq(t.as_bytes(), session.data.csrf.as_bytes()));
    if !valid {
        return refuse(
            is_api,
            "missing or wrong CSRF token; reload the page and try again",
        );
    }
    req.extensions_mut().insert(session);
    next.run(req).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origin_must_be_this_host() {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_static("demo.localhost:3000"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://demo.localhost:3000"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.localhost:3000"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
