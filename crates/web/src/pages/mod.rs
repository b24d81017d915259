//! Server-rendered pages: the platform landing page, the customer pages ([`customer`]), the staff
//! dashboard, sign-in pages ([`auth`]) and error pages.

pub mod auth;
pub mod customer;
pub mod dashboard;

use crate::auth::Staff;
use crate::error::PageError;
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, Site};
use askama::Template;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "landing.html")]
struct Landing {
    demo_url: String,
    backoffice_url: String,
    api_docs_url: String,
}

fn render(t: &impl Template) -> Response {
    render_status(StatusCode::OK, t)
}

/// Renders a template with a status; a template failure is logged and answered as a 500 page.
pub fn render_status(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            PageError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again.",
            )
            .into_response()
        }
    }
}

/// `GET /`: the landing page on the bare domain, the business's queues on a tenant host.
pub async fn home(
    State(state): State<AppState>,
    site: Site,
    headers: axum::http::HeaderMap,
    lang: crate::i18n::Chosen,
) -> Result<Response, PageError> {
    match site {
        Site::Platform => {
            let s = &state.settings;
            Ok(render(&Landing {
                demo_url: s.tenant_url("demo"),
                backoffice_url: s.url_for_host(&format!("admin.{}", s.base_domain))
                    + "/backoffice/login",
                api_docs_url: s.tenant_url("demo") + "/api/docs",
            }))
        }
        Site::Tenant(tenant) => customer::home(&state, tenant, &headers, lang).await,
        Site::BackOffice => Err(PageError::not_found()),
    }
}

/// Anything no route matched.
pub async fn fallback() -> PageError {
    PageError::not_found()
}

/// A staff member signed in through the browser; anyone else is sent to the sign-in page.
pub struct StaffPage(pub Staff);

impl FromRequestParts<AppState> for StaffPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let CurrentTenant(tenant) = CurrentTenant::from_request_parts(parts, state)
            .await
            .map_err(|_| PageError::tenant_not_found().into_response())?;
        Staff::from_request(state, &tenant, parts)
            .await
            .map(StaffPage)
            .map_err(|_| Redirect::to("/auth/login").into_response())
    }
}
