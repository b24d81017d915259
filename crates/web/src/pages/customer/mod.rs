//! The customer pages on a tenant's host (TSD §3.4, §6.1): the business's queues (`/`), the
//! join form (`/queue/:id`), the live status of a place (`/queue/status/:sessionId`), the chat
//! (`/webchat`), the queue's QR code and printable poster, and the per-tenant brand colours
//! (`/brand.css`).
//!
//! Every page works without JavaScript (forms post to page routes and redirect with 303; the
//! status page refreshes itself every 30 s inside `<noscript>`); `static/customer.js` adds the
//! live updates over Socket.IO, the chat, alerts and session recovery. Texts come from
//! [`crate::i18n`]. The place's session id is kept in the `qms_place` cookie (and, by the
//! script, in `localStorage`).

pub mod brand;
mod home;
mod join;
pub mod qr;
mod status;

pub use home::home;

use crate::error::PageError;
use crate::i18n::{Chosen, Lang, Tr};
use crate::state::AppState;
use crate::tenancy::Site;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use qms_store::{Merchant, Tenant};

/// The customer routes (tenant hosts only).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/brand.css", get(brand::stylesheet))
        .route("/queue/{id}", get(join::page).post(join::submit))
        .route("/queue/{id}/qr.svg", get(qr::svg))
        .route("/queue/{id}/poster", get(qr::poster))
        .route("/queue/status/{session_id}", get(status::page))
        .route("/queue/status/{session_id}/cancel", post(status::cancel))
        .route("/webchat", get(status::webchat))
}

/// The tenant of a customer page; any other site answers the HTML 404 page.
pub struct CustomerSite(pub Tenant);

impl<S: Send + Sync> FromRequestParts<S> for CustomerSite {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Site::from_request_parts(parts, state).await {
            Ok(Site::Tenant(t)) => Ok(CustomerSite(t)),
            _ => Err(PageError::tenant_not_found()),
        }
    }
}

/// A link of the language switcher.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// What the frame of every customer page shows: the business and its branding, the language
/// switcher.
pub struct Shell {
    pub business_name: String,
    pub logo_url: Option<String>,
    pub banner_url: Option<String>,
    /// Changes with the brand colour, so `/brand.css?v=…` can be cached for long.
    pub brand_version: String,
    pub theme_color: String,
    pub langs: Vec<LangLink>,
}

impl Shell {
    /// `path` is the page's own path, for the switcher's links.
    pub fn new(tenant: &Tenant, merchant: Option<&Merchant>, path: &str, lang: Lang) -> Shell {
        let palette = brand::Palette::of(merchant.and_then(|m| m.brand_color.as_deref()));
        Shell {
            business_name: merchant
                .map(|m| m.business_name.clone())
                .unwrap_or_else(|| tenant.name.clone()),
            logo_url: merchant.and_then(|m| own_image(m.logo_url.as_deref())),
            banner_url: merchant.and_then(|m| own_image(m.banner_image_url.as_deref())),
            brand_version: palette.version(),
            theme_color: palette.brand_hex(),
            langs: Lang::ALL
                .into_iter()
                .map(|l| LangLink {
                    code: l.code(),
                    name: l.native_name(),
                    href: format!("{path}?lang={}", l.code()),
                    current: l == lang,
                })
                .collect(),
        }
    }
}

/// An image URL the page may show: our own paths (and `data:` images). The CSP allows only
/// those, and a customer page makes no third-party request.
fn own_image(url: Option<&str>) -> Option<String> {
    let url = url?.trim();
    let own = url.starts_with('/') && !url.starts_with("//") && !url.contains('\\');
    let data = ["png", "jpeg", "gif", "webp", "svg+xml"]
        .iter()
        .any(|k| url.starts_with(&format!("data:image/{k};base64,")));
    (own || data).then(|| url.to_string())
}

/// The merchant that runs a queue, or the tenant's first one.
pub async fn merchant_of(
    state: &AppState,
    tenant: &Tenant,
    merchant_id: Option<uuid::Uuid>,
) -> Result<Option<Merchant>, PageError> {
    let merchants = state.store.merchants(tenant.id).await?;
    let found = merchant_id.and_then(|id| merchants.iter().find(|m| m.id == id).cloned());
    Ok(found.or_else(|| merchants.into_iter().next()))
}

/// The cookie that remembers the customer's place on this host.
pub const PLACE_COOKIE: &str = "qms_place";

/// A session id as the store makes them (hex), before it is looked up.
pub fn valid_session_id(id: &str) -> bool {
    (16..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The session id in the `qms_place` cookie, if any.
pub fn place_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == PLACE_COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| valid_session_id(v))
}

/// `Set-Cookie` for the customer's place: host-only, HttpOnly, Lax, a day long.
pub fn set_place_cookie(state: &AppState, headers: &HeaderMap, session_id: &str) -> HeaderValue {
    let secure =
        crate::session::is_secure(state, headers, !state.settings.trusted_proxies.is_empty());
    let value = format!(
        "{PLACE_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Renders a customer template with its language cookie and `Vary` headers.
pub fn render(status: StatusCode, chosen: &Chosen, page: &impl askama::Template) -> Response {
    chosen.apply(crate::pages::render_status(status, page))
}

/// A customer-facing error page, in the customer's language and the business's colours.
#[derive(askama::Template)]
#[template(path = "customer/message.html")]
pub struct MessagePage {
    pub t: Tr,
    pub shell: Shell,
    pub title: String,
    pub message: String,
    pub link: Option<(String, String)>,
}

impl MessagePage {
    pub fn respond(self, status: StatusCode, chosen: &Chosen) -> Response {
        render(status, chosen, &self)
    }
}

/// "Opens today at 09:00" for a queue closed until `at`, in the merchant's time zone.
pub fn opens_text(t: &Tr, at: time::OffsetDateTime, timezone: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let local = qms_domain::queue::local_time(at, timezone, now);
    match local.days_ahead {
        d if d <= 0 => t.f("closed.today", &local.time),
        1 => t.f("closed.tomorrow", &local.time),
        _ => t.f2("closed.later", &local.date, &local.time),
    }
}

/// Whether a queue takes customers now, as the customer is told.
pub enum Availability {
    Open,
    Full,
    /// Closed by staff or by the clock; the text says until when if known.
    Closed(String),
}

/// A queue's availability at this moment (the store makes the same checks when joining).
pub fn availability(
    t: &Tr,
    queue: &qms_store::Queue,
    waiting: i64,
    timezone: &str,
) -> Availability {
    let s = &queue.settings;
    if !s.is_active || !s.accepting_customers {
        return Availability::Closed(t.t("closed.paused").to_string());
    }
    if let qms_domain::queue::Opening::ClosedUntil(at) = qms_domain::queue::opening_at(
        &s.business_hours_start,
        &s.business_hours_end,
        timezone,
        time::OffsetDateTime::now_utc(),
    ) {
        return Availability::Closed(opens_text(t, at, timezone));
    }
    if waiting >= i64::from(s.max_capacity) {
        return Availability::Full;
    }
    Availability::Open
}

/// The page error for a failure the customer cannot act on, in their language.
pub fn failure(e: qms_store::StoreError, tenant: &Tenant, path: &str, chosen: &Chosen) -> Response {
    let page = PageError::from(e);
    let t = chosen.tr();
    MessagePage {
        t,
        shell: Shell::new(tenant, None, path, chosen.lang),
        title: t.t("common.error_title").to_string(),
        message: t.t("common.error_retry").to_string(),
        link: Some(("/".into(), t.t("common.back_home").to_string())),
    }
    .respond(page.status, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_own_images_are_shown() {
        assert_eq!(
            own_image(Some("/uploads/logo.png")).as_deref(),
            Some("/uploads/logo.png")
        );
        assert_eq!(own_image(Some("https://cdn.example/logo.png")), None);
        assert_eq!(own_image(Some("//cdn.example/logo.png")), None);
        assert!(own_image(Some("data:image/png;base64,AAAA")).is_some());
        assert_eq!(own_image(Some("javascript:alert(1)")), None);
        assert_eq!(own_image(None), None);
    }

    #[test]
    fn session_ids_are_hex() {
        assert!(valid_session_id(&"a1".repeat(16)));
        assert!(!valid_session_id("short"));
        assert!(!valid_session_id(&"z".repeat(32)));
    }
}
