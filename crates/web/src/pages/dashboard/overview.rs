//! `GET /dashboard`: today at a glance — customers waiting now, today's average wait, served
//! customers and no-show rate, and the head of each queue's line. `board.js` keeps it live.

use super::{Nav, Section, minutes_since, party_band};
use crate::api::reports::{self, Period};
use crate::error::PageError;
use crate::pages::StaffPage;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use qms_domain::EntryStatus;
use time::OffsetDateTime;

/// How many customers of each line the overview shows.
const HEAD: usize = 5;

pub struct LineRow {
    pub ticket: String,
    pub name: String,
    pub party: i32,
    pub band: &'static str,
    pub waited: i64,
}

pub struct QueueCard {
    pub id: String,
    pub name: String,
    pub accepting: bool,
    pub active: bool,
    pub waiting: i64,
    pub called: i64,
    pub wait_minutes: i32,
    pub next: Vec<LineRow>,
}

#[derive(Template)]
#[template(path = "dashboard/overview.html")]
struct Overview {
    nav: Nav,
    merchant_id: String,
    waiting: i64,
    average_wait: String,
    served: i64,
    no_show_rate: String,
    queues: Vec<QueueCard>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
) -> Result<Response, PageError> {
    let nav = Nav::build(&state, &staff, Section::Overview).await?;
    let merchant_id = state
        .store
        .merchants(staff.tenant)
        .await?
        .first()
        .map(|m| m.id.to_string())
        .unwrap_or_default();
    let summaries = state.store.list_queues(staff.tenant).await?;
    let mut queues = Vec::with_capacity(summaries.len());
    for s in &summaries {
        let line = state
            .store
            .queue_entries(staff.tenant, s.queue.id, &[EntryStatus::Waiting])
            .await?;
        queues.push(QueueCard {
            id: s.queue.id.to_string(),
            name: s.queue.settings.name.clone(),
            accepting: s.queue.settings.accepting_customers,
            active: s.queue.settings.is_active,
            waiting: s.stats.waiting,
            called: s.stats.called,
            wait_minutes: s.stats.average_wait_time,
            next: line
                .iter()
                .take(HEAD)
                .map(|e| LineRow {
                    ticket: e.ticket_number.clone(),
                    name: e.customer_name.clone(),
                    party: e.party_size,
                    band: party_band(e.party_size),
                    waited: minutes_since(e.joined_at),
                })
                .collect(),
        });
    }
    let today = reports::report(
        &state,
        staff.tenant,
        Period::Today,
        OffsetDateTime::now_utc(),
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e.message, "today's report failed");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        )
    })?;
    let t = today.totals;
    Ok(render_status(
        StatusCode::OK,
        &Overview {
            nav,
            merchant_id,
            waiting: summaries.iter().map(|s| s.stats.waiting).sum(),
            average_wait: t
                .average_wait_minutes
                .map(|m| format!("{m} min"))
                .unwrap_or_else(|| "—".into()),
            served: t.served,
            no_show_rate: t
                .no_show_rate
                .map(|r| format!("{r}%"))
                .unwrap_or_else(|| "—".into()),
            queues,
        },
    ))
}
