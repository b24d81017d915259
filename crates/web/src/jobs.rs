//! Background jobs of one instance and the health board the BackOffice dashboard reads:
//! retrying failed subdomain provisioning (every 30 s, each tenant on its own back-off),
//! purging expired sessions (every 10 minutes) and the retention purge (TSD §10.3: a minute
//! after start, then daily). Each run records its outcome on [`Jobs`];
//! other parts of the system (e.g. the realtime fan-out's Redis connection) may report their
//! health there too with [`Jobs::report`].

use crate::state::AppState;
use qms_store::{Purged, StoreError};
use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;
use time::OffsetDateTime;

/// The last outcome of a job or component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub ok: bool,
    /// What the last run did, or why it failed.
    pub detail: String,
    pub at: OffsetDateTime,
    /// Runs since start-up.
    pub runs: u64,
}

/// What every job and component last reported.
#[derive(Default)]
pub struct Jobs {
    board: RwLock<BTreeMap<String, Health>>,
}

impl Jobs {
    /// Records an outcome under `name`.
    pub fn report(&self, name: &str, ok: bool, detail: impl Into<String>) {
        if let Ok(mut board) = self.board.write() {
            let runs = board.get(name).map_or(0, |h| h.runs) + 1;
            board.insert(
                name.to_string(),
                Health {
                    ok,
                    detail: detail.into(),
                    at: OffsetDateTime::now_utc(),
                    runs,
                },
            );
        }
    }

    /// Every name with its last outcome, by name.
    pub fn snapshot(&self) -> Vec<(String, Health)> {
        self.board
            .read()
            .map(|b| b.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    pub fn get(&self, name: &str) -> Option<Health> {
        self.board.read().ok()?.get(name).cloned()
    }
}

/// The name of the provisioning retry job on the board.
pub const PROVISIONING: &str = "provisioning retries";
/// The name of the session purge job on the board.
pub const SESSIONS: &str = "session purge";

/// The name of the retention purge on the board.
pub const RETENTION: &str = "retention purge";

/// Rows of each kind the retention purge removes per transaction, so that it never holds the
/// database's write lock (SQLite) or many row locks (PostgreSQL) for long.
const RETENTION_BATCH: u32 = 1_000;

/// The oldest time the retention policy keeps: `months` before `now`, a month counted as 31
/// days, so that at least that many calendar months are always kept.
fn retention_cutoff(now: OffsetDateTime, months: i32) -> OffsetDateTime {
    now - time::Duration::days(31 * i64::from(months.max(1)))
}

/// One retention purge at `now`: finished queue entries and analytics events older than the
/// platform's `retention_months` (BackOffice settings), every tenant's, batch after batch.
/// Several instances may run it at once: each batch deletes only what is still there.
pub async fn run_retention(state: &AppState, now: OffsetDateTime) {
    let purged = async {
        let months = state.store.system_settings().await?.retention_months;
        let cutoff = retention_cutoff(now, months);
        let mut total = Purged::default();
        loop {
            let batch = state.store.purge_history(cutoff, RETENTION_BATCH).await?;
            total.queue_entries += batch.queue_entries;
            total.analytics_events += batch.analytics_events;
            let full = u64::from(RETENTION_BATCH);
            if batch.queue_entries < full && batch.analytics_events < full {
                return Ok::<_, StoreError>((cutoff, total));
            }
            // Let the requests waiting for the database go first.
            tokio::task::yield_now().await;
        }
    };
    match purged.await {
        Ok((cutoff, p)) => state.jobs.report(
            RETENTION,
            true,
            format!(
                "older than {}: finished queue entries removed {}, analytics events removed {}",
                cutoff.date(),
                p.queue_entries,
                p.analytics_events
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "retention purge failed");
            state.jobs.report(RETENTION, false, e.to_string());
        }
    }
}

/// One round of provisioning retries.
pub async fn run_provisioning(state: &AppState) {
    match crate::provision::retry_due(state).await {
        Ok(n) => state
            .jobs
            .report(PROVISIONING, true, format!("{n} tenant(s) retried")),
        Err(e) => {
            tracing::warn!(error = %e, "provisioning retries failed");
            state.jobs.report(PROVISIONING, false, e.to_string());
        }
    }
}

/// One purge of expired sessions.
pub async fn run_session_purge(state: &AppState) {
    match state
        .store
        .sessions_purge_expired(OffsetDateTime::now_utc())
        .await
    {
        Ok(n) => state
            .jobs
            .report(SESSIONS, true, format!("{n} expired session(s) removed")),
        Err(e) => {
            tracing::warn!(error = %e, "session purge failed");
            state.jobs.report(SESSIONS, false, e.to_string());
        }
    }
}

/// Starts the job loop; abort the handle to stop it.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut provisioning = tokio::time::interval(Duration::from_secs(30));
        let mut sessions = tokio::time::interval(Duration::from_secs(600));
        // Not at start-up itself: a first run over a large backlog waits until the instance
        // is serving.
        let mut retention = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(60),
            Duration::from_secs(24 * 60 * 60),
        );
        for timer in [&mut provisioning, &mut sessions, &mut retention] {
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        loop {
            tokio::select! {
                _ = provisioning.tick() => run_provisioning(&state).await,
                _ = sessions.tick() => run_session_purge(&state).await,
                _ = retention.tick() => run_retention(&state, OffsetDateTime::now_utc()).await,
            }
        }
    })
}
