//! Background jobs of one instance and the health board the BackOffice dashboard reads:
//! retrying failed subdomain provisioning (every 30 s, each tenant on its own back-off) and
//! purging expired sessions (every 10 minutes). Each run records its outcome on [`Jobs`];
//! other parts of the system (e.g. the realtime fan-out's Redis connection) may report their
//! health there too with [`Jobs::report`].

use crate::state::AppState;
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
        provisioning.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        sessions.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = provisioning.tick() => run_provisioning(&state).await,
                _ = sessions.tick() => run_session_purge(&state).await,
            }
        }
    })
}
