//! The JSON API under `/api`, and its OpenAPI description (`/api/openapi.json`, `/api/docs`).

pub mod account;
pub mod board;
pub mod entries;
pub mod merchant;
pub mod queues;
pub mod reports;
pub mod templates;
pub mod users;

use crate::realtime::webchat;
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post, put};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "QMS API", description = "Queue management: queues, customers' places and staff moves. Every route is served on the tenant's own host ({slug}.{BASE_DOMAIN})."),
    paths(
        account::login, account::logout, account::current, account::forgot_password, account::reset_password,
        account::accept_invite, account::change_password,
        users::list, users::invite, users::update, users::remove, users::audit_logs,
        queues::list, queues::create, queues::get, queues::update, queues::delete, queues::toggle,
        queues::list_service_types, queues::create_service_type, queues::update_service_type, queues::delete_service_type,
        entries::join, entries::status, entries::cancel_own, entries::move_entry, entries::call_next,
        entries::call_bulk, entries::reorder,
        board::get, merchant::get, merchant::update, merchant::update_hours, merchant::update_branding, merchant::upload_logo, merchant::remove_logo,
        templates::list, templates::create, templates::update, templates::delete, templates::send, templates::history, reports::dashboard,
        crate::realtime::webchat::send_route, crate::realtime::webchat::history_route,
        crate::realtime::webchat::recovery_route,
    ),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "queues"), (name = "customers"), (name = "staff"), (name = "users"), (name = "business"), (name = "messages"), (name = "analytics"), (name = "webchat"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The tenant API routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(account::login))
        .route("/api/auth/logout", post(account::logout))
        .route("/api/auth/session", get(account::current))
        .route("/api/auth/forgot-password", post(account::forgot_password))
        .route("/api/auth/reset-password", post(account::reset_password))
        .route("/api/auth/accept-invite", post(account::accept_invite))
        .route("/api/auth/change-password", post(account::change_password))
        .route("/api/users", get(users::list).post(users::invite))
        .route("/api/users/{id}", put(users::update).delete(users::remove))
        .route("/api/audit-logs", get(users::audit_logs))
        .route("/api/queues", get(queues::list).post(queues::create))
        .route(
            "/api/queues/{id}",
            get(queues::get).put(queues::update).delete(queues::delete),
        )
        .route("/api/queues/{id}/toggle", post(queues::toggle))
        .route("/api/queues/{id}/join", post(entries::join))
        .route("/api/queues/{id}/call-next", post(entries::call_next))
        .route("/api/queues/{id}/call-bulk", post(entries::call_bulk))
        .route("/api/queues/{id}/order", put(entries::reorder))
        .route(
            "/api/queues/{id}/{action}/{entry_id}",
            post(entries::move_entry),
        )
        .route("/api/queues/entry/{session_id}", get(entries::status))
        .route(
            "/api/queues/entry/{session_id}/cancel",
            post(entries::cancel_own),
        )
        .route(
            "/api/service-types",
            get(queues::list_service_types).post(queues::create_service_type),
        )
        .route(
            "/api/service-types/{id}",
            put(queues::update_service_type).delete(queues::delete_service_type),
        )
        .route("/api/queue/webchat/send", post(webchat::send_route))
        .route("/api/queue/webchat/recovery", post(webchat::recovery_route))
        .route(
            "/api/queue/webchat/{session_id}",
            get(webchat::history_route),
        )
        .merge(dashboard_routes())
}

/// The routes the staff dashboard adds: the board in one read, business settings, the logo,
/// quick-message templates, notification history and activity reports.
fn dashboard_routes() -> Router<AppState> {
    Router::new()
        .route("/api/board", get(board::get))
        .route("/api/merchant", get(merchant::get).put(merchant::update))
        .route("/api/merchant/hours", put(merchant::update_hours))
        .route("/api/merchant/branding", put(merchant::update_branding))
        .route(
            "/api/merchant/logo",
            post(merchant::upload_logo)
                .delete(merchant::remove_logo)
                .layer(axum::extract::DefaultBodyLimit::max(
                    crate::uploads::MAX_LOGO_BYTES + 16 * 1024,
                )),
        )
        .route(
            "/api/notification-templates",
            get(templates::list).post(templates::create),
        )
        .route(
            "/api/notification-templates/{id}",
            put(templates::update).delete(templates::delete),
        )
        .route(
            "/api/notification-templates/{id}/send",
            post(templates::send),
        )
        .route("/api/entries/{id}/notifications", get(templates::history))
        .route("/api/analytics/dashboard", get(reports::dashboard))
}
