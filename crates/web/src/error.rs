//! Errors as clients see them. [`ApiError`] renders `{"error":{"code","message","fields"}}`
//! for `/api/*`; [`PageError`] renders an HTML page. Store errors map to the status and code a
//! client can act on; database failures are logged and answered as a bare 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use qms_domain::FieldErrors;
use qms_store::StoreError;
use serde_json::json;
use std::collections::BTreeMap;

/// An error answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub extra: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: BTreeMap::new(),
            extra: None,
        }
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in to do this",
        )
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "your role does not allow this",
        )
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side",
        )
    }
    pub fn validation(errors: FieldErrors) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "some fields are invalid",
        );
        e.fields = errors.fields;
        e
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(FieldErrors::single(field, message))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if !self.fields.is_empty() {
            error["fields"] = json!(self.fields);
        }
        if let Some(serde_json::Value::Object(extra)) = self.extra {
            for (k, v) in extra {
                error[k] = v;
            }
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        ApiError::validation(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        use StatusCode as S;
        match e {
            StoreError::NotFound => ApiError::not_found("resource"),
            StoreError::Taken(field) => {
                let mut err = ApiError::new(S::CONFLICT, "taken", format!("{field} already taken"));
                err.fields.insert(field.to_string(), "already taken".into());
                err
            }
            StoreError::InvalidTransition(t) => {
                ApiError::new(S::CONFLICT, "invalid_transition", t.to_string())
            }
            StoreError::QueueEmpty => ApiError::new(S::CONFLICT, "queue_empty", e.to_string()),
            StoreError::QueueFull => ApiError::new(S::CONFLICT, "queue_full", e.to_string()),
            StoreError::QueueClosed { opens_at } => {
                let mut err = ApiError::new(S::CONFLICT, "queue_closed", e.to_string());
                if let Some(at) = opens_at.and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                }) {
                    err.message = format!("the queue is closed; it opens at {at}");
                    err.extra = Some(json!({"opensAt": at}));
                }
                err
            }
            StoreError::PlanLimit(m) => ApiError::new(S::FORBIDDEN, "plan_limit", m),
            StoreError::QueueHasCustomers => {
                ApiError::new(S::CONFLICT, "queue_has_customers", e.to_string())
            }
            StoreError::StaleOrder => ApiError::new(S::CONFLICT, "stale_order", e.to_string()),
            StoreError::AlreadyWaiting => {
                ApiError::new(S::CONFLICT, "already_waiting", e.to_string())
            }
            StoreError::CancellationNotAllowed => {
                ApiError::new(S::FORBIDDEN, "cancellation_not_allowed", e.to_string())
            }
            StoreError::LastOwner => ApiError::new(S::CONFLICT, "last_owner", e.to_string()),
            StoreError::InvalidToken => {
                ApiError::new(S::BAD_REQUEST, "invalid_token", e.to_string())
            }
            StoreError::UnknownReference(field) => ApiError::field(field, "does not exist"),
            StoreError::Backend(msg) => {
                tracing::error!(error = %msg, "database error");
                ApiError::internal()
            }
        }
    }
}

/// An error answered as an HTML page.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
}

impl PageError {
    pub fn new(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        PageError {
            status,
            title: title.into(),
            message: message.into(),
        }
    }
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is nothing at this address.",
        )
    }
    pub fn tenant_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Tenant not found",
            "No business uses this address. Check the link or the QR code you scanned.",
        )
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::not_found(),
            other => {
                tracing::error!(error = %other, "database error while rendering a page");
                PageError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Please try again in a moment.",
                )
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = crate::pages::ErrorPage {
            title: &self.title,
            message: &self.message,
        };
        let body =
            askama::Template::render(&page).unwrap_or_else(|_| format!("<h1>{}</h1>", self.status));
        (self.status, Html(body)).into_response()
    }
}
