//! Tenants' staff accounts and merchants, across tenants: lists (search, tenant and status
//! filters, paging), details, and switching an account on or off.

use super::{Nav, Operator, PAGE_SIZE, Pager, fmt_opt_time, fmt_time, page_of};
use crate::error::PageError;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qms_store::*;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: Option<String>,
    /// A tenant's slug.
    tenant: Option<String>,
    status: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

/// The store query of a list's filters, and the filters as typed (for the form and paging).
async fn query_of(
    state: &AppState,
    lq: &ListQuery,
) -> Result<(PlatformQuery, Vec<(&'static str, String)>, bool), PageError> {
    let page = page_of(lq.page.as_deref());
    let slug = lq.tenant.clone().unwrap_or_default().trim().to_lowercase();
    let mut unknown_tenant = false;
    let tenant = if slug.is_empty() || slug.len() > 60 {
        None
    } else {
        let found = state.store.tenant_by_slug(&slug).await?.map(|t| t.id);
        unknown_tenant = found.is_none();
        found
    };
    let active = match lq.status.as_deref() {
        Some("active") => Some(true),
        Some("inactive") => Some(false),
        _ => None,
    };
    let status = active
        .map(|a| if a { "active" } else { "inactive" })
        .unwrap_or("")
        .to_string();
    let q = lq.q.clone().unwrap_or_default();
    let query = PlatformQuery {
        search: Some(q.clone()).filter(|q| !q.is_empty() && q.len() <= 100),
        tenant,
        active,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..PlatformQuery::default()
    };
    Ok((
        query,
        vec![("q", q), ("tenant", slug), ("status", status)],
        unknown_tenant,
    ))
}

fn filter<'a>(filters: &'a [(&'static str, String)], name: &str) -> &'a str {
    filters
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

// ----- users -----

#[derive(Template)]
#[template(path = "backoffice/users.html")]
struct UsersPage {
    nav: Nav,
    rows: Vec<(PlatformUser, String)>,
    q: String,
    tenant: String,
    status: String,
    unknown_tenant: bool,
    pager: Pager,
}

/// `GET /backoffice/users`.
pub async fn users(
    State(state): State<AppState>,
    op: Operator,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (query, filters, unknown_tenant) = query_of(&state, &lq).await?;
    let found = if unknown_tenant {
        Page {
            items: Vec::new(),
            total: 0,
        }
    } else {
        state.store.platform_users(&query).await?
    };
    let page = UsersPage {
        nav: Nav::new(&state, &op, "users")
            .await
            .done(lq.done.as_deref()),
        pager: Pager::new(
            "/backoffice/users",
            &filters,
            page_of(lq.page.as_deref()),
            found.total,
        ),
        rows: found
            .items
            .into_iter()
            .map(|u| {
                let last = fmt_opt_time(u.user.last_login);
                (u, last)
            })
            .collect(),
        q: filter(&filters, "q").into(),
        tenant: filter(&filters, "tenant").into(),
        status: filter(&filters, "status").into(),
        unknown_tenant,
    };
    Ok(render_status(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "backoffice/user.html")]
struct UserPage {
    nav: Nav,
    u: PlatformUser,
    last_login: String,
    activity: Vec<(TenantAuditEntry, String)>,
}

async fn platform_user(state: &AppState, id: &str) -> Result<PlatformUser, PageError> {
    let id = id.parse::<Uuid>().map_err(|_| PageError::not_found())?;
    state
        .store
        .platform_user(id)
        .await?
        .ok_or_else(PageError::not_found)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /backoffice/users/:id`.
pub async fn user(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let u = platform_user(&state, &id).await?;
    let activity = state
        .store
        .platform_audit_logs(&PlatformAuditFilter {
            tenant: Some(u.user.tenant_id),
            actor: Some(u.user.id),
            limit: 20,
            ..PlatformAuditFilter::default()
        })
        .await?
        .items
        .into_iter()
        .map(|a| {
            let at = fmt_time(a.log.created_at);
            (a, at)
        })
        .collect();
    let page = UserPage {
        nav: Nav::new(&state, &op, "users").await.done(q.done.as_deref()),
        last_login: fmt_opt_time(u.user.last_login),
        activity,
        u,
    };
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /backoffice/users/:id/toggle`.
pub async fn toggle_user(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let u = platform_user(&state, &id).await?;
    let after = state
        .store
        .operator_set_user_active(u.user.id, !u.user.is_active, &op.actor)
        .await?;
    state.staff.clear();
    let done = if after.user.is_active {
        "user-activated"
    } else {
        "user-deactivated"
    };
    Ok(Redirect::to(&format!("/backoffice/users/{}?done={done}", after.user.id)).into_response())
}

// ----- merchants -----

#[derive(Template)]
#[template(path = "backoffice/merchants.html")]
struct MerchantsPage {
    nav: Nav,
    rows: Vec<PlatformMerchant>,
    q: String,
    tenant: String,
    status: String,
    unknown_tenant: bool,
    pager: Pager,
}

/// `GET /backoffice/merchants`.
pub async fn merchants(
    State(state): State<AppState>,
    op: Operator,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let (query, filters, unknown_tenant) = query_of(&state, &lq).await?;
    let found = if unknown_tenant {
        Page {
            items: Vec::new(),
            total: 0,
        }
    } else {
        state.store.platform_merchants(&query).await?
    };
    let page = MerchantsPage {
        nav: Nav::new(&state, &op, "merchants").await,
        pager: Pager::new(
            "/backoffice/merchants",
            &filters,
            page_of(lq.page.as_deref()),
            found.total,
        ),
        rows: found.items,
        q: filter(&filters, "q").into(),
        tenant: filter(&filters, "tenant").into(),
        status: filter(&filters, "status").into(),
        unknown_tenant,
    };
    Ok(render_status(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "backoffice/merchant.html")]
struct MerchantPage {
    nav: Nav,
    m: PlatformMerchant,
    subscription: Subscription,
}

/// `GET /backoffice/merchants/:id`.
pub async fn merchant(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = id.parse::<Uuid>().map_err(|_| PageError::not_found())?;
    let m = state
        .store
        .platform_merchant(id)
        .await?
        .ok_or_else(PageError::not_found)?;
    let subscription = state.store.subscription(m.merchant.tenant_id).await?;
    let page = MerchantPage {
        nav: Nav::new(&state, &op, "merchants").await,
        m,
        subscription,
    };
    Ok(render_status(StatusCode::OK, &page))
}
