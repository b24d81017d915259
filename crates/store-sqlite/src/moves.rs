//! The moves of the entry state machine on SQLite: a single move, call-next, bulk calls, the
//! customer's own cancellation and reordering. Each is the body of one transaction on the
//! engine's write connection (`writer::EngineWriter`), run start to finish in one call there:
//! it checks the move, updates the line and writes the analytics event and the audit row, and
//! fails as a whole (its savepoint is rolled back) when any step fails.

use crate::inline;
use crate::journal::{self, Audit};
use crate::rows::{Columns, id, ms, tid};
use qms_domain::TenantId;
use qms_domain::entry::{EntryStatus, Transition};
use qms_store::{Actor, BulkSelection, StoreError, StoreResult};
use rusqlite::{Connection, ToSql};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most entries one bulk call takes.
pub(crate) const BULK_LIMIT: u32 = 50;

/// Runs one statement that changes rows.
fn execute(conn: &Connection, sql: &str, params: &[(&str, &dyn ToSql)]) -> StoreResult<usize> {
    conn.prepare_cached(sql)
        .and_then(|mut st| st.execute(params))
        .map_err(crate::sqlite_err)
}

fn parse_id(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(StoreError::backend)
}

/// Calls the head of the line: the entry called.
pub(crate) fn call_next_in(
    conn: &Connection,
    tenant: TenantId,
    queue_id: Uuid,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<Uuid> {
    let head = inline::rows_on(
        conn,
        "SELECT (SELECT e.id FROM queue_entries e
                 WHERE e.queue_id = q.id AND e.status = 'waiting'
                 ORDER BY e.position, e.id LIMIT 1) AS head
         FROM queues q WHERE q.tenant_id = $1 AND q.id = $2",
        &[("$1", &tid(tenant) as &dyn ToSql), ("$2", &id(queue_id))],
        |r| r.opt_text("head"),
    )?;
    let entry_id = match head.into_iter().next() {
        None => return Err(StoreError::NotFound),
        Some(None) => return Err(StoreError::QueueEmpty),
        Some(Some(first)) => parse_id(&first)?,
    };
    apply_in(
        conn,
        tenant,
        queue_id,
        entry_id,
        Transition::Call,
        actor,
        now,
    )?;
    Ok(entry_id)
}

/// Calls several entries at once, all or none: the entries called, in line order.
pub(crate) fn call_bulk_in(
    conn: &Connection,
    tenant: TenantId,
    queue_id: Uuid,
    selection: BulkSelection,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<Vec<Uuid>> {
    require_queue(conn, tenant, queue_id)?;
    let ids = match selection {
        BulkSelection::Next(n) => waiting_ids(conn, tenant, queue_id, n.clamp(1, BULK_LIMIT))?,
        BulkSelection::Entries(ids) => ids,
    };
    if ids.is_empty() {
        return Err(StoreError::QueueEmpty);
    }
    for entry_id in &ids {
        apply_in(
            conn,
            tenant,
            queue_id,
            *entry_id,
            Transition::Call,
            actor,
            now,
        )?;
    }
    Ok(ids)
}

/// The customer's own cancellation, by their session: the entry cancelled.
pub(crate) fn cancel_by_customer_in(
    conn: &Connection,
    tenant: TenantId,
    session_id: &str,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<Uuid> {
    let (entry_id, queue_id, allowed) = inline::rows_on(
        conn,
        "SELECT e.id, e.queue_id, q.allow_cancellation FROM queue_entries e
         JOIN queues q ON q.id = e.queue_id
         WHERE e.tenant_id = $1 AND e.session_id = $2",
        &[("$1", &tid(tenant) as &dyn ToSql), ("$2", &session_id)],
        |r| {
            Ok((
                r.uuid("id")?,
                r.uuid("queue_id")?,
                r.flag("allow_cancellation")?,
            ))
        },
    )?
    .into_iter()
    .next()
    .ok_or(StoreError::NotFound)?;
    if !allowed {
        return Err(StoreError::CancellationNotAllowed);
    }
    apply_in(
        conn,
        tenant,
        queue_id,
        entry_id,
        Transition::Cancel,
        actor,
        now,
    )?;
    Ok(entry_id)
}

/// Gives the listed waiting entries the places they hold among themselves, in the order given.
pub(crate) fn reorder_in(
    conn: &Connection,
    tenant: TenantId,
    queue_id: Uuid,
    entry_ids: &[Uuid],
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<()> {
    require_queue(conn, tenant, queue_id)?;
    let mut slots = Vec::with_capacity(entry_ids.len());
    for entry_id in entry_ids {
        let (status, position) = inline::rows_on(
            conn,
            "SELECT status, position FROM queue_entries
             WHERE tenant_id = $1 AND queue_id = $2 AND id = $3",
            &[
                ("$1", &tid(tenant) as &dyn ToSql),
                ("$2", &id(queue_id)),
                ("$3", &id(*entry_id)),
            ],
            |r| Ok((r.text("status")?, r.int("position")?)),
        )?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
        if status != EntryStatus::Waiting.as_str() {
            return Err(StoreError::StaleOrder);
        }
        slots.push(position);
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
        execute(
            conn,
            "UPDATE queue_entries SET position = $3 WHERE tenant_id = $1 AND id = $2",
            &[("$1", &tid(tenant)), ("$2", &id(*entry_id)), ("$3", slot)],
        )?;
    }
    let ids: Vec<String> = entry_ids.iter().map(|u| u.to_string()).collect();
    let data = serde_json::json!({"entryIds": ids});
    journal::event_on(conn, tenant, queue_id, None, "reordered", data, now)?;
    let audit = Audit {
        action: "queue.reorder",
        resource: "queue",
        resource_id: Some(queue_id.to_string()),
        details: Some(serde_json::json!({"entryIds": ids})),
    };
    journal::audit_on(conn, tenant, actor, audit, now)
}

/// Answers `NotFound` unless the queue is the tenant's.
fn require_queue(conn: &Connection, tenant: TenantId, queue_id: Uuid) -> StoreResult<()> {
    let found = inline::rows_on(
        conn,
        "SELECT id FROM queues WHERE tenant_id = $1 AND id = $2",
        &[("$1", &tid(tenant) as &dyn ToSql), ("$2", &id(queue_id))],
        |r| r.text("id"),
    )?;
    found
        .into_iter()
        .next()
        .map(|_| ())
        .ok_or(StoreError::NotFound)
}

/// The first `n` (at most [`BULK_LIMIT`]) waiting entries in line order.
fn waiting_ids(
    conn: &Connection,
    tenant: TenantId,
    queue_id: Uuid,
    n: u32,
) -> StoreResult<Vec<Uuid>> {
    // A literal limit: SQLite re-prepares a statement whose `LIMIT` parameter is bound again.
    const _: () = assert!(BULK_LIMIT == 50, "the statement says LIMIT 50");
    let ids = inline::rows_on(
        conn,
        "SELECT id FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'
         ORDER BY position, id LIMIT 50",
        &[("$1", &tid(tenant) as &dyn ToSql), ("$2", &id(queue_id))],
        |r| r.text("id"),
    )?;
    ids.iter().take(n as usize).map(|s| parse_id(s)).collect()
}

/// One move of the state machine: checks the move, updates the entry, and writes the analytics
/// event and the audit row.
pub(crate) fn apply_in(
    conn: &Connection,
    tenant: TenantId,
    queue_id: Uuid,
    entry_id: Uuid,
    transition: Transition,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let (status, joined_at, ticket_seq) = inline::rows_on(
        conn,
        "SELECT status, joined_at, ticket_seq FROM queue_entries
         WHERE tenant_id = $1 AND queue_id = $2 AND id = $3",
        &[
            ("$1", &tid(tenant) as &dyn ToSql),
            ("$2", &id(queue_id)),
            ("$3", &id(entry_id)),
        ],
        |r| Ok((r.text("status")?, r.int("joined_at")?, r.int("ticket_seq")?)),
    )?
    .into_iter()
    .next()
    .ok_or(StoreError::NotFound)?;
    let from: EntryStatus = status
        .parse()
        .map_err(|_| StoreError::Backend(format!("bad status {status:?}")))?;
    let to = from.apply(transition)?;
    let sql = match transition {
        Transition::Call => {
            "UPDATE queue_entries SET status = $3, called_at = $4 WHERE tenant_id = $1 AND id = $2"
        }
        Transition::Seat => {
            "UPDATE queue_entries SET status = $3, served_at = $4 WHERE tenant_id = $1 AND id = $2"
        }
        Transition::Complete | Transition::Cancel | Transition::NoShow => {
            "UPDATE queue_entries SET status = $3, completed_at = $4 WHERE tenant_id = $1 AND id = $2"
        }
        Transition::Requeue => {
            "UPDATE queue_entries SET status = $3, requeued_at = $4, completed_at = NULL,
                 position = (SELECT COALESCE(MAX(w.position), 0) + 1 FROM queue_entries w
                             WHERE w.tenant_id = queue_entries.tenant_id
                               AND w.queue_id = queue_entries.queue_id AND w.status = 'waiting')
             WHERE tenant_id = $1 AND id = $2"
        }
    };
    execute(
        conn,
        sql,
        &[
            ("$1", &tid(tenant)),
            ("$2", &id(entry_id)),
            ("$3", &to.as_str()),
            ("$4", &ms(now)),
        ],
    )?;
    if transition == Transition::Call {
        execute(
            conn,
            "UPDATE queues SET current_serving = $3 WHERE tenant_id = $1 AND id = $2",
            &[
                ("$1", &tid(tenant)),
                ("$2", &id(queue_id)),
                ("$3", &ticket_seq),
            ],
        )?;
    }
    let waited_seconds = (now - crate::rows::at(joined_at)).whole_seconds();
    let data = serde_json::json!({"from": from.as_str(), "to": to.as_str(), "waitedSeconds": waited_seconds});
    journal::event_on(
        conn,
        tenant,
        queue_id,
        Some(entry_id),
        transition.event_name(),
        data,
        now,
    )?;
    let audit = Audit {
        action: transition.audit_action(),
        resource: "queue_entry",
        resource_id: Some(entry_id.to_string()),
        details: Some(
            serde_json::json!({"queueId": queue_id, "from": from.as_str(), "to": to.as_str()}),
        ),
    };
    journal::audit_on(conn, tenant, actor, audit, now)
}
