//! Server-rendered pages: the platform landing page, a tenant's front page and error pages.

use crate::error::PageError;
use crate::state::AppState;
use crate::tenancy::Site;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use qms_store::QueueSummary;

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

#[derive(Template)]
#[template(path = "tenant_home.html")]
struct TenantHome {
    business_name: String,
    queues: Vec<QueueSummary>,
}

fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
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
pub async fn home(State(state): State<AppState>, site: Site) -> Result<Response, PageError> {
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
        Site::Tenant(tenant) => {
            let merchants = state.store.merchants(tenant.id).await?;
            let business_name = merchants
                .first()
                .map(|m| m.business_name.clone())
                .unwrap_or(tenant.name);
            let queues = state
                .store
                .list_queues(tenant.id)
                .await?
                .into_iter()
                .filter(|q| q.queue.settings.is_active)
                .collect();
            Ok(render(&TenantHome {
                business_name,
                queues,
            }))
        }
        Site::BackOffice => Err(PageError::not_found()),
    }
}

/// Anything no route matched.
pub async fn fallback() -> PageError {
    PageError::not_found()
}
