//! A customer's place: `GET /queue/status/:sessionId` (ticket, place in line, estimate, status,
//! leave button, chat), `POST /queue/status/:sessionId/cancel` (leave, then 303 back), and
//! `GET /webchat` (the chat of this device's place, found from the `qms_place` cookie or, by
//! the script, from `localStorage`).

use super::{
    CustomerSite, MessagePage, Shell, failure, merchant_of, place_cookie, render, set_place_cookie,
    valid_session_id,
};
use crate::auth::Client;
use crate::error::PageError;
use crate::i18n::{Chosen, Tr};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use qms_domain::EntryStatus;
use qms_store::{QueueEntry, StoreError, Tenant};

#[derive(Template)]
#[template(path = "customer/status.html")]
struct StatusPage {
    t: Tr,
    shell: Shell,
    entry: QueueEntry,
    queue_name: String,
    status: &'static str,
    headline: String,
    detail: Option<String>,
    ahead: String,
    wait: String,
    /// Still waiting or called: the page refreshes (without JS) and listens (with JS).
    live: bool,
    can_cancel: bool,
    error: Option<String>,
}

/// The place's headline and the line under it, by status.
fn wording(t: &Tr, entry: &QueueEntry) -> (String, Option<String>) {
    match entry.status {
        EntryStatus::Waiting => (t.t("status.waiting").into(), None),
        EntryStatus::Called => (
            t.t("status.called").into(),
            Some(t.f("status.called_text", &entry.ticket_number)),
        ),
        EntryStatus::Seated => (t.t("status.seated").into(), None),
        EntryStatus::Completed => (t.t("status.completed").into(), None),
        EntryStatus::Cancelled => (t.t("status.cancelled").into(), None),
        EntryStatus::NoShow => (
            t.t("status.no_show").into(),
            Some(t.t("status.no_show_text").into()),
        ),
    }
}

/// "2 people ahead of you" for place `position` (1 = next).
pub fn ahead_text(t: &Tr, position: i64) -> String {
    match position - 1 {
        n if n <= 0 => t.t("status.ahead_none").into(),
        1 => t.t("status.ahead_one").into(),
        n => t.f("status.ahead_many", n),
    }
}

fn not_found(tenant: &Tenant, path: &str, chosen: &Chosen) -> Response {
    let t = chosen.tr();
    MessagePage {
        t,
        shell: Shell::new(tenant, None, path, chosen.lang),
        title: t.t("status.not_found_title").into(),
        message: t.t("status.not_found").into(),
        link: Some(("/".into(), t.t("common.back_home").into())),
    }
    .respond(StatusCode::NOT_FOUND, chosen)
}

/// Renders the place of `session_id` with an optional error (from a refused cancel).
async fn show(
    state: &AppState,
    tenant: &Tenant,
    session_id: &str,
    headers: &HeaderMap,
    chosen: &Chosen,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let path = format!("/queue/status/{session_id}");
    if !valid_session_id(session_id) {
        return not_found(tenant, &path, chosen);
    }
    let entry = match state.store.entry_by_session(tenant.id, session_id).await {
        Ok(Some(e)) => e,
        Ok(None) => return not_found(tenant, &path, chosen),
        Err(e) => return failure(e, tenant, &path, chosen),
    };
    let queue = match state.store.queue(tenant.id, entry.queue_id).await {
        Ok(q) => q,
        Err(e) => return failure(e, tenant, &path, chosen),
    };
    let merchant = match merchant_of(state, tenant, queue.as_ref().map(|q| q.merchant_id)).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let t = chosen.tr();
    let (headline, detail) = wording(&t, &entry);
    let page = StatusPage {
        t,
        shell: Shell::new(tenant, merchant.as_ref(), &path, chosen.lang),
        queue_name: queue
            .as_ref()
            .map(|q| q.settings.name.clone())
            .unwrap_or_default(),
        status: entry.status.as_str(),
        headline,
        detail,
        ahead: ahead_text(&t, entry.position),
        wait: t.f("status.wait", entry.estimated_wait_time),
        live: entry.status.is_active(),
        can_cancel: entry.status.is_active()
            && queue
                .as_ref()
                .is_some_and(|q| q.settings.allow_cancellation),
        error,
        entry,
    };
    let mut response = render(status, chosen, &page);
    // Opening the link on a device makes it this device's place (for `/` and `/webchat`).
    if place_cookie(headers).as_deref() != Some(session_id) {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_place_cookie(state, headers, session_id),
        );
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// `GET /queue/status/:sessionId`.
pub async fn page(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    Path(session_id): Path<String>,
    headers: HeaderMap,
    chosen: Chosen,
) -> Response {
    show(
        &state,
        &tenant,
        &session_id,
        &headers,
        &chosen,
        StatusCode::OK,
        None,
    )
    .await
}

/// `POST /queue/status/:sessionId/cancel`: the customer leaves the line (when the queue allows
/// it), then sees their page again.
pub async fn cancel(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    Client(actor): Client,
    Path(session_id): Path<String>,
    headers: HeaderMap,
    chosen: Chosen,
) -> Response {
    let path = format!("/queue/status/{session_id}");
    if !valid_session_id(&session_id) {
        return not_found(&tenant, &path, &chosen);
    }
    let t = chosen.tr();
    let (status, message) = match state
        .store
        .cancel_by_customer(tenant.id, &session_id, &actor)
        .await
    {
        Ok(entry) => {
            // Staff boards and the customers behind see the place free up at once.
            crate::realtime::events::queue_changed(
                &state,
                tenant.id,
                entry.queue_id,
                crate::realtime::events::Action::Cancelled,
                vec![entry],
            )
            .await;
            return Redirect::to(&path).into_response();
        }
        Err(StoreError::NotFound) => return not_found(&tenant, &path, &chosen),
        Err(StoreError::CancellationNotAllowed) => {
            (StatusCode::FORBIDDEN, t.t("status.leave_not_allowed"))
        }
        Err(StoreError::InvalidTransition(_)) => {
            (StatusCode::CONFLICT, t.t("status.leave_too_late"))
        }
        Err(e) => return failure(e, &tenant, &path, &chosen),
    };
    show(
        &state,
        &tenant,
        &session_id,
        &headers,
        &chosen,
        status,
        Some(message.to_string()),
    )
    .await
}

#[derive(Template)]
#[template(path = "customer/webchat.html")]
struct WebchatPage {
    t: Tr,
    shell: Shell,
    /// This device's place, when the cookie names one.
    entry: Option<QueueEntry>,
    queue_name: String,
}

/// `GET /webchat`: the chat of this device's place.
pub async fn webchat(
    State(state): State<AppState>,
    CustomerSite(tenant): CustomerSite,
    headers: HeaderMap,
    chosen: Chosen,
) -> Result<Response, PageError> {
    // Only a place still in line (or called) has a chat to open.
    let entry = match place_cookie(&headers) {
        Some(sid) => state
            .store
            .entry_by_session(tenant.id, &sid)
            .await?
            .filter(|e| e.status.is_active()),
        None => None,
    };
    let queue = match &entry {
        Some(e) => state.store.queue(tenant.id, e.queue_id).await?,
        None => None,
    };
    let merchant = merchant_of(&state, &tenant, queue.as_ref().map(|q| q.merchant_id)).await?;
    let page = WebchatPage {
        t: chosen.tr(),
        shell: Shell::new(&tenant, merchant.as_ref(), "/webchat", chosen.lang),
        entry,
        queue_name: queue.map(|q| q.settings.name).unwrap_or_default(),
    };
    let mut response = render(StatusCode::OK, &chosen, &page);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
