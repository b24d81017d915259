//! Both audit trails in the BackOffice: the operators' own (`backoffice_audit_logs`) and every
//! tenant's (`audit_logs`), filtered by tenant, actor, action (a prefix such as `tenant.`) and
//! dates, with a page per row showing its details (before and after).

use super::{Nav, Operator, PAGE_SIZE, Pager, fmt_time, page_of};
use crate::error::PageError;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use qms_store::*;
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime, Time};
use uuid::Uuid;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    /// `backoffice` (default) or `tenants`.
    trail: Option<String>,
    /// A tenant's slug.
    tenant: Option<String>,
    /// An operator's e-mail (operators' trail) or an account's e-mail or id (tenants' trail).
    actor: Option<String>,
    action: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

/// One row as listed.
struct Line {
    id: Uuid,
    at: String,
    actor: String,
    tenant: String,
    action: String,
    resource: String,
}

#[derive(Template)]
#[template(path = "backoffice/audit_logs.html")]
struct ListPage {
    nav: Nav,
    operators_trail: bool,
    lines: Vec<Line>,
    tenant: String,
    actor: String,
    action: String,
    from: String,
    to: String,
    operators: Vec<String>,
    problems: Vec<String>,
    pager: Pager,
}

fn day(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &format)
        .ok()
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
}

/// `GET /backoffice/audit-logs`.
pub async fn list(
    State(state): State<AppState>,
    op: Operator,
    Query(q): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let operators_trail = q.trail.as_deref() != Some("tenants");
    let page = page_of(q.page.as_deref());
    let mut problems = Vec::new();
    let slug = q.tenant.clone().unwrap_or_default().trim().to_lowercase();
    let tenant = if slug.is_empty() {
        None
    } else {
        match state.store.tenant_by_slug(&slug).await? {
            Some(t) => Some(t),
            None => {
                problems.push(format!("No tenant is called {slug:?}."));
                None
            }
        }
    };
    let actor_text = q.actor.clone().unwrap_or_default().trim().to_lowercase();
    let actor = if actor_text.is_empty() {
        None
    } else if let Ok(id) = actor_text.parse::<Uuid>() {
        Some(id)
    } else if operators_trail {
        match state.store.backoffice_user_by_email(&actor_text).await? {
            Some(u) => Some(u.id),
            None => {
                problems.push(format!("No operator has the address {actor_text:?}."));
                None
            }
        }
    } else {
        match &tenant {
            Some(t) => match state.store.user_by_email(t.id, &actor_text).await? {
                Some(u) => Some(u.id),
                None => {
                    problems.push(format!("{} has no account {actor_text:?}.", t.slug));
                    None
                }
            },
            None => {
                problems.push("Choose the tenant to find an account by e-mail.".into());
                None
            }
        }
    };
    let from_text = q.from.clone().unwrap_or_default();
    let to_text = q.to.clone().unwrap_or_default();
    let from = day(&from_text);
    let to = day(&to_text).map(|d| d + Duration::days(1));
    if !from_text.trim().is_empty() && from.is_none() || !to_text.trim().is_empty() && to.is_none()
    {
        problems.push("Dates are written YYYY-MM-DD.".into());
    }
    let action = q.action.clone().unwrap_or_default();
    let filter = PlatformAuditFilter {
        tenant: tenant.as_ref().map(|t| t.id),
        actor,
        action: Some(action.trim().to_string()).filter(|a| !a.is_empty() && a.len() <= 100),
        from,
        to,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    let (lines, total) = if !problems.is_empty() {
        (Vec::new(), 0)
    } else if operators_trail {
        let found = state.store.backoffice_audit_logs(&filter).await?;
        let lines = found
            .items
            .into_iter()
            .map(|a| Line {
                id: a.id,
                at: fmt_time(a.created_at),
                actor: a.actor_email.unwrap_or_else(|| "—".into()),
                tenant: a.tenant_slug.unwrap_or_default(),
                action: a.action,
                resource: a.resource,
            })
            .collect();
        (lines, found.total)
    } else {
        let found = state.store.platform_audit_logs(&filter).await?;
        let lines = found
            .items
            .into_iter()
            .map(|a| Line {
                id: a.log.id,
                at: fmt_time(a.log.created_at),
                actor: match a.log.user_id {
                    Some(u) => format!("{} {u}", a.log.user_type),
                    None => a.log.user_type.clone(),
                },
                tenant: a.tenant_slug.unwrap_or_default(),
                action: a.log.action,
                resource: a.log.resource,
            })
            .collect();
        (lines, found.total)
    };
    let trail = if operators_trail { "" } else { "tenants" };
    let filters = [
        ("trail", trail.to_string()),
        ("tenant", slug.clone()),
        ("actor", actor_text.clone()),
        ("action", action.clone()),
        ("from", from_text.clone()),
        ("to", to_text.clone()),
    ];
    let operators = state
        .store
        .list_backoffice_users()
        .await?
        .into_iter()
        .map(|u| u.email)
        .collect();
    let page = ListPage {
        nav: Nav::new(&state, &op, "audit").await,
        pager: Pager::new("/backoffice/audit-logs", &filters, page, total),
        operators_trail,
        lines,
        tenant: slug,
        actor: actor_text,
        action,
        from: from_text,
        to: to_text,
        operators,
        problems,
    };
    Ok(render_status(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "backoffice/audit_log.html")]
struct DetailsPage {
    nav: Nav,
    trail: &'static str,
    id: Uuid,
    at: String,
    actor: String,
    tenant: String,
    action: String,
    resource: String,
    resource_id: String,
    ip_address: String,
    user_agent: String,
    details: String,
}

/// `GET /backoffice/audit-logs/:id`: a row of either trail.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse::<Uuid>().map_err(|_| PageError::not_found())?;
    let pretty = |d: Option<serde_json::Value>| {
        d.map(|d| serde_json::to_string_pretty(&d).unwrap_or_default())
            .unwrap_or_else(|| "—".into())
    };
    let nav = Nav::new(&state, &op, "audit").await;
    let page = if let Some(a) = state.store.backoffice_audit_log(id).await? {
        DetailsPage {
            nav,
            trail: "Operators",
            id: a.id,
            at: fmt_time(a.created_at),
            actor: a
                .actor_email
                .or(a.backoffice_user_id.map(|u| u.to_string()))
                .unwrap_or_else(|| "anonymous".into()),
            tenant: a
                .tenant_slug
                .or(a.tenant_id.map(|t| t.to_string()))
                .unwrap_or_else(|| "—".into()),
            action: a.action,
            resource: a.resource,
            resource_id: a.resource_id.unwrap_or_default(),
            ip_address: a.ip_address.unwrap_or_default(),
            user_agent: a.user_agent.unwrap_or_default(),
            details: pretty(a.details),
        }
    } else if let Some(a) = state.store.platform_audit_log(id).await? {
        DetailsPage {
            nav,
            trail: "Tenants",
            id: a.log.id,
            at: fmt_time(a.log.created_at),
            actor: match a.log.user_id {
                Some(u) => format!("{} {u}", a.log.user_type),
                None => a.log.user_type.clone(),
            },
            tenant: a.tenant_slug.unwrap_or_else(|| "—".into()),
            action: a.log.action,
            resource: a.log.resource,
            resource_id: a.log.resource_id.unwrap_or_default(),
            ip_address: a.log.ip_address.unwrap_or_default(),
            user_agent: a.log.user_agent.unwrap_or_default(),
            details: pretty(a.log.details),
        }
    } else {
        return Err(PageError::not_found());
    };
    Ok(render_status(StatusCode::OK, &page))
}
