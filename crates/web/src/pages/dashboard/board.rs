//! `GET /dashboard/queues`: the live board. The server renders every queue's waiting line,
//! called and seated lanes (first paint, no script needed to see them); `static/board.js`
//! then keeps it live over Socket.IO and acts through the JSON API.

use super::{Nav, Section, minutes_since, party_band};
use crate::error::PageError;
use crate::pages::StaffPage;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qms_store::QueueEntry;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One customer's row.
pub struct Row {
    pub id: String,
    pub session: String,
    pub ticket: String,
    pub name: String,
    pub party: i32,
    pub band: &'static str,
    pub notes: String,
    /// Minutes since joining (waiting), being called (called) or being seated (seated).
    pub minutes: i64,
    /// The instant `minutes` counts from, RFC 3339, for the script's clock.
    pub since: String,
}

impl Row {
    fn of(e: &QueueEntry, since: OffsetDateTime) -> Row {
        let notes = [e.notes.as_deref(), e.special_requests.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        Row {
            id: e.id.to_string(),
            session: e.session_id.clone(),
            ticket: e.ticket_number.clone(),
            name: e.customer_name.clone(),
            party: e.party_size,
            band: party_band(e.party_size),
            notes,
            minutes: minutes_since(since),
            since: since.format(&Rfc3339).unwrap_or_default(),
        }
    }
}

/// One queue's panel.
pub struct Panel {
    pub id: String,
    pub name: String,
    pub accepting: bool,
    pub active: bool,
    pub waiting: i64,
    pub wait_minutes: i32,
    pub waiting_rows: Vec<Row>,
    pub called_rows: Vec<Row>,
    pub seated_rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "dashboard/board.html")]
struct BoardPage {
    nav: Nav,
    merchant_id: String,
    panels: Vec<Panel>,
}

pub async fn page(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
) -> Result<Response, PageError> {
    let nav = Nav::build(&state, &staff, Section::Board).await?;
    let board = match crate::api::board::read(&state, &staff).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e.message, "board read failed");
            return Ok(PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please reload the page.",
            )
            .into_response());
        }
    };
    let panels = board
        .queues
        .iter()
        .map(|q| Panel {
            id: q.queue.id.to_string(),
            name: q.queue.settings.name.clone(),
            accepting: q.queue.settings.accepting_customers,
            active: q.queue.settings.is_active,
            waiting: q.stats.waiting,
            wait_minutes: q.stats.average_wait_time,
            waiting_rows: q.entries.iter().map(|e| Row::of(e, e.joined_at)).collect(),
            called_rows: q
                .called
                .iter()
                .map(|e| Row::of(e, e.called_at.unwrap_or(e.joined_at)))
                .collect(),
            seated_rows: q
                .seated
                .iter()
                .map(|e| Row::of(e, e.served_at.unwrap_or(e.joined_at)))
                .collect(),
        })
        .collect();
    Ok(render_status(
        StatusCode::OK,
        &BoardPage {
            nav,
            merchant_id: board.merchant_id.map(|m| m.to_string()).unwrap_or_default(),
            panels,
        },
    ))
}
