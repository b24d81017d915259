//! Queue entries: reading them with their live place and wait estimate, and joining a queue.
//! A join runs in one tenant transaction with its audit row and analytics event, under the
//! queue row's lock (`FOR NO KEY UPDATE`), so replays, capacity, ticket numbers and places are
//! decided one join at a time. The moves that follow a join live in [`crate::moves`].
//!
//! `queue_entries.position` is the line order (ascending, gaps allowed); the dense place the API
//! shows (1..n among waiting entries) is computed when reading, so no move rewrites the line.

use crate::journal::{self, Audit, Event};
use crate::queues::summary_in;
use crate::rows::{self, ms};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::entry::{self as rules, EntryStatus};
use qms_domain::queue::{self as hours, Opening};
use qms_domain::wait;
use qms_store::{
    Actor, Joined, NewEntry, Place, QueueBoard, QueueEntry, QueueStats, QueueSummary, StoreError,
    StoreResult,
};
use sqlx::{PgConnection, Row};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

/// A join's insert of its entry, with its analytics event and audit row in the same statement.
static INSERT_ENTRY: LazyLock<String> = LazyLock::new(|| {
    journal::journaled(
        "INSERT INTO queue_entries (id, tenant_id, queue_id, customer_id, customer_name,
             customer_phone, platform, position, estimated_wait_time, status, service_type_id,
             party_size, notes, special_requests, verification_code, session_id, ticket_day,
             ticket_seq, ticket_number, idempotency_key, joined_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $11, $12, $13, $14, $15,
             $16, $17, $18, $19, $20)
         RETURNING *, 0::bigint AS live_position",
        20,
    )
});

/// How an entry is looked up.
enum EntryKey<'a> {
    Id(Uuid),
    Session(&'a str),
}

/// Reads one entry of the tenant with its live place, estimate and queue name, in one
/// statement.
async fn place_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    key: EntryKey<'_>,
) -> StoreResult<Option<Place>> {
    let now = OffsetDateTime::now_utc();
    let (entry_id, session_id) = match key {
        EntryKey::Id(entry_id) => (Some(entry_id), None),
        EntryKey::Session(session_id) => (None, Some(session_id)),
    };
    // One statement, the tenant setting included (migration 0006), so that a read needs no
    // transaction of its own.
    let row = sqlx::query(
        "SELECT (p.entry).*, p.live_position, p.queue_name, p.queue_average_service_time,
             p.recent_calls
         FROM qms_place($1, $2, $3, $4, $5) p",
    )
    .bind(tenant.0)
    .bind(entry_id)
    .bind(session_id)
    .bind(now - wait::PACE_WINDOW)
    .bind(wait::PACE_SAMPLE as i64)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_err)?;
    let Some(row) = row else { return Ok(None) };
    let mut entry = rows::entry(&row)?;
    if entry.status == EntryStatus::Waiting {
        let calls: Option<Vec<OffsetDateTime>> = row.try_get("recent_calls").map_err(db_err)?;
        let configured: i32 = row.try_get("queue_average_service_time").map_err(db_err)?;
        let turn = wait::minutes_per_turn(calls.as_deref().unwrap_or(&[]), now, configured);
        entry.estimated_wait_time = wait::estimate_minutes(entry.position, turn);
    }
    Ok(Some(Place {
        entry,
        queue_name: row.try_get("queue_name").map_err(db_err)?,
    }))
}

pub(crate) async fn entry_by_id_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    entry_id: Uuid,
) -> StoreResult<QueueEntry> {
    place_in(conn, tenant, EntryKey::Id(entry_id))
        .await?
        .map(|p| p.entry)
        .ok_or(StoreError::NotFound)
}

/// The entries of a queue in one status out of the line, most recent first (at most 500).
/// The status is written into the statement, not bound: a few statuses hold almost every row
/// (a queue's history is completed), so a plan made for any status is a scan of them all, and
/// PostgreSQL would re-plan the statement on every run to avoid it; with the status in the text
/// each statement keeps one plan made for its own status.
macro_rules! out_of_line {
    ($status:literal) => {
        concat!(
            "SELECT e.*, 0::bigint AS live_position FROM queue_entries e
             WHERE e.tenant_id = $1 AND e.queue_id = $2 AND e.status = '",
            $status,
            "'
             ORDER BY COALESCE(e.completed_at, e.served_at, e.called_at, e.joined_at) DESC,
                 e.id DESC
             LIMIT 500"
        )
    };
}

/// A queue's entries in one status: waiting ones in line order with their places and
/// estimates (`turn` minutes per turn), the others most recent first (at most 500).
async fn entries_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
    status: EntryStatus,
    turn: f64,
) -> StoreResult<Vec<QueueEntry>> {
    let sql = match status {
        EntryStatus::Waiting => {
            "SELECT e.*, ROW_NUMBER() OVER (ORDER BY e.position, e.id) AS live_position
             FROM queue_entries e
             WHERE e.tenant_id = $1 AND e.queue_id = $2 AND e.status = 'waiting'
             ORDER BY e.position, e.id"
        }
        EntryStatus::Called => out_of_line!("called"),
        EntryStatus::Seated => out_of_line!("seated"),
        EntryStatus::Completed => out_of_line!("completed"),
        EntryStatus::Cancelled => out_of_line!("cancelled"),
        EntryStatus::NoShow => out_of_line!("no_show"),
    };
    let rows = sqlx::query(sql)
        .bind(tenant.0)
        .bind(queue_id)
        .fetch_all(conn)
        .await
        .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let mut e = rows::entry(r)?;
            if status == EntryStatus::Waiting {
                e.estimated_wait_time = wait::estimate_minutes(e.position, turn);
            }
            Ok(e)
        })
        .collect()
}

impl PgStore {
    pub(crate) async fn do_place_by_session(
        &self,
        tenant: TenantId,
        session_id: &str,
    ) -> StoreResult<Option<Place>> {
        // Outside a transaction: `qms_place` sets the tenant for its own statement.
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        place_in(&mut conn, tenant, EntryKey::Session(session_id)).await
    }

    pub(crate) async fn do_queue_entries(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        statuses: &[EntryStatus],
    ) -> StoreResult<Vec<QueueEntry>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let (_, turn) = summary_in(&mut tx, tenant, queue_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut out = Vec::new();
        for status in statuses {
            out.extend(entries_in(&mut tx, tenant, queue_id, *status, turn).await?);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }

    /// The whole board in one read-only transaction, so its numbers and lists agree.
    pub(crate) async fn do_queue_board(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<QueueBoard>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let Some((summary, turn)) = summary_in(&mut tx, tenant, queue_id).await? else {
            tx.commit().await.map_err(db_err)?;
            return Ok(None);
        };
        let waiting = entries_in(&mut tx, tenant, queue_id, EntryStatus::Waiting, turn).await?;
        let called = entries_in(&mut tx, tenant, queue_id, EntryStatus::Called, turn).await?;
        let seated = entries_in(&mut tx, tenant, queue_id, EntryStatus::Seated, turn).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Some(QueueBoard {
            summary,
            waiting,
            called,
            seated,
        }))
    }

    pub(crate) async fn do_join_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        new: NewEntry,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Joined> {
        let mut tx = self.engine_tx(tenant).await?;
        // The queue lock orders joins: replays, capacity, ticket and place are decided one
        // join at a time.
        let row = sqlx::query(
            "SELECT q.*, m.timezone AS merchant_timezone FROM queues q
             JOIN merchants m ON m.id = q.merchant_id AND m.tenant_id = q.tenant_id
             WHERE q.tenant_id = $1 AND q.id = $2
             FOR NO KEY UPDATE OF q",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let queue = rows::queue(&row)?;
        let timezone: String = rows::get(&row, "merchant_timezone")?;

        // The locked row is the queue's latest version (a lock that waited re-reads it), so its
        // counters (migration 0008) are the line's length and the number called now. Then,
        // under that lock, the rest the join decides on in one statement: an earlier answer to
        // the same `Idempotency-Key`, this phone's waiting place, the line's end, the recent
        // calls, whether the service type is offered, and the next ticket number of the day,
        // taken now (a join that ends without an entry rolls it back). (Not in the locking
        // statement: its subqueries would read the snapshot from before the lock was granted.)
        let day = hours::local_date(&timezone, now);
        let facts = sqlx::query(
            "WITH ticket AS (
                INSERT INTO queue_ticket_counters (tenant_id, queue_id, day, last_number)
                VALUES ($1, $2, $9, 1)
                ON CONFLICT (queue_id, day)
                DO UPDATE SET last_number = queue_ticket_counters.last_number + 1
                RETURNING last_number)
             SELECT
                (SELECT r.id FROM queue_entries r
                 WHERE r.tenant_id = $1 AND r.queue_id = $2 AND r.idempotency_key = $3) AS replay_id,
                (SELECT x.id FROM queue_entries x
                 WHERE x.tenant_id = $1 AND x.queue_id = $2 AND x.customer_phone = $4
                   AND x.status = 'waiting') AS existing_id,
                (SELECT COALESCE(MAX(w.position), 0) + 1 FROM queue_entries w
                 WHERE w.tenant_id = $1 AND w.queue_id = $2 AND w.status = 'waiting')
                    AS next_position,
                ARRAY(SELECT c.called_at FROM queue_entries c
                      WHERE c.tenant_id = $1 AND c.queue_id = $2 AND c.called_at >= $7
                      ORDER BY c.called_at DESC LIMIT $8) AS recent_calls,
                EXISTS (SELECT 1 FROM service_types st
                        WHERE st.tenant_id = $1 AND st.merchant_id = $5 AND st.id = $6
                          AND st.is_active) AS service_type_found,
                (SELECT last_number FROM ticket) AS ticket_seq",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .bind(new.idempotency_key.as_deref())
        .bind(&new.customer_phone)
        .bind(queue.merchant_id)
        .bind(new.service_type_id)
        .bind(now - wait::PACE_WINDOW)
        .bind(wait::PACE_SAMPLE as i64)
        .bind(&day)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let replay: Option<Uuid> = rows::get(&facts, "replay_id")?;
        let existing: Option<Uuid> = rows::get(&facts, "existing_id")?;
        let waiting = i64::from(rows::get::<i32>(&row, "waiting_count")?);
        let position: i64 = rows::get(&facts, "next_position")?;
        let called = i64::from(rows::get::<i32>(&row, "called_count")?);
        let calls: Vec<OffsetDateTime> = rows::get(&facts, "recent_calls")?;
        let service_type_found: bool = rows::get(&facts, "service_type_found")?;
        let seq: i32 = rows::get(&facts, "ticket_seq")?;

        // An answer given before: read back, and the ticket taken above is given back.
        if let Some(first) = replay.or(existing) {
            let entry = entry_by_id_in(&mut tx, tenant, first).await?;
            tx.rollback().await.map_err(db_err)?;
            return Ok(if replay.is_some() {
                Joined::Replayed(entry)
            } else {
                Joined::Existing(entry)
            });
        }

        let s = &queue.settings;
        if !s.is_active || !s.accepting_customers {
            return Err(StoreError::QueueClosed { opens_at: None });
        }
        if let Opening::ClosedUntil(at) = hours::opening_at(
            &s.business_hours_start,
            &s.business_hours_end,
            &timezone,
            now,
        ) {
            return Err(StoreError::QueueClosed { opens_at: Some(at) });
        }
        if waiting >= i64::from(s.max_capacity) {
            return Err(StoreError::QueueFull);
        }
        if new.service_type_id.is_some() && !service_type_found {
            return Err(StoreError::UnknownReference("serviceTypeId"));
        }

        let ticket = rules::ticket_number(rules::ticket_prefix(&s.name), i64::from(seq));
        let entry_id = Uuid::now_v7();
        // The new entry is last in line, and the join calls nobody: its place, the pace and
        // the queue's numbers after it follow from what was read above, without reading the
        // line again.
        let place = waiting + 1;
        let turn = wait::minutes_per_turn(&calls, now, s.average_service_time);
        let estimate = wait::estimate_minutes(place, turn);
        let data =
            serde_json::json!({"partySize": new.party_size, "platform": new.platform.as_str()});
        let event = Event {
            queue_id,
            entry_id: Some(entry_id),
            event_type: "customer-joined",
            data,
        };
        let audit = Audit {
            action: "queue.join",
            resource: "queue_entry",
            resource_id: Some(entry_id.to_string()),
            details: Some(serde_json::json!({"queueId": queue_id, "ticketNumber": ticket})),
        };
        let insert = sqlx::query(INSERT_ENTRY.as_str())
            .bind(entry_id)
            .bind(tenant.0)
            .bind(queue_id)
            .bind(&new.customer_phone)
            .bind(&new.customer_name)
            .bind(&new.customer_phone)
            .bind(new.platform.as_str())
            .bind(position)
            .bind(estimate)
            .bind(new.service_type_id)
            .bind(new.party_size)
            .bind(&new.notes)
            .bind(&new.special_requests)
            .bind(&new.verification_code)
            .bind(&new.session_id)
            .bind(&day)
            .bind(seq)
            .bind(&ticket)
            .bind(&new.idempotency_key)
            .bind(ms(now));
        let inserted = journal::bind_journal(insert, tenant, event, actor, audit, now)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        let mut entry = rows::entry(&inserted)?;
        entry.position = place;
        entry.estimated_wait_time = estimate;
        tx.commit().await.map_err(db_err)?;
        let stats = QueueStats::from_counts(place, called, turn);
        Ok(Joined::Created(
            entry,
            Box::new(QueueSummary { queue, stats }),
        ))
    }
}
