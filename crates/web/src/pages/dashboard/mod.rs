//! The staff dashboard (TSD §3.4 tenant dashboard, §6.2): today at a glance ([`overview`]),
//! the live board ([`board`]), activity reports ([`analytics`]), business and queue settings
//! ([`settings`]) and staff accounts ([`users`]).
//!
//! Pages are rendered on the server and enhanced by small scripts (`static/board.js`,
//! `static/settings.js`). Every page checks the role it needs (STAFF: overview, board; MANAGER:
//! also analytics and queue settings; ADMIN and OWNER: also business settings and users) and
//! answers a 403 page otherwise; the forms' handlers check again, through the same guards as
//! the JSON API.

pub mod analytics;
pub mod board;
pub mod forms;
pub mod overview;
pub mod settings;
pub mod users;

use crate::auth::Staff;
use crate::error::PageError;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use qms_domain::Role;

/// The dashboard's pages and form handlers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(overview::page))
        .route("/dashboard/queues", get(board::page))
        .route("/dashboard/analytics", get(analytics::page))
        .route("/dashboard/settings", get(settings::page))
        .route("/dashboard/settings/profile", post(settings::save_profile))
        .route("/dashboard/settings/hours", post(settings::save_hours))
        .route(
            "/dashboard/settings/branding",
            post(settings::save_branding),
        )
        .route("/dashboard/settings/queues", post(settings::create_queue))
        .route(
            "/dashboard/settings/queues/{id}",
            post(settings::save_queue),
        )
        .route(
            "/dashboard/settings/service-types",
            post(settings::create_service_type),
        )
        .route(
            "/dashboard/settings/service-types/{id}",
            post(settings::save_service_type),
        )
        .route(
            "/dashboard/settings/service-types/{id}/delete",
            post(settings::delete_service_type),
        )
        .route(
            "/dashboard/settings/templates",
            post(settings::create_template),
        )
        .route(
            "/dashboard/settings/templates/{id}",
            post(settings::save_template),
        )
        .route(
            "/dashboard/settings/templates/{id}/delete",
            post(settings::delete_template),
        )
        .route("/dashboard/users", get(users::page))
        .route("/dashboard/users/invite", post(users::invite))
        .route("/dashboard/users/{id}/role", post(users::change_role))
        .route("/dashboard/users/{id}/active", post(users::set_active))
        .route("/uploads/logo/{file}", get(crate::uploads::serve_logo))
}

/// The dashboard's sections, for the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Board,
    Analytics,
    Settings,
    Users,
}

impl Section {
    const ALL: [Section; 5] = [
        Section::Overview,
        Section::Board,
        Section::Analytics,
        Section::Settings,
        Section::Users,
    ];

    fn href(self) -> &'static str {
        match self {
            Section::Overview => "/dashboard",
            Section::Board => "/dashboard/queues",
            Section::Analytics => "/dashboard/analytics",
            Section::Settings => "/dashboard/settings",
            Section::Users => "/dashboard/users",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Today",
            Section::Board => "Live board",
            Section::Analytics => "Analytics",
            Section::Settings => "Settings",
            Section::Users => "Staff",
        }
    }

    /// The least role that may open the section.
    pub fn role(self) -> Role {
        match self {
            Section::Overview | Section::Board => Role::Staff,
            Section::Analytics | Section::Settings => Role::Manager,
            Section::Users => Role::Admin,
        }
    }
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// What every dashboard page shows around its content.
pub struct Nav {
    pub business_name: String,
    pub logo_url: Option<String>,
    /// Changes with the brand colour: the cache key of `/brand.css?v=…`.
    pub brand_version: String,
    pub user_name: String,
    pub role: String,
    pub csrf: String,
    pub items: Vec<NavItem>,
}

impl Nav {
    pub async fn build(
        state: &AppState,
        staff: &Staff,
        current: Section,
    ) -> Result<Nav, PageError> {
        let merchant = state
            .store
            .merchants(staff.tenant)
            .await?
            .into_iter()
            .next();
        let business_name = match &merchant {
            Some(m) => m.business_name.clone(),
            None => state
                .store
                .tenant_by_id(staff.tenant)
                .await?
                .map(|t| t.name)
                .unwrap_or_default(),
        };
        let items = Section::ALL
            .into_iter()
            .filter(|s| staff.user.role.at_least(s.role()))
            .map(|s| NavItem {
                href: s.href(),
                label: s.label(),
                current: s == current,
            })
            .collect();
        let brand_version = merchant
            .as_ref()
            .and_then(|m| m.brand_color.as_deref())
            .map(|c| c.trim_start_matches('#').to_ascii_lowercase())
            .unwrap_or_else(|| "default".into());
        Ok(Nav {
            business_name,
            brand_version,
            logo_url: merchant.and_then(|m| m.logo_url),
            user_name: staff.user.full_name.clone(),
            role: staff.user.role.as_str().to_string(),
            csrf: staff.csrf().to_string(),
            items,
        })
    }
}

#[derive(Template)]
#[template(path = "dashboard/forbidden.html")]
struct Forbidden {
    nav: Nav,
    needed: &'static str,
}

/// The 403 page, inside the dashboard's frame so the way back is one tap.
pub async fn forbidden(state: &AppState, staff: &Staff, section: Section) -> Response {
    let needed = match section.role() {
        Role::Staff => "STAFF",
        Role::Manager => "MANAGER or above",
        Role::Admin | Role::Owner => "ADMIN or OWNER",
    };
    match Nav::build(state, staff, section).await {
        Ok(nav) => render_status(StatusCode::FORBIDDEN, &Forbidden { nav, needed }),
        Err(e) => e.into_response(),
    }
}

/// Answers the 403 page unless the staff member may open `section`.
pub async fn guard(state: &AppState, staff: &Staff, section: Section) -> Result<(), Response> {
    if staff.user.role.at_least(section.role()) {
        Ok(())
    } else {
        Err(forbidden(state, staff, section).await)
    }
}

/// A record id from a path; anything else is a 404 page (no such record can exist).
pub fn parse_id(raw: &str) -> Result<uuid::Uuid, PageError> {
    uuid::Uuid::parse_str(raw).map_err(|_| PageError::not_found())
}

/// Minutes since `t`, for "waited 12 min" (never negative).
pub fn minutes_since(t: time::OffsetDateTime) -> i64 {
    ((time::OffsetDateTime::now_utc() - t).whole_seconds() / 60).max(0)
}

/// The party-size band of TSD §6.2: 1–2, 3–4, 5–6, 7+.
pub fn party_band(size: i32) -> &'static str {
    match size {
        ..=2 => "s",
        3..=4 => "m",
        5..=6 => "l",
        _ => "xl",
    }
}
