//! The events of a queue change (TSD §4.2), and the call the HTTP handlers make after their
//! store call succeeded: [`queue_changed`]. It only queues a job, so the response never waits
//! for the fan-out; the realtime worker then reads the fresh numbers and line and emits:
//!
//! - `queue:update` `{queueId, action, entry, stats:{waiting, called, averageWaitTime,
//!   nextPosition}}` once per changed entry to the rooms `tenant:{tenantId}` and `queue:{id}`
//!   (a staff socket in both gets it once);
//! - `notification` `{type, queueName, position, estimatedWaitTime, message, status,
//!   ticketNumber}` to `customer:{sessionId}` of each customer whose place, estimate or status
//!   changed: the changed entries themselves (`called` for a call, else `update`), and every
//!   waiting customer when the line moved (a call, a cancellation or a reorder; a call also
//!   changes the pace, hence every estimate).

use super::{Emit, Job, rooms};
use crate::state::AppState;
use qms_domain::TenantId;
use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{QueueEntry, StoreResult};
use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

/// What happened to a queue (`queue:update`'s `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    CustomerJoined,
    Called,
    Seated,
    Completed,
    Cancelled,
    NoShow,
    Requeued,
    Reordered,
    /// The queue's settings changed (pause, capacity, …); `entry` is null.
    Updated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::CustomerJoined => "customer-joined",
            Action::Called => "called",
            Action::Seated => "seated",
            Action::Completed => "completed",
            Action::Cancelled => "cancelled",
            Action::NoShow => "no-show",
            Action::Requeued => "requeued",
            Action::Reordered => "reordered",
            Action::Updated => "updated",
        }
    }

    /// True when the move can change other customers' places or estimates.
    fn moves_the_line(self) -> bool {
        matches!(self, Action::Called | Action::Cancelled | Action::Reordered)
    }
}

impl From<Transition> for Action {
    fn from(t: Transition) -> Self {
        match t {
            Transition::Call => Action::Called,
            Transition::Seat => Action::Seated,
            Transition::Complete => Action::Completed,
            Transition::Cancel => Action::Cancelled,
            Transition::NoShow => Action::NoShow,
            Transition::Requeue => Action::Requeued,
        }
    }
}

/// Tells staff and customers that a queue changed. Call after the change committed; returns
/// at once (the worker does the rest, in order). `entries` are the entries the change touched
/// (none for a reorder or a settings change).
pub fn queue_changed(
    state: &AppState,
    tenant: TenantId,
    queue_id: Uuid,
    action: Action,
    entries: Vec<QueueEntry>,
) {
    state.realtime.submit(Job::QueueChanged {
        tenant,
        queue_id,
        action,
        entries,
    });
}

/// `notification`'s payload.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub queue_name: &'a str,
    pub position: i64,
    pub estimated_wait_time: i32,
    pub message: String,
    pub status: EntryStatus,
    pub ticket_number: &'a str,
}

/// What a customer is told about their entry.
pub fn notification<'a>(
    queue_name: &'a str,
    e: &'a QueueEntry,
    action: Action,
) -> Notification<'a> {
    let called_now = action == Action::Called && e.status == EntryStatus::Called;
    let message = match e.status {
        EntryStatus::Waiting if e.position == 1 => "You are next in line.".to_string(),
        EntryStatus::Waiting => format!(
            "You are number {} in line, about {} min to wait.",
            e.position, e.estimated_wait_time
        ),
        EntryStatus::Called => "It's your turn! Please come to the counter.".to_string(),
        EntryStatus::Seated => "You have been seated. Enjoy!".to_string(),
        EntryStatus::Completed => "Thank you for visiting.".to_string(),
        EntryStatus::Cancelled => "Your place in line was cancelled.".to_string(),
        EntryStatus::NoShow => {
            "We called you but missed you. Ask staff to put you back in line.".to_string()
        }
    };
    Notification {
        kind: if called_now { "called" } else { "update" },
        queue_name,
        position: e.position,
        estimated_wait_time: e.estimated_wait_time,
        message,
        status: e.status,
        ticket_number: &e.ticket_number,
    }
}

/// Builds every emit of one queue change from fresh reads (run by the worker).
pub(super) async fn build(
    state: &AppState,
    tenant: TenantId,
    queue_id: Uuid,
    action: Action,
    changed: &[QueueEntry],
) -> StoreResult<Vec<Emit>> {
    let store = &state.store;
    let Some(queue) = store.queue(tenant, queue_id).await? else {
        return Ok(Vec::new());
    };
    let stats = store.queue_stats(tenant, queue_id).await?;
    let line =
        if action.moves_the_line() || changed.iter().any(|e| e.status == EntryStatus::Waiting) {
            store
                .queue_entries(tenant, queue_id, &[EntryStatus::Waiting])
                .await?
        } else {
            Vec::new()
        };
    // A changed entry that waits is reported with its place as of now.
    let fresh: Vec<QueueEntry> = changed
        .iter()
        .map(|e| {
            line.iter()
                .find(|w| w.id == e.id)
                .cloned()
                .unwrap_or_else(|| e.clone())
        })
        .collect();

    let staff_rooms = vec![rooms::tenant(tenant), rooms::queue(queue_id)];
    let update = |entry: Option<&QueueEntry>| Emit {
        rooms: staff_rooms.clone(),
        event: "queue:update",
        data: json!({"queueId": queue_id, "action": action.as_str(), "entry": entry, "stats": stats}),
    };
    let mut emits = Vec::with_capacity(
        fresh.len()
            + 1
            + if action.moves_the_line() {
                line.len()
            } else {
                0
            },
    );
    if fresh.is_empty() {
        emits.push(update(None));
    }
    for e in &fresh {
        emits.push(update(Some(e)));
    }

    let name = queue.settings.name.as_str();
    let mut told = HashSet::new();
    for e in &fresh {
        told.insert(e.id);
        emits.push(customer_emit(name, e, action));
    }
    if action.moves_the_line() {
        for e in line.iter().filter(|e| !told.contains(&e.id)) {
            emits.push(customer_emit(name, e, action));
        }
    }
    Ok(emits)
}

fn customer_emit(queue_name: &str, e: &QueueEntry, action: Action) -> Emit {
    Emit {
        rooms: vec![rooms::customer(&e.session_id)],
        event: "notification",
        data: serde_json::to_value(notification(queue_name, e, action)).unwrap_or_default(),
    }
}
