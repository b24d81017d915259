//! Activity reports from the data already recorded (TSD §3.2 `GET /api/analytics/dashboard`):
//! per queue and in total, what became of the customers who joined today, this week (Monday
//! to today) or in the last seven days, in the merchant's time zone, and how long they waited.

use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Query, State};
use qms_domain::calendar::{self, LocalDay};
use qms_domain::{Role, TenantId};
use qms_store::QueueActivity;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Sums over several queues (or days).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    pub joined: i64,
    pub called: i64,
    pub served: i64,
    pub cancelled: i64,
    pub no_show: i64,
    pub active: i64,
    /// Mean minutes from joining to being called (one decimal); `None` when nobody was called.
    pub average_wait_minutes: Option<f64>,
    /// No-shows among the customers called and no longer waiting for the host: no-shows ÷
    /// (served + no-shows), in percent (one decimal); `None` before the first of either.
    pub no_show_rate: Option<f64>,
}

impl Totals {
    pub fn of(rows: &[QueueActivity]) -> Totals {
        let mut t = Totals::default();
        let mut wait_sum = 0.0;
        let mut wait_n = 0i64;
        for r in rows {
            t.joined += r.joined;
            t.called += r.called;
            t.served += r.served;
            t.cancelled += r.cancelled;
            t.no_show += r.no_show;
            t.active += r.active;
            if let Some(w) = r.average_wait_seconds {
                wait_sum += w * r.called as f64;
                wait_n += r.called;
            }
        }
        t.average_wait_minutes = (wait_n > 0).then(|| round1(wait_sum / wait_n as f64 / 60.0));
        let settled = t.served + t.no_show;
        t.no_show_rate = (settled > 0).then(|| round1(t.no_show as f64 * 100.0 / settled as f64));
        t
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// One queue's line of a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueLine {
    pub queue_id: uuid::Uuid,
    pub queue_name: String,
    #[serde(flatten)]
    pub totals: Totals,
}

/// One day's line of a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DayLine {
    pub date: String,
    pub weekday: String,
    #[serde(flatten)]
    pub totals: Totals,
}

/// A report over a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// `1d`, `week` or `7d`.
    pub period: String,
    pub timezone: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub to: OffsetDateTime,
    pub totals: Totals,
    pub queues: Vec<QueueLine>,
    /// Day by day, oldest first (one line for `1d`).
    pub days: Vec<DayLine>,
}

/// The periods a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Today,
    /// Monday to today.
    Week,
    /// Today and the six days before.
    SevenDays,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "1d" | "today" => Some(Period::Today),
            "week" => Some(Period::Week),
            "7d" => Some(Period::SevenDays),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Period::Today => "1d",
            Period::Week => "week",
            Period::SevenDays => "7d",
        }
    }

    fn days(self, timezone: &str, now: OffsetDateTime) -> Vec<LocalDay> {
        match self {
            Period::Today => vec![calendar::day_of(timezone, now)],
            Period::Week => calendar::week_so_far(timezone, now),
            Period::SevenDays => {
                let mut days: Vec<LocalDay> = Vec::with_capacity(7);
                let mut at = now;
                for _ in 0..7 {
                    let d = calendar::day_of(timezone, at);
                    at = d.start - time::Duration::seconds(1);
                    days.push(d);
                }
                days.reverse();
                days
            }
        }
    }
}

/// Builds a report for `tenant` over `period`, in the main merchant's time zone.
pub async fn report(
    state: &AppState,
    tenant: TenantId,
    period: Period,
    now: OffsetDateTime,
) -> Result<Report, ApiError> {
    let timezone = crate::api::merchant::main_merchant(state, tenant)
        .await
        .map(|m| m.timezone)
        .unwrap_or_else(|_| "UTC".into());
    let days = period.days(&timezone, now);
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Err(ApiError::internal());
    };
    let (from, to) = (first.start, last.end);
    let queues = state.store.queue_activity(tenant, from, to).await?;
    let mut day_lines = Vec::with_capacity(days.len());
    if days.len() == 1 {
        day_lines.push(DayLine {
            date: first.date.clone(),
            weekday: first.weekday.into(),
            totals: Totals::of(&queues),
        });
    } else {
        for d in &days {
            let rows = state.store.queue_activity(tenant, d.start, d.end).await?;
            day_lines.push(DayLine {
                date: d.date.clone(),
                weekday: d.weekday.into(),
                totals: Totals::of(&rows),
            });
        }
    }
    Ok(Report {
        period: period.code().into(),
        timezone,
        from,
        to,
        totals: Totals::of(&queues),
        queues: queues
            .iter()
            .map(|q| QueueLine {
                queue_id: q.queue_id,
                queue_name: q.queue_name.clone(),
                totals: Totals::of(std::slice::from_ref(q)),
            })
            .collect(),
        days: day_lines,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReportQuery {
    /// `1d` (today, the default), `week` (Monday to today) or `7d` (the last seven days).
    pub period: Option<String>,
}

/// Counts and waits of the customers who joined in a period (MANAGER and above).
#[utoipa::path(get, path = "/api/analytics/dashboard", tag = "analytics", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = Report), (status = 403), (status = 422)))]
pub async fn dashboard(
    State(state): State<AppState>,
    staff: Staff,
    query: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Report>, ApiError> {
    staff.require(Role::Manager)?;
    let Query(q) = query.map_err(|e| ApiError::field("query", e.body_text()))?;
    let period = match q.period.as_deref() {
        None | Some("") => Period::Today,
        Some(p) => {
            Period::parse(p).ok_or_else(|| ApiError::field("period", "must be 1d, week or 7d"))?
        }
    };
    Ok(Json(
        report(&state, staff.tenant, period, OffsetDateTime::now_utc()).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(called: i64, served: i64, no_show: i64, wait: Option<f64>) -> QueueActivity {
        QueueActivity {
            joined: called + 1,
            called,
            served,
            no_show,
            average_wait_seconds: wait,
            ..QueueActivity::default()
        }
    }

    #[test]
    fn totals_weigh_waits_by_calls_and_rate_no_shows() {
        let t = Totals::of(&[
            row(3, 2, 1, Some(60.0)),
            row(1, 1, 0, Some(300.0)),
            row(0, 0, 0, None),
        ]);
        assert_eq!(t.joined, 7);
        assert_eq!(t.called, 4);
        // (3×60 + 1×300) / 4 = 120 s = 2 min
        assert_eq!(t.average_wait_minutes, Some(2.0));
        // 1 no-show of 4 settled
        assert_eq!(t.no_show_rate, Some(25.0));
        let empty = Totals::of(&[]);
        assert_eq!(
            (empty.average_wait_minutes, empty.no_show_rate),
            (None, None)
        );
    }

    #[test]
    fn seven_days_end_today() {
        let now = time::macros::datetime!(2026-12-02 12:00 UTC);
        let days = Period::SevenDays.days("UTC", now);
        assert_eq!(days.len(), 7);
        assert_eq!(days[0].date, "2026-11-26");
        assert_eq!(days[6].date, "2026-12-02");
        assert_eq!(Period::parse("week"), Some(Period::Week));
        assert_eq!(Period::parse("30d"), None);
    }
}
