//! `GET /dashboard/analytics` (MANAGER and above): today's and this week's counts and average
//! waits, per queue and day by day, from the queue entries already recorded.

use super::{Nav, Section, guard};
use crate::api::reports::{self, Period, Report};
use crate::error::PageError;
use crate::pages::StaffPage;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;

#[derive(Template)]
#[template(path = "dashboard/analytics.html")]
struct AnalyticsPage {
    nav: Nav,
    today: Report,
    week: Report,
}

impl AnalyticsPage {
    fn reports(&self) -> [(&'static str, &Report); 2] {
        [("Today", &self.today), ("This week", &self.week)]
    }

    fn wait(&self, minutes: &Option<f64>) -> String {
        minutes
            .map(|m| format!("{m} min"))
            .unwrap_or_else(|| "—".into())
    }

    fn rate(&self, percent: &Option<f64>) -> String {
        percent
            .map(|r| format!("{r}%"))
            .unwrap_or_else(|| "—".into())
    }
}

pub async fn page(
    State(state): State<AppState>,
    StaffPage(staff): StaffPage,
) -> Result<Response, PageError> {
    if let Err(r) = guard(&state, &staff, Section::Analytics).await {
        return Ok(r);
    }
    let nav = Nav::build(&state, &staff, Section::Analytics).await?;
    let now = OffsetDateTime::now_utc();
    let failed = |e: crate::error::ApiError| {
        tracing::error!(error = %e.message, "report failed");
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again in a moment.",
        )
    };
    let today = reports::report(&state, staff.tenant, Period::Today, now)
        .await
        .map_err(failed)?;
    let week = match reports::report(&state, staff.tenant, Period::Week, now).await {
        Ok(w) => w,
        Err(e) => return Ok(failed(e).into_response()),
    };
    Ok(render_status(
        StatusCode::OK,
        &AnalyticsPage { nav, today, week },
    ))
}
