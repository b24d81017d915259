//! The platform dashboard (TSD §6.3): tenants by status and plan, new tenants per week, queues
//! open now, customers served today and this month, the tenants closest to their plan's
//! limits, and system health (database, Redis, background jobs, provisioning).

use super::{Nav, Operator, fmt_time};
use crate::error::PageError;
use crate::pages::render_status;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use qms_store::{PlatformQuery, PlatformStats, TenantOverview, provisioning};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// One measured use against its limit.
pub struct Gauge {
    pub used: i64,
    pub limit: i64,
}

impl Gauge {
    fn percent(&self) -> i64 {
        if self.limit <= 0 {
            0
        } else {
            self.used * 100 / self.limit
        }
    }
}

/// A tenant's use of its plan.
pub struct Usage {
    pub o: TenantOverview,
    pub users: Gauge,
    pub merchants: Gauge,
    pub queues: Gauge,
    /// The highest of the three percentages.
    pub peak: i64,
}

impl Usage {
    pub fn of(o: TenantOverview) -> Usage {
        let s = &o.subscription;
        let users = Gauge {
            used: o.usage.users,
            limit: i64::from(s.max_users_per_tenant),
        };
        let merchants = Gauge {
            used: o.usage.merchants,
            limit: i64::from(s.max_merchants),
        };
        let queues = Gauge {
            used: o.usage.max_queues_of_a_merchant,
            limit: i64::from(s.max_queues_per_merchant),
        };
        let peak = users
            .percent()
            .max(merchants.percent())
            .max(queues.percent());
        Usage {
            o,
            users,
            merchants,
            queues,
            peak,
        }
    }
}

/// A line of the health panel.
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "backoffice/dashboard.html")]
struct DashboardPage {
    nav: Nav,
    stats: PlatformStats,
    tenants_total: i64,
    /// (week starting, count, bar maximum)
    weeks: Vec<(String, i64)>,
    week_max: i64,
    usage: Vec<Usage>,
    health: Vec<Check>,
    now: String,
}

/// How many tenants the usage panel shows.
const USAGE_ROWS: usize = 10;

/// `GET /backoffice` and `/backoffice/dashboard`.
pub async fn show(State(state): State<AppState>, op: Operator) -> Result<Response, PageError> {
    let now = OffsetDateTime::now_utc();
    let stats = state.store.platform_stats(now).await?;
    let tenants = state
        .store
        .list_tenants(&PlatformQuery {
            active: Some(true),
            limit: 1000,
            ..PlatformQuery::default()
        })
        .await?;
    let mut usage: Vec<Usage> = tenants.items.into_iter().map(Usage::of).collect();
    usage.sort_by(|a, b| {
        b.peak
            .cmp(&a.peak)
            .then(a.o.tenant.slug.cmp(&b.o.tenant.slug))
    });
    usage.truncate(USAGE_ROWS);
    let weeks: Vec<(String, i64)> = stats
        .new_tenants_per_week
        .iter()
        .map(|w| (w.week_start.to_string(), w.count))
        .collect();
    let week_max = weeks.iter().map(|w| w.1).max().unwrap_or(0).max(1);
    let page = DashboardPage {
        nav: Nav::new(&state, &op, "dashboard").await,
        tenants_total: stats.tenants_active + stats.tenants_inactive,
        weeks,
        week_max,
        usage,
        health: health(&state, now).await,
        now: fmt_time(now),
        stats,
    };
    Ok(render_status(StatusCode::OK, &page))
}

/// The health panel: the database answers (and how fast), Redis as the realtime layer reports
/// it, each background job's last run, and tenants waiting for provisioning.
async fn health(state: &AppState, now: OffsetDateTime) -> Vec<Check> {
    let mut checks = Vec::new();
    let started = Instant::now();
    let db = tokio::time::timeout(Duration::from_secs(3), state.store.ping()).await;
    checks.push(Check {
        name: format!("Database ({})", state.store.backend()),
        ok: matches!(db, Ok(Ok(()))),
        detail: match db {
            Ok(Ok(())) => format!("answers in {} ms", started.elapsed().as_millis()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "dashboard: database ping failed");
                "does not answer".into()
            }
            Err(_) => "no answer within 3 s".into(),
        },
    });
    let board = state.jobs.snapshot();
    if !board
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("redis"))
    {
        checks.push(Check {
            name: "Redis".into(),
            ok: true,
            detail: "not used: realtime events stay in this process".into(),
        });
    }
    for (name, h) in board {
        checks.push(Check {
            name,
            ok: h.ok,
            detail: format!("{} (last {}, {} runs)", h.detail, fmt_time(h.at), h.runs),
        });
    }
    match state
        .store
        .tenants_to_provision(now + time::Duration::days(3650))
        .await
    {
        Ok(waiting) => {
            let failed = waiting.iter().filter(|t| t.is_active).count();
            checks.push(Check {
                name: format!("Provisioning ({})", state.provisioner.name()),
                ok: waiting.is_empty(),
                detail: if failed == 0 {
                    "every tenant's host is in place".into()
                } else {
                    format!(
                        "{failed} tenant(s) {} or failed, retried automatically",
                        provisioning::PENDING
                    )
                },
            });
        }
        Err(e) => checks.push(Check {
            name: "Provisioning".into(),
            ok: false,
            detail: e.to_string(),
        }),
    }
    checks
}
