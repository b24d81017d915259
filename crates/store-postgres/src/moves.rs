//! The moves of the queue engine: the entry state machine's transitions, call-next, bulk
//! calls, reordering and customer cancellation. Each runs in one tenant transaction together
//! with its audit row and analytics event, so a move is all-or-nothing.
//!
//! Locking: every move first locks the queue row (`FOR NO KEY UPDATE`, which still lets other
//! transactions insert rows that reference the queue), then the entries it changes. One lock
//! order for all moves (and joins) means no deadlocks; call-next also takes its head
//! `FOR UPDATE SKIP LOCKED`, so two callers can never be handed the same customer.

use crate::entries::entry_by_id_in;
use crate::journal::{self, Audit, Event};
use crate::rows::{self, ms};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{Actor, AnalyticsEvent, BulkSelection, QueueEntry, StoreError, StoreResult};
use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

/// Most customers one bulk call may take.
const BULK_LIMIT: u32 = 50;

impl PgStore {
    pub(crate) async fn do_transition(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_id: Uuid,
        transition: Transition,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.engine_tx(tenant).await?;
        lock_queue(&mut tx, tenant, queue_id).await?;
        let moved = apply(&mut tx, tenant, queue_id, entry_id, transition, actor, now).await?;
        let entry = as_left(&mut tx, tenant, moved).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(entry)
    }

    pub(crate) async fn do_call_next(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.engine_tx(tenant).await?;
        lock_queue(&mut tx, tenant, queue_id).await?;
        // The head, locked and read in one statement: it is waiting, so calling it is allowed.
        let head = sqlx::query(
            "SELECT id, status, joined_at FROM queue_entries
             WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'
             ORDER BY position, id LIMIT 1
             FOR UPDATE SKIP LOCKED",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::QueueEmpty)?;
        let locked = Locked::from_row(&head)?;
        let moved = apply_locked(
            &mut tx,
            tenant,
            queue_id,
            locked,
            Transition::Call,
            actor,
            now,
        )
        .await?;
        let entry = as_left(&mut tx, tenant, moved).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(entry)
    }

    pub(crate) async fn do_call_bulk(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        selection: BulkSelection,
        actor: &Actor,
    ) -> StoreResult<Vec<QueueEntry>> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.engine_tx(tenant).await?;
        lock_queue(&mut tx, tenant, queue_id).await?;
        let ids = match selection {
            BulkSelection::Next(n) => {
                waiting_ids(&mut tx, tenant, queue_id, n.clamp(1, BULK_LIMIT)).await?
            }
            BulkSelection::Entries(ids) => ids,
        };
        if ids.is_empty() {
            return Err(StoreError::QueueEmpty);
        }
        let mut out = Vec::with_capacity(ids.len());
        for entry_id in ids {
            let moved = apply(
                &mut tx,
                tenant,
                queue_id,
                entry_id,
                Transition::Call,
                actor,
                now,
            )
            .await?;
            out.push(as_left(&mut tx, tenant, moved).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    pub(crate) async fn do_reorder(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_ids: &[Uuid],
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.engine_tx(tenant).await?;
        lock_queue(&mut tx, tenant, queue_id).await?;
        let mut slots = Vec::with_capacity(entry_ids.len());
        for entry_id in entry_ids {
            let row = sqlx::query(
                "SELECT status, position FROM queue_entries
                 WHERE tenant_id = $1 AND queue_id = $2 AND id = $3 FOR UPDATE",
            )
            .bind(tenant.0)
            .bind(queue_id)
            .bind(*entry_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
            let status: String = rows::get(&row, "status")?;
            if status != EntryStatus::Waiting.as_str() {
                return Err(StoreError::StaleOrder);
            }
            slots.push(rows::get::<i64>(&row, "position")?);
        }
        // Give the listed entries the places they hold, in the new order. Equal slots (ties
        // from concurrent joins) are spread by one so the order given is the order kept.
        slots.sort_unstable();
        for i in 1..slots.len() {
            if slots[i] <= slots[i - 1] {
                slots[i] = slots[i - 1] + 1;
            }
        }
        for (entry_id, slot) in entry_ids.iter().zip(&slots) {
            sqlx::query("UPDATE queue_entries SET position = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(*entry_id)
                .bind(*slot)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let ids: Vec<String> = entry_ids.iter().map(|u| u.to_string()).collect();
        let event = Event {
            queue_id,
            entry_id: None,
            event_type: "reordered",
            data: serde_json::json!({"entryIds": ids}),
        };
        let audit = Audit {
            action: "queue.reorder",
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: Some(serde_json::json!({"entryIds": ids})),
        };
        journal::record(&mut tx, tenant, event, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_cancel_by_customer(
        &self,
        tenant: TenantId,
        session_id: &str,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.engine_tx(tenant).await?;
        let row = sqlx::query(
            "SELECT e.id, e.queue_id FROM queue_entries e
             WHERE e.tenant_id = $1 AND e.session_id = $2",
        )
        .bind(tenant.0)
        .bind(session_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let entry_id: Uuid = rows::get(&row, "id")?;
        let queue_id: Uuid = rows::get(&row, "queue_id")?;
        let allowed = lock_queue(&mut tx, tenant, queue_id).await?;
        if !allowed {
            return Err(StoreError::CancellationNotAllowed);
        }
        let moved = apply(
            &mut tx,
            tenant,
            queue_id,
            entry_id,
            Transition::Cancel,
            actor,
            now,
        )
        .await?;
        let entry = as_left(&mut tx, tenant, moved).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(entry)
    }

    pub(crate) async fn do_analytics_events(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Vec<AnalyticsEvent>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT * FROM queue_analytics_events WHERE tenant_id = $1 AND queue_id = $2
             ORDER BY timestamp, id",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(AnalyticsEvent {
                    id: rows::get(r, "id")?,
                    queue_id: rows::get(r, "queue_id")?,
                    queue_entry_id: rows::get(r, "queue_entry_id")?,
                    event_type: rows::get(r, "event_type")?,
                    timestamp: rows::get(r, "timestamp")?,
                })
            })
            .collect()
    }
}

/// Locks the tenant's queue row for the rest of the transaction (`NotFound` if there is none)
/// and answers its `allow_cancellation` setting.
async fn lock_queue(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
) -> StoreResult<bool> {
    let found: Option<bool> = sqlx::query_scalar(
        "SELECT allow_cancellation FROM queues WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE",
    )
    .bind(tenant.0)
    .bind(queue_id)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    found.ok_or(StoreError::NotFound)
}

/// The first `n` waiting entries in line order, locked; entries another transaction holds
/// are skipped rather than waited for.
async fn waiting_ids(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
    n: u32,
) -> StoreResult<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM queue_entries
         WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'
         ORDER BY position, id LIMIT $3
         FOR UPDATE SKIP LOCKED",
    )
    .bind(tenant.0)
    .bind(queue_id)
    .bind(i64::from(n))
    .fetch_all(conn)
    .await
    .map_err(db_err)
}

/// An entry locked for a move (`FOR UPDATE`), with what the move needs to know of it.
struct Locked {
    id: Uuid,
    status: EntryStatus,
    joined_at: OffsetDateTime,
}

impl Locked {
    fn from_row(row: &PgRow) -> StoreResult<Locked> {
        let status: String = rows::get(row, "status")?;
        Ok(Locked {
            id: rows::get(row, "id")?,
            status: status
                .parse()
                .map_err(|_| StoreError::Backend(format!("bad status {status:?}")))?,
            joined_at: rows::get(row, "joined_at")?,
        })
    }
}

// The update of each move, with its analytics event and audit row in the same statement
// ([`journal::journaled`]). Parameters: tenant, entry, new status, time of the move. The
// queue's `current_serving` follows a call in the counters' trigger (migration 0012).

/// A call (call-next, by id, in bulk).
static CALL: LazyLock<String> = LazyLock::new(|| {
    journal::journaled(
        "UPDATE queue_entries SET status = $3, called_at = $4 WHERE tenant_id = $1 AND id = $2
         RETURNING *, 0::bigint AS live_position",
        4,
    )
});

/// Seating.
static SEAT: LazyLock<String> = LazyLock::new(|| {
    journal::journaled(
        "UPDATE queue_entries SET status = $3, served_at = $4 WHERE tenant_id = $1 AND id = $2
         RETURNING *, 0::bigint AS live_position",
        4,
    )
});

/// Completing, cancelling, marking a no-show.
static FINISH: LazyLock<String> = LazyLock::new(|| {
    journal::journaled(
        "UPDATE queue_entries SET status = $3, completed_at = $4 WHERE tenant_id = $1 AND id = $2
         RETURNING *, 0::bigint AS live_position",
        4,
    )
});

/// Back in line, at its end.
static REQUEUE: LazyLock<String> = LazyLock::new(|| {
    journal::journaled(
        "UPDATE queue_entries e SET status = $3, requeued_at = $4, completed_at = NULL,
             position = (SELECT COALESCE(MAX(w.position), 0) + 1 FROM queue_entries w
                         WHERE w.tenant_id = e.tenant_id AND w.queue_id = e.queue_id
                           AND w.status = 'waiting')
         WHERE e.tenant_id = $1 AND e.id = $2
         RETURNING e.*, 0::bigint AS live_position",
        4,
    )
});

/// One move of the state machine inside the caller's transaction (which holds the queue lock):
/// locks the entry, checks the move, and updates it with its analytics event and audit row.
/// Answers the entry's row as updated (place 0: see [`as_left`]).
async fn apply(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
    entry_id: Uuid,
    transition: Transition,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<QueueEntry> {
    let row = sqlx::query(
        "SELECT id, status, joined_at FROM queue_entries
         WHERE tenant_id = $1 AND queue_id = $2 AND id = $3 FOR UPDATE",
    )
    .bind(tenant.0)
    .bind(queue_id)
    .bind(entry_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?
    .ok_or(StoreError::NotFound)?;
    let locked = Locked::from_row(&row)?;
    apply_locked(conn, tenant, queue_id, locked, transition, actor, now).await
}

/// [`apply`] for an entry the transaction has already locked.
async fn apply_locked(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
    locked: Locked,
    transition: Transition,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<QueueEntry> {
    let from = locked.status;
    let to = from.apply(transition)?;
    let sql: &'static str = match transition {
        Transition::Call => &CALL,
        Transition::Seat => &SEAT,
        Transition::Complete | Transition::Cancel | Transition::NoShow => &FINISH,
        Transition::Requeue => &REQUEUE,
    };
    let waited_seconds = (now - locked.joined_at).whole_seconds();
    let event = Event {
        queue_id,
        entry_id: Some(locked.id),
        event_type: transition.event_name(),
        data: serde_json::json!({
            "from": from.as_str(), "to": to.as_str(), "waitedSeconds": waited_seconds
        }),
    };
    let audit = Audit {
        action: transition.audit_action(),
        resource: "queue_entry",
        resource_id: Some(locked.id.to_string()),
        details: Some(serde_json::json!({
            "queueId": queue_id, "from": from.as_str(), "to": to.as_str()
        })),
    };
    let change = sqlx::query(sql)
        .bind(tenant.0)
        .bind(locked.id)
        .bind(to.as_str())
        .bind(ms(now));
    let moved = journal::bind_journal(change, tenant, event, actor, audit, now)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    rows::entry(&moved)
}

/// The entry as a move left it: the row the move returned (out of the line, its place is 0),
/// or, for one back in line (a requeue), read again for its live place and estimate.
async fn as_left(
    conn: &mut PgConnection,
    tenant: TenantId,
    moved: QueueEntry,
) -> StoreResult<QueueEntry> {
    if moved.status == EntryStatus::Waiting {
        entry_by_id_in(conn, tenant, moved.id).await
    } else {
        Ok(moved)
    }
}
