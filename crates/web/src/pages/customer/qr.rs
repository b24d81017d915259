//! The QR code of a queue's join page (`GET /queue/:id/qr.svg`) and a printable poster around
//! it (`GET /queue/:id/poster`) for staff to put up at the door.

use super::{CustomerSite, MessagePage, Shell, merchant_of, render};
use crate::error::PageError;
use crate::i18n::{Chosen, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qms_store::{Queue, Tenant};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use uuid::Uuid;

/// The absolute address of the join page, on the host the request came to (a tenant's own
/// domain stays its own domain).
pub fn join_url(state: &AppState, headers: &HeaderMap, queue: Uuid) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let secure =
        crate::session::is_secure(state, headers, !state.settings.trusted_proxies.is_empty());
    let scheme = if secure { "https" } else { "http" };
    format!("{scheme}://{host}/queue/{queue}")
}

/// The QR code of `text` as an SVG document (error correction M: survives a smudge).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(256, 256)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
    )
}

/// An active queue of this tenant, by the id in the path.
async fn active_queue(
    state: &AppState,
    tenant: &Tenant,
    id: &str,
) -> Result<Option<Queue>, PageError> {
    let Ok(id) = id.parse::<Uuid>() else {
        return Ok(None);
    };
    Ok(state
        .store
        .queue(tenant.id, id)
        .await?
        .filter(|q| q.settings.is_active))
}

/// `GET /queue/:id/qr.svg`.
pub async fn svg(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let queue = active_queue(&state, &tenant, &id)
        .await?
        .ok_or_else(PageError::not_found)?;
    let body = qr_svg(&join_url(&state, &headers, queue.id)).ok_or_else(PageError::not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "customer/poster.html")]
struct PosterPage {
    t: Tr,
    shell: Shell,
    queue_id: Uuid,
    queue_name: String,
    url: String,
}

/// `GET /queue/:id/poster`: an A4 page with the business, the queue, the QR code and the
/// address, in the reader's language.
pub async fn poster(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    Path(id): Path<String>,
    headers: HeaderMap,
    chosen: Chosen,
) -> Result<Response, PageError> {
    let path = format!("/queue/{id}/poster");
    let Some(queue) = active_queue(&state, &tenant, &id).await? else {
        let t = chosen.tr();
        return Ok(MessagePage {
            t,
            shell: Shell::new(&tenant, None, &path, chosen.lang),
            title: t.t("poster.title").into(),
            message: t.t("join.not_found").into(),
            link: Some(("/".into(), t.t("common.back_home").into())),
        }
        .respond(StatusCode::NOT_FOUND, &chosen));
    };
    let merchant = merchant_of(&state, &tenant, Some(queue.merchant_id)).await?;
    let page = PosterPage {
        t: chosen.tr(),
        shell: Shell::new(&tenant, merchant.as_ref(), &path, chosen.lang),
        queue_id: queue.id,
        url: join_url(&state, &headers, queue.id),
        queue_name: queue.settings.name,
    };
    Ok(render(StatusCode::OK, &chosen, &page))
}
