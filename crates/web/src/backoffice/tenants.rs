//! Tenants in the BackOffice: the list (search, status and plan filters, paging), creation
//! (tenant, subscription terms, first merchant and invited OWNER in one transaction, then the
//! invitation e-mail and subdomain provisioning), details, edit, on/off, deletion with a typed
//! confirmation, provisioning retries, and the live slug check of the form.

use super::{Nav, Operator, PAGE_SIZE, Pager, fmt_opt_time, fmt_time, page_of};
use crate::error::{ApiError, PageError};
use crate::pages::render_status;
use crate::provision::{hosts_of, provision_tenant};
use crate::session::{hash_secret, random_secret};
use crate::state::AppState;
use crate::tenancy::{HostKind, classify_host};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use qms_domain::queue::is_known_timezone;
use qms_domain::tenant::{SlugError, validate_slug};
use qms_domain::validate::{clean_text, normalize_email};
use qms_domain::{Plan, TenantId};
use qms_store::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use time::OffsetDateTime;
use uuid::Uuid;

// ----- list -----

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    plan: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

/// One row of the list.
struct Row {
    o: TenantOverview,
    created: String,
}

#[derive(Template)]
#[template(path = "backoffice/tenants.html")]
struct ListPage {
    nav: Nav,
    rows: Vec<Row>,
    q: String,
    status: String,
    plan: String,
    plans: Vec<&'static str>,
    pager: Pager,
}

/// `GET /backoffice/tenants`.
pub async fn list(
    State(state): State<AppState>,
    op: Operator,
    Query(lq): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = page_of(lq.page.as_deref());
    let plan = lq.plan.as_deref().and_then(|p| p.parse::<Plan>().ok());
    let active = match lq.status.as_deref() {
        Some("active") => Some(true),
        Some("inactive") => Some(false),
        _ => None,
    };
    let query = PlatformQuery {
        search: lq.q.clone().filter(|q| q.len() <= 100),
        active,
        plan,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        ..PlatformQuery::default()
    };
    let found = state.store.list_tenants(&query).await?;
    let q = lq.q.unwrap_or_default();
    let status = active
        .map(|a| if a { "active" } else { "inactive" })
        .unwrap_or("")
        .to_string();
    let plan = plan.map(|p| p.as_str().to_string()).unwrap_or_default();
    let filters = [
        ("q", q.clone()),
        ("status", status.clone()),
        ("plan", plan.clone()),
    ];
    let page = ListPage {
        nav: Nav::new(&state, &op, "tenants")
            .await
            .done(lq.done.as_deref()),
        pager: Pager::new("/backoffice/tenants", &filters, page, found.total),
        rows: found
            .items
            .into_iter()
            .map(|o| Row {
                created: fmt_time(o.tenant.created_at),
                o,
            })
            .collect(),
        q,
        status,
        plan,
        plans: Plan::ALL.iter().map(|p| p.as_str()).collect(),
    };
    Ok(render_status(StatusCode::OK, &page))
}

// ----- the slug check -----

#[derive(Deserialize)]
pub struct SlugQuery {
    slug: Option<String>,
}

/// `GET /backoffice/tenants/check-slug?slug=…`: `available`, `taken`, `invalid` or `reserved`.
pub async fn check_slug(
    State(state): State<AppState>,
    op: Result<Operator, Response>,
    Query(q): Query<SlugQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if op.is_err() {
        return Err(ApiError::unauthorized());
    }
    let slug = q.slug.unwrap_or_default().trim().to_string();
    let (status, message) = match validate_slug(&slug) {
        Err(SlugError::Invalid) => ("invalid", SlugError::Invalid.to_string()),
        Err(SlugError::Reserved) => ("reserved", "this name is reserved".to_string()),
        Ok(()) => match state.store.tenant_by_slug(&slug).await? {
            Some(_) => ("taken", "another tenant uses this name".to_string()),
            None => (
                "available",
                format!("{slug}.{} is free", state.settings.base_domain),
            ),
        },
    };
    let slug: String = slug.chars().take(60).collect();
    Ok(Json(
        serde_json::json!({"slug": slug, "status": status, "message": message}),
    ))
}

// ----- the create and edit form -----

/// The form as posted: every field text (checkboxes present when ticked), so a bad value is
/// shown back with its reason instead of failing to parse.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct TenantForm {
    name: String,
    slug: String,
    plan: String,
    status: String,
    max_merchants: String,
    max_queues_per_merchant: String,
    max_users_per_tenant: String,
    ai_features: Option<String>,
    analytics: Option<String>,
    custom_branding: Option<String>,
    priority_support: Option<String>,
    owner_name: String,
    owner_email: String,
    timezone: String,
    country: String,
    domain: String,
}

impl TenantForm {
    fn from_terms(t: &SubscriptionTerms) -> Self {
        TenantForm {
            plan: t.plan.as_str().into(),
            status: t.status.clone(),
            max_merchants: t.max_merchants.to_string(),
            max_queues_per_merchant: t.max_queues_per_merchant.to_string(),
            max_users_per_tenant: t.max_users_per_tenant.to_string(),
            ai_features: t.ai_features.then(|| "on".into()),
            analytics: t.analytics.then(|| "on".into()),
            custom_branding: t.custom_branding.then(|| "on".into()),
            priority_support: t.priority_support.then(|| "on".into()),
            ..TenantForm::default()
        }
    }
}

/// A plan in the form's menu, with the defaults the script fills in when it is chosen.
struct PlanOption {
    terms: SubscriptionTerms,
    selected: bool,
}

#[derive(Template)]
#[template(path = "backoffice/tenant_form.html")]
struct FormPage {
    nav: Nav,
    /// `None` when creating.
    tenant: Option<Tenant>,
    f: TenantForm,
    plans: Vec<PlanOption>,
    statuses: Vec<(&'static str, bool)>,
    errors: BTreeMap<String, String>,
    base_domain: String,
    action: String,
}

async fn form_page(
    state: &AppState,
    op: &Operator,
    tenant: Option<Tenant>,
    f: TenantForm,
    errors: BTreeMap<String, String>,
) -> Result<FormPage, PageError> {
    let settings = state.store.system_settings().await?;
    let plans = Plan::ALL
        .into_iter()
        .map(|p| PlanOption {
            terms: settings.terms_for(p),
            selected: f.plan == p.as_str(),
        })
        .collect();
    let statuses = SUBSCRIPTION_STATUSES
        .into_iter()
        .map(|s| (s, f.status == s))
        .collect();
    let action = match &tenant {
        Some(t) => format!("/backoffice/tenants/{}/edit", t.id),
        None => "/backoffice/tenants/create".into(),
    };
    Ok(FormPage {
        nav: Nav::new(state, op, "tenants").await,
        action,
        tenant,
        f,
        plans,
        statuses,
        errors,
        base_domain: state.settings.base_domain.clone(),
    })
}

/// What a valid form says.
struct Valid {
    name: String,
    slug: String,
    terms: SubscriptionTerms,
    owner_name: String,
    owner_email: String,
    timezone: String,
    country: String,
    domain: Option<String>,
}

fn limit(errors: &mut BTreeMap<String, String>, field: &str, v: &str) -> i32 {
    match v.trim().parse::<i32>() {
        Ok(n) if (1..=100_000).contains(&n) => n,
        _ => {
            errors.insert(
                field.into(),
                "must be a whole number from 1 to 100000".into(),
            );
            0
        }
    }
}

/// Checks a posted form; `creating` checks the fields only a new tenant has.
fn validate(
    f: &TenantForm,
    creating: bool,
    base_domain: &str,
) -> Result<Valid, BTreeMap<String, String>> {
    let mut e = BTreeMap::new();
    let mut take = |field: &str, r: Result<String, String>| -> String {
        r.unwrap_or_else(|m| {
            e.insert(field.to_string(), m);
            String::new()
        })
    };
    let name = take("name", clean_text(&f.name, 2, 100));
    let (slug, owner_name, owner_email, timezone, country) = if creating {
        let slug = f.slug.trim().to_string();
        let slug = take(
            "slug",
            validate_slug(&slug)
                .map(|_| slug)
                .map_err(|e| e.to_string()),
        );
        let owner_name = take("owner_name", clean_text(&f.owner_name, 1, 100));
        let owner_email = take("owner_email", normalize_email(&f.owner_email));
        let timezone = f.timezone.trim().to_string();
        let timezone = take(
            "timezone",
            if is_known_timezone(&timezone) {
                Ok(timezone)
            } else {
                Err("is not a known time zone (e.g. Asia/Kuala_Lumpur)".into())
            },
        );
        let country = f.country.trim().to_ascii_uppercase();
        let country = take(
            "country",
            if country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(country)
            } else {
                Err("must be a two-letter country code such as MY".into())
            },
        );
        (slug, owner_name, owner_email, timezone, country)
    } else {
        Default::default()
    };
    let domain = f.domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let domain = if domain.is_empty() {
        None
    } else {
        match classify_host(&domain, base_domain) {
            HostKind::CustomDomain(d) if d.contains('.') => Some(d),
            _ => {
                e.insert(
                    "domain".into(),
                    format!("must be the business's own host name (not under {base_domain})"),
                );
                None
            }
        }
    };
    let plan = f.plan.parse::<Plan>().unwrap_or_else(|err| {
        e.insert("plan".into(), err.to_string());
        Plan::Free
    });
    let status = if SUBSCRIPTION_STATUSES.contains(&f.status.as_str()) {
        f.status.clone()
    } else {
        e.insert("status".into(), "choose a status".into());
        String::new()
    };
    let terms = SubscriptionTerms {
        plan,
        status,
        max_merchants: limit(&mut e, "max_merchants", &f.max_merchants),
        max_queues_per_merchant: limit(
            &mut e,
            "max_queues_per_merchant",
            &f.max_queues_per_merchant,
        ),
        max_users_per_tenant: limit(&mut e, "max_users_per_tenant", &f.max_users_per_tenant),
        ai_features: f.ai_features.is_some(),
        analytics: f.analytics.is_some(),
        custom_branding: f.custom_branding.is_some(),
        priority_support: f.priority_support.is_some(),
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(Valid {
        name,
        slug,
        terms,
        owner_name,
        owner_email,
        timezone,
        country,
        domain,
    })
}

/// `GET /backoffice/tenants/create`.
pub async fn create_form(
    State(state): State<AppState>,
    op: Operator,
) -> Result<Response, PageError> {
    let settings = state.store.system_settings().await?;
    let mut f = TenantForm::from_terms(&settings.terms_for(Plan::Free));
    f.timezone = settings.default_timezone.clone();
    f.country = "MY".into();
    let page = form_page(&state, &op, None, f, BTreeMap::new()).await?;
    Ok(render_status(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "backoffice/tenant_created.html")]
struct CreatedPage {
    nav: Nav,
    tenant: Tenant,
    site_url: String,
    owner_email: String,
    email_sent: bool,
    /// Shown this once when it could not be e-mailed.
    invite_url: Option<String>,
    provisioning: Provisioning,
}

/// `POST /backoffice/tenants/create`.
pub async fn create(
    State(state): State<AppState>,
    op: Operator,
    Form(f): Form<TenantForm>,
) -> Result<Response, PageError> {
    let v = match validate(&f, true, &state.settings.base_domain) {
        Ok(v) => v,
        Err(errors) => {
            let page = form_page(&state, &op, None, f, errors).await?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let token = random_secret();
    let new = OperatorNewTenant {
        tenant: NewTenant {
            slug: v.slug.clone(),
            name: v.name.clone(),
            plan: v.terms.plan,
            timezone: v.timezone,
            country: v.country,
            owner_email: v.owner_email.clone(),
            owner_name: v.owner_name,
            owner_password_hash: None,
        },
        terms: v.terms,
        domain: v.domain,
        owner_invite_token_hash: hash_secret(&token),
        owner_invite_expires: OffsetDateTime::now_utc() + crate::api::users::INVITE_TTL,
        provisioning_status: if state.provisioner.acts() {
            provisioning::PENDING.into()
        } else {
            provisioning::PROVISIONED.into()
        },
    };
    let created = match state.store.operator_create_tenant(new, &op.actor).await {
        Ok(c) => c,
        Err(StoreError::Taken(field)) => {
            let field = if field == "slug" { "slug" } else { "domain" };
            let errors = BTreeMap::from([(field.to_string(), "is already taken".to_string())]);
            let page = form_page(&state, &op, None, f, errors).await?;
            return Ok(render_status(StatusCode::CONFLICT, &page));
        }
        Err(e) => return Err(e.into()),
    };
    state.tenants.invalidate();
    let tenant = created.tenant;
    let site_url = state.settings.tenant_url(&tenant.slug);
    let invite_url = format!("{site_url}/auth/accept-invite?token={token}");
    let message = format!(
        "{} is ready on QMS, and you are its owner.\n\nChoose your password here (the link works once, for 7 days):\n{invite_url}\n\nYour site: {site_url}\n",
        tenant.name
    );
    let email_sent = match state
        .mailer
        .send(
            &v.owner_email,
            &format!("Your QMS site {} is ready", tenant.name),
            &message,
        )
        .await
    {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "owner invitation not e-mailed; the link is shown to the operator");
            false
        }
    };
    let provisioning = if state.provisioner.acts() {
        provision_tenant(&state, &tenant).await?
    } else {
        Provisioning {
            status: provisioning::PROVISIONED.into(),
            error: None,
            attempts: 0,
            next_attempt_at: None,
        }
    };
    let page = CreatedPage {
        nav: Nav::new(&state, &op, "tenants").await,
        site_url,
        owner_email: v.owner_email,
        email_sent,
        invite_url: (!email_sent).then_some(invite_url),
        provisioning,
        tenant,
    };
    Ok(render_status(StatusCode::CREATED, &page))
}

// ----- details -----

#[derive(Template)]
#[template(path = "backoffice/tenant.html")]
struct DetailsPage {
    nav: Nav,
    o: TenantOverview,
    hosts: Vec<(String, String)>,
    provisioner: &'static str,
    created: String,
    next_attempt: String,
    features: String,
    users: Vec<PlatformUser>,
    merchants: Vec<PlatformMerchant>,
    history: Vec<(BackOfficeAuditEntry, String)>,
    confirm_error: Option<String>,
}

async fn overview(state: &AppState, id: &str) -> Result<TenantOverview, PageError> {
    let id = id.parse::<Uuid>().map_err(|_| PageError::not_found())?;
    state
        .store
        .tenant_overview(TenantId(id))
        .await?
        .ok_or_else(PageError::not_found)
}

async fn details(
    state: &AppState,
    op: &Operator,
    o: TenantOverview,
    done: Option<&str>,
    confirm_error: Option<String>,
) -> Result<DetailsPage, PageError> {
    let of_tenant = PlatformQuery {
        tenant: Some(o.tenant.id),
        limit: 50,
        ..PlatformQuery::default()
    };
    let users = state.store.platform_users(&of_tenant).await?.items;
    let merchants = state.store.platform_merchants(&of_tenant).await?.items;
    let history = state
        .store
        .backoffice_audit_logs(&PlatformAuditFilter {
            tenant: Some(o.tenant.id),
            limit: 20,
            ..PlatformAuditFilter::default()
        })
        .await?
        .items
        .into_iter()
        .map(|a| {
            let at = fmt_time(a.created_at);
            (a, at)
        })
        .collect();
    let hosts = hosts_of(&state.settings.base_domain, &o.tenant)
        .into_iter()
        .map(|h| (state.settings.url_for_host(&h), h))
        .collect();
    Ok(DetailsPage {
        nav: Nav::new(state, op, "tenants").await.done(done),
        hosts,
        provisioner: state.provisioner.name(),
        created: fmt_time(o.tenant.created_at),
        next_attempt: fmt_opt_time(o.provisioning.next_attempt_at),
        features: features_of(&o.subscription),
        users,
        merchants,
        history,
        confirm_error,
        o,
    })
}

/// The feature flags a subscription has, for people.
fn features_of(s: &Subscription) -> String {
    let on: Vec<&str> = [
        (s.ai_features, "AI"),
        (s.analytics, "analytics"),
        (s.custom_branding, "custom branding"),
        (s.priority_support, "priority support"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    if on.is_empty() {
        "none".into()
    } else {
        on.join(" · ")
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

/// `GET /backoffice/tenants/:id`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let o = overview(&state, &id).await?;
    let page = details(&state, &op, o, q.done.as_deref(), None).await?;
    Ok(render_status(StatusCode::OK, &page))
}

// ----- edit -----

/// `GET /backoffice/tenants/:id/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let o = overview(&state, &id).await?;
    let mut f = TenantForm::from_terms(&SubscriptionTerms::of(&o.subscription));
    f.name = o.tenant.name.clone();
    f.slug = o.tenant.slug.clone();
    f.domain = o.tenant.domain.clone().unwrap_or_default();
    let page = form_page(&state, &op, Some(o.tenant), f, BTreeMap::new()).await?;
    Ok(render_status(StatusCode::OK, &page))
}

/// `POST /backoffice/tenants/:id/edit`.
pub async fn edit(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    Form(mut f): Form<TenantForm>,
) -> Result<Response, PageError> {
    let o = overview(&state, &id).await?;
    f.slug = o.tenant.slug.clone();
    let v = match validate(&f, false, &state.settings.base_domain) {
        Ok(v) => v,
        Err(errors) => {
            let page = form_page(&state, &op, Some(o.tenant), f, errors).await?;
            return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let domain_changed = v.domain != o.tenant.domain;
    let patch = TenantPatch {
        name: v.name,
        domain: v.domain,
        terms: v.terms,
    };
    let updated = match state
        .store
        .update_tenant(o.tenant.id, patch, &op.actor)
        .await
    {
        Ok(u) => u,
        Err(StoreError::Taken(_)) => {
            let errors = BTreeMap::from([("domain".to_string(), "is already taken".to_string())]);
            let page = form_page(&state, &op, Some(o.tenant), f, errors).await?;
            return Ok(render_status(StatusCode::CONFLICT, &page));
        }
        Err(e) => return Err(e.into()),
    };
    state.tenants.invalidate();
    if domain_changed && state.provisioner.acts() {
        provision_tenant(&state, &updated.tenant).await?;
    }
    Ok(redirect_to(updated.tenant.id, "updated"))
}

fn redirect_to(id: TenantId, done: &str) -> Response {
    Redirect::to(&format!("/backoffice/tenants/{id}?done={done}")).into_response()
}

// ----- on/off, provisioning, delete -----

/// `POST /backoffice/tenants/:id/toggle`.
pub async fn toggle(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let o = overview(&state, &id).await?;
    let t = state
        .store
        .set_tenant_active(o.tenant.id, !o.tenant.is_active, &op.actor)
        .await?;
    state.tenants.invalidate();
    Ok(redirect_to(
        t.id,
        if t.is_active {
            "activated"
        } else {
            "deactivated"
        },
    ))
}

/// `POST /backoffice/tenants/:id/provision`: tries provisioning again now.
pub async fn provision_now(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let o = overview(&state, &id).await?;
    let p = provision_tenant(&state, &o.tenant).await?;
    let action = OperatorAction::new("tenant.provision", "tenant")
        .id(o.tenant.id)
        .tenant(o.tenant.id)
        .details(serde_json::json!({
            "provisioner": state.provisioner.name(),
            "before": o.provisioning,
            "after": p,
        }));
    state.store.backoffice_audit(&op.actor, action).await?;
    Ok(redirect_to(o.tenant.id, "provisioned"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    confirm: String,
}

/// `POST /backoffice/tenants/:id/delete`: only when the form repeats the tenant's slug.
pub async fn delete(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    Form(f): Form<DeleteForm>,
) -> Result<Response, PageError> {
    let o = overview(&state, &id).await?;
    if f.confirm.trim() != o.tenant.slug {
        let error = format!(
            "Type the tenant's name exactly ({}) to delete it.",
            o.tenant.slug
        );
        let page = details(&state, &op, o, None, Some(error)).await?;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let gone = state.store.delete_tenant(o.tenant.id, &op.actor).await?;
    state.tenants.invalidate();
    if state.provisioner.acts() {
        for host in hosts_of(&state.settings.base_domain, &gone) {
            if let Err(e) = state.provisioner.remove(&host).await {
                tracing::warn!(host = %host, error = %e, "could not remove a deleted tenant's host");
                let action = OperatorAction::new("tenant.deprovision_failed", "tenant")
                    .id(gone.id)
                    .details(serde_json::json!({"host": host, "error": e.to_string()}));
                state.store.backoffice_audit(&op.actor, action).await?;
            }
        }
    }
    Ok(Redirect::to("/backoffice/tenants?done=deleted").into_response())
}
