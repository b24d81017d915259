//! The BackOffice: the platform operator's console (TSD §3.1, §3.4, §6.3), at
//! `admin.{BASE_DOMAIN}/backoffice/…` and under `/backoffice` on the bare domain.
//!
//! - [`router`] holds every route; [`guard`] answers 404 for them on a tenant's host, so a
//!   tenant's host never serves (or sends its cookies to) the console.
//! - [`Operator`] is the signed-in operator: a BackOffice session (8 h absolute, 15 min idle)
//!   of an active `BackOfficeUser` — tenant staff sessions and API tokens never qualify.
//! - Every change goes through one store method that writes the operator audit row
//!   (`backoffice_audit_logs`, with before/after) in the change's own transaction.
//!
//! Modules: [`auth`] (sign-in with optional TOTP, sign-out, TOTP enrolment), [`dashboard`],
//! [`tenants`] (list, create, details, edit, on/off, delete, slug check), [`people`] (users and
//! merchants across tenants), [`audit`] (both audit trails), [`settings`] (system settings).

pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod people;
pub mod settings;
pub mod tenants;
pub mod totp;

use crate::auth::request_actor;
use crate::error::PageError;
use crate::session::{self, Session, SessionKind};
use crate::state::AppState;
use crate::tenancy::{HostKind, Site, classify_host};
use axum::Router;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use qms_store::{Actor, BackOfficeUser, UserType};
use time::OffsetDateTime;

/// Every BackOffice route.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/backoffice", get(dashboard::show))
        .route("/backoffice/dashboard", get(dashboard::show))
        .route(
            "/backoffice/login",
            get(auth::login_page).post(auth::login_submit),
        )
        .route("/backoffice/login/totp", post(auth::totp_submit))
        .route("/backoffice/logout", post(auth::logout))
        .route(
            "/backoffice/account/totp",
            get(auth::totp_page).post(auth::totp_enable),
        )
        .route("/backoffice/account/totp/disable", post(auth::totp_disable))
        .route("/backoffice/tenants", get(tenants::list))
        .route(
            "/backoffice/tenants/create",
            get(tenants::create_form).post(tenants::create),
        )
        .route("/backoffice/tenants/check-slug", get(tenants::check_slug))
        .route("/backoffice/tenants/{id}", get(tenants::show))
        .route(
            "/backoffice/tenants/{id}/edit",
            get(tenants::edit_form).post(tenants::edit),
        )
        .route("/backoffice/tenants/{id}/toggle", post(tenants::toggle))
        .route("/backoffice/tenants/{id}/delete", post(tenants::delete))
        .route(
            "/backoffice/tenants/{id}/provision",
            post(tenants::provision_now),
        )
        .route("/backoffice/users", get(people::users))
        .route("/backoffice/users/{id}", get(people::user))
        .route("/backoffice/users/{id}/toggle", post(people::toggle_user))
        .route("/backoffice/merchants", get(people::merchants))
        .route("/backoffice/merchants/{id}", get(people::merchant))
        .route("/backoffice/audit-logs", get(audit::list))
        .route("/backoffice/audit-logs/{id}", get(audit::show))
        .route(
            "/backoffice/settings",
            get(settings::show).post(settings::save),
        )
        .route_layer(middleware::from_fn_with_state(state, guard))
}

/// True when the request's host may serve the BackOffice: `admin.{BASE_DOMAIN}` or the bare
/// domain (never a tenant's subdomain or custom domain).
fn console_host(req: &Request, base_domain: &str) -> bool {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("");
    matches!(
        classify_host(host, base_domain),
        HostKind::BackOffice | HostKind::Platform
    )
}

/// Middleware on every BackOffice route: 404 unless the site is the BackOffice on a console
/// host; answers are never cached and never indexed.
pub async fn guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let is_console = matches!(req.extensions().get::<Site>(), Some(Site::BackOffice))
        && console_host(&req, &state.settings.base_domain);
    if !is_console {
        return PageError::not_found().into_response();
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    res
}

/// Middleware for the whole app (inside site resolution): `admin.{BASE_DOMAIN}/` sends the
/// browser to the console.
pub async fn admin_root(req: Request, next: Next) -> Response {
    if req.uri().path() == "/" && matches!(req.extensions().get::<Site>(), Some(Site::BackOffice)) {
        return Redirect::to("/backoffice").into_response();
    }
    next.run(req).await
}

/// A signed-in platform operator.
#[derive(Debug, Clone)]
pub struct Operator {
    pub user: BackOfficeUser,
    pub session: Session,
    /// The audit actor: SUPERADMIN, the operator's id, address and user agent.
    pub actor: Actor,
}

impl Operator {
    pub fn csrf(&self) -> &str {
        &self.session.data.csrf
    }

    /// The operator of a request's BackOffice session, if there is one.
    pub async fn from_parts(
        state: &AppState,
        parts: &Parts,
    ) -> Result<Option<Operator>, PageError> {
        if !matches!(parts.extensions.get::<Site>(), Some(Site::BackOffice)) {
            return Ok(None);
        }
        let session = match parts.extensions.get::<Session>() {
            Some(s) => Some(s.clone()),
            None => session::load(state, &parts.headers).await?,
        };
        let Some(session) = session else {
            return Ok(None);
        };
        if session.data.kind != SessionKind::Backoffice || session.data.tenant.is_some() {
            return Ok(None);
        }
        let Some(user) = state
            .store
            .backoffice_user_by_id(session.data.user)
            .await?
            .filter(|u| u.is_active)
        else {
            return Ok(None);
        };
        let actor = Actor {
            user_id: Some(user.id),
            ..request_actor(parts, UserType::Superadmin)
        };
        Ok(Some(Operator {
            user,
            session,
            actor,
        }))
    }
}

impl FromRequestParts<AppState> for Operator {
    /// Anyone else is sent to the sign-in page.
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Operator::from_parts(state, parts).await {
            Ok(Some(op)) => Ok(op),
            Ok(None) => Err(Redirect::to("/backoffice/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// What the console's layout shows around every page.
pub struct Nav {
    pub site_name: String,
    pub operator: String,
    pub csrf: String,
    /// The current section, for `aria-current`.
    pub section: &'static str,
    /// A one-line confirmation of what the last action did.
    pub notice: Option<String>,
}

impl Nav {
    pub async fn new(state: &AppState, op: &Operator, section: &'static str) -> Nav {
        let site_name = state
            .store
            .system_settings()
            .await
            .map(|s| s.site_name)
            .unwrap_or_else(|_| "QMS".into());
        Nav {
            site_name,
            operator: op.user.email.clone(),
            csrf: op.csrf().to_string(),
            section,
            notice: None,
        }
    }

    /// With the confirmation named by a `done` query value (a fixed message, never echoed
    /// input).
    pub fn done(mut self, done: Option<&str>) -> Nav {
        self.notice = done.and_then(done_message).map(str::to_string);
        self
    }

    pub fn is(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
}

fn done_message(key: &str) -> Option<&'static str> {
    Some(match key {
        "updated" => "Changes saved.",
        "activated" => "The tenant is active again.",
        "deactivated" => "The tenant is switched off: its site answers 404.",
        "deleted" => "The tenant and all its data are deleted.",
        "provisioned" => "Provisioning was attempted; see its status below.",
        "user-activated" => "The account is active again.",
        "user-deactivated" => "The account is switched off and signed out everywhere.",
        "settings" => "Settings saved.",
        "totp-on" => "Two-factor sign-in is on.",
        "totp-off" => "Two-factor sign-in is off.",
        _ => return None,
    })
}

/// A date and time for people: `2026-11-26 07:30 UTC`.
pub fn fmt_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

pub fn fmt_opt_time(t: Option<OffsetDateTime>) -> String {
    t.map(fmt_time).unwrap_or_else(|| "—".into())
}

/// Paging links for a list, keeping its filters.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// Rows per page of every list.
pub const PAGE_SIZE: i64 = 25;

impl Pager {
    /// `filters` are the list's query pairs without `page`.
    pub fn new(path: &str, filters: &[(&str, String)], page: i64, total: i64) -> Pager {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let link = |p: i64| {
            let mut pairs: Vec<(&str, String)> = filters
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            pairs.push(("page", p.to_string()));
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(&pairs).unwrap_or_default()
            )
        };
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// The 1-based page number of a query value.
pub fn page_of(v: Option<&str>) -> i64 {
    v.and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_keep_filters_and_stop_at_the_ends() {
        let p = Pager::new(
            "/backoffice/tenants",
            &[("q", "a b".into()), ("plan", String::new())],
            2,
            60,
        );
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev.as_deref(), Some("/backoffice/tenants?q=a+b&page=1"));
        assert_eq!(p.next.as_deref(), Some("/backoffice/tenants?q=a+b&page=3"));
        let one = Pager::new("/x", &[], 1, 0);
        assert_eq!((one.pages, one.prev, one.next), (1, None, None));
    }

    #[test]
    fn times_are_shown_in_utc() {
        let t = time::macros::datetime!(2026-11-26 15:30 +08:00);
        assert_eq!(fmt_time(t), "2026-11-26 07:30 UTC");
    }
}
