//! The QMS web application: an axum [`Router`] serving the API, the pages and the operations
//! endpoints for every tenant from one process. Build it with [`app`], serve it with [`serve`].
//!
//! Layers, outermost first: request id → tracing span → metrics → CORS → Socket.IO (`/socket.io/`,
//! see [`realtime`]) → security headers → compression → body limit → site resolution (tenant by
//! host) → routes.

pub mod api;
pub mod assets;
pub mod auth;
pub mod backoffice;
pub mod client;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod jobs;
pub mod limits;
pub mod mail;
pub mod ops;
pub mod pages;
pub mod provision;
pub mod realtime;
pub mod session;
pub mod settings;
pub mod state;
pub mod tenancy;
pub mod uploads;

pub use settings::{Environment, Settings};
pub use state::AppState;

use axum::extract::{DefaultBodyLimit, Request};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Router, middleware};
use std::future::Future;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// Largest request body accepted (JSON and forms); larger ones answer 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Builds the whole application.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(pages::home))
        .route(
            "/auth/login",
            get(pages::auth::login_page).post(pages::auth::login_submit),
        )
        .route("/auth/logout", post(pages::auth::logout))
        .route(
            "/auth/forgot-password",
            get(pages::auth::forgot_page).post(pages::auth::forgot_submit),
        )
        .route(
            "/auth/reset-password",
            get(pages::auth::reset_page).post(pages::auth::reset_submit),
        )
        .route(
            "/auth/accept-invite",
            get(pages::auth::invite_page).post(pages::auth::invite_submit),
        )
        .route("/static/{*path}", get(assets::serve))
        .merge(pages::customer::router())
        .merge(pages::dashboard::router())
        .merge(api::router())
        .merge(backoffice::router(state.clone()))
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", api::ApiDoc::openapi()))
        .fallback(fallback)
        .layer(middleware::from_fn(backoffice::admin_root))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::protect))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            tenancy::resolve_site,
        ))
        .route("/api/health", get(ops::health))
        .route("/metrics", get(ops::metrics))
        .route("/internal/domain-allowed", get(provision::domain_allowed));
    let routes = routes
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            ops::security_headers,
        ));
    // Socket.IO answers `/socket.io/` before the routes; CORS stays outside it.
    state
        .realtime
        .layer(routes)
        .layer(ops::cors(&state.settings.base_domain))
        .layer(middleware::from_fn(ops::track_metrics))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let request_id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %request_id, tenant = tracing::field::Empty)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn fallback(req: Request) -> axum::response::Response {
    if req.uri().path().starts_with("/api/") {
        error::ApiError::not_found("route").into_response()
    } else {
        error::PageError::not_found().into_response()
    }
}

/// Serves the app on `listener` until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits.clone();
    let pruner = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            limits.prune();
        }
    });
    let jobs = jobs::spawn(state.clone());
    // Sockets are closed first: long-polling requests and websockets would hold shutdown up.
    let realtime = state.realtime.clone();
    let shutdown = async move {
        shutdown.await;
        realtime.close().await;
    };
    let app = app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    pruner.abort();
    jobs.abort();
    served
}
