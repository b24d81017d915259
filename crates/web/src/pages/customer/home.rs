//! `GET /` on a tenant's host: the business with its open queues, how many wait and how long,
//! a join button each, and "back to your place" when this device is already in a queue.

use super::{Availability, Shell, availability, place_cookie, render};
use crate::error::PageError;
use crate::i18n::{Chosen, Tr};
use crate::state::AppState;
use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use qms_store::Tenant;
use uuid::Uuid;

/// One queue as the list shows it.
pub struct QueueCard {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub waiting: i64,
    pub wait_minutes: i32,
    pub can_join: bool,
    /// Why it cannot be joined now (closed until…, paused, full).
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "customer/home.html")]
struct HomePage {
    t: Tr,
    shell: Shell,
    queues: Vec<QueueCard>,
    /// The status page of this device's place, when it is still in line or called.
    resume: Option<String>,
}

/// The tenant branch of `GET /`.
pub async fn home(
    state: &AppState,
    tenant: Tenant,
    headers: &HeaderMap,
    chosen: Chosen,
) -> Result<Response, PageError> {
    let t = chosen.tr();
    let merchants = state.store.merchants(tenant.id).await?;
    let queues = state.store.list_queues(tenant.id).await?;
    let cards = queues
        .into_iter()
        .filter(|q| q.queue.settings.is_active)
        .map(|q| {
            let tz = merchants
                .iter()
                .find(|m| m.id == q.queue.merchant_id)
                .map(|m| m.timezone.as_str())
                .unwrap_or("UTC");
            let (can_join, notice) = match availability(&t, &q.queue, q.stats.waiting, tz) {
                Availability::Open => (true, None),
                Availability::Full => (false, Some(t.t("home.full").to_string())),
                Availability::Closed(why) => (false, Some(why)),
            };
            QueueCard {
                id: q.queue.id,
                name: q.queue.settings.name,
                description: q.queue.settings.description,
                waiting: q.stats.waiting,
                wait_minutes: q.stats.average_wait_time,
                can_join,
                notice,
            }
        })
        .collect();
    let mut resume = None;
    if let Some(sid) = place_cookie(headers)
        && let Some(entry) = state.store.entry_by_session(tenant.id, &sid).await?
        && entry.status.is_active()
    {
        resume = Some(format!("/queue/status/{}", entry.session_id));
    }
    let page = HomePage {
        t,
        shell: Shell::new(&tenant, merchants.first(), "/", chosen.lang),
        queues: cards,
        resume,
    };
    Ok(render(StatusCode::OK, &chosen, &page))
}
