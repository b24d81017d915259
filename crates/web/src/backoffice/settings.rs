//! System settings (`system_settings`): site name, support e-mail, the time zone new tenants
//! start with, how many months finished queue data is kept, and the default terms of each plan
//! (what the create form fills in when a plan is chosen).

use super::{Nav, Operator};
use crate::error::PageError;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use qms_domain::queue::is_known_timezone;
use qms_domain::validate::{clean_text, normalize_email};
use qms_store::{SUBSCRIPTION_STATUSES, SubscriptionTerms, SystemSettings};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Template)]
#[template(path = "backoffice/settings.html")]
struct SettingsPage {
    nav: Nav,
    site_name: String,
    support_email: String,
    default_timezone: String,
    retention_months: String,
    plans: Vec<SubscriptionTerms>,
    errors: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn page(nav: Nav, s: &SystemSettings) -> SettingsPage {
    SettingsPage {
        nav,
        site_name: s.site_name.clone(),
        support_email: s.support_email.clone(),
        default_timezone: s.default_timezone.clone(),
        retention_months: s.retention_months.to_string(),
        plans: s.plan_defaults.clone(),
        errors: BTreeMap::new(),
    }
}

/// `GET /backoffice/settings`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let s = state.store.system_settings().await?;
    let nav = Nav::new(&state, &op, "settings")
        .await
        .done(q.done.as_deref());
    Ok(render_status(StatusCode::OK, &page(nav, &s)))
}

/// Reads the posted form into settings; every problem is named by its field.
fn parse(
    form: &HashMap<String, String>,
    current: &SystemSettings,
) -> (SystemSettings, BTreeMap<String, String>) {
    let mut e = BTreeMap::new();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let mut s = current.clone();
    match clean_text(get("site_name"), 1, 100) {
        Ok(v) => s.site_name = v,
        Err(m) => {
            e.insert("site_name".into(), m);
        }
    }
    let support = get("support_email").trim();
    if support.is_empty() {
        s.support_email = String::new();
    } else {
        match normalize_email(support) {
            Ok(v) => s.support_email = v,
            Err(m) => {
                e.insert("support_email".into(), m);
            }
        }
    }
    let tz = get("default_timezone").trim();
    if is_known_timezone(tz) {
        s.default_timezone = tz.into();
    } else {
        e.insert(
            "default_timezone".into(),
            "is not a known time zone (e.g. Asia/Kuala_Lumpur)".into(),
        );
    }
    match get("retention_months").trim().parse::<i32>() {
        Ok(n) if (1..=120).contains(&n) => s.retention_months = n,
        _ => {
            e.insert(
                "retention_months".into(),
                "must be a whole number of months from 1 to 120".into(),
            );
        }
    }
    for terms in &mut s.plan_defaults {
        let p = terms.plan.as_str();
        let mut number = |field: &str, slot: &mut i32| {
            let key = format!("{p}.{field}");
            match get(&key).trim().parse::<i32>() {
                Ok(n) if (1..=100_000).contains(&n) => *slot = n,
                _ => {
                    e.insert(key, "must be a whole number from 1 to 100000".into());
                }
            }
        };
        number("max_merchants", &mut terms.max_merchants);
        number(
            "max_queues_per_merchant",
            &mut terms.max_queues_per_merchant,
        );
        number("max_users_per_tenant", &mut terms.max_users_per_tenant);
        let flag = |field: &str| form.contains_key(&format!("{p}.{field}"));
        terms.ai_features = flag("ai_features");
        terms.analytics = flag("analytics");
        terms.custom_branding = flag("custom_branding");
        terms.priority_support = flag("priority_support");
        if !SUBSCRIPTION_STATUSES.contains(&terms.status.as_str()) {
            terms.status = "active".into();
        }
    }
    (s, e)
}

/// `POST /backoffice/settings`.
pub async fn save(
    State(state): State<AppState>,
    op: Operator,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let form: HashMap<String, String> = form.into_iter().collect();
    let current = state.store.system_settings().await?;
    let (settings, errors) = parse(&form, &current);
    if !errors.is_empty() {
        let mut p = page(Nav::new(&state, &op, "settings").await, &settings);
        // Show back what was typed where it was wrong.
        for (field, slot) in [
            ("site_name", &mut p.site_name),
            ("support_email", &mut p.support_email),
            ("default_timezone", &mut p.default_timezone),
            ("retention_months", &mut p.retention_months),
        ] {
            if let Some(v) = form.get(field) {
                *slot = v.clone();
            }
        }
        p.errors = errors;
        return Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &p));
    }
    state
        .store
        .save_system_settings(&settings, &op.actor)
        .await?;
    Ok(Redirect::to("/backoffice/settings?done=settings").into_response())
}
