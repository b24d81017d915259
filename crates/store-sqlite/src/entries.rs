//! The queue engine on SQLite: joining, reading entries and places, and the store's side of the
//! moves (their transaction bodies are in [`moves`](crate::moves)). Every change runs on the
//! engine's write connection (`writer::EngineWriter`) together with its audit row and analytics
//! event, so a change is all-or-nothing and serialised with every other write.
//!
//! `queue_entries.position` is the line order (ascending, gaps allowed); the dense place the API
//! shows (1..n among waiting entries) is computed when reading, so no move rewrites the line.

use crate::inline;
use crate::journal::{self, Audit};
use crate::rows::Columns;
use crate::rows::{self, id, ms, recent_calls, tid};
use crate::{SqliteStore, db_err, moves};
use qms_domain::TenantId;
use qms_domain::entry::{self as rules, EntryStatus, Transition};
use qms_domain::queue::{self as hours, Opening};
use qms_domain::wait;
use qms_store::{
    Actor, AnalyticsEvent, BulkSelection, Joined, NewEntry, Place, QueueBoard, QueueEntry,
    QueueStats, QueueSummary, StoreError, StoreResult,
};
use rusqlite::ToSql;
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// Selects entries with, in the same statement, everything their place and estimate need:
/// the live place (1 + the waiting entries ahead, or 0 when not waiting), the queue's name and
/// configured pace, and (for waiting entries) the queue's recent call times
/// ([`recent_calls!`]). `$3` is the start of the pace window.
macro_rules! place_where {
    ($filter:literal) => {
        concat!(
            "SELECT e.*, CASE WHEN e.status = 'waiting' THEN 1 + (
                SELECT COUNT(*) FROM queue_entries w
                WHERE w.queue_id = e.queue_id AND w.status = 'waiting'
                  AND (w.position < e.position OR (w.position = e.position AND w.id < e.id))
            ) ELSE 0 END AS live_position,
            q.name AS queue_name, q.average_service_time AS queue_average_service_time,
            CASE WHEN e.status = 'waiting' THEN ",
            recent_calls!("e.queue_id", "$3"),
            " END AS recent_calls
            FROM queue_entries e JOIN queues q ON q.id = e.queue_id AND q.tenant_id = e.tenant_id ",
            $filter
        )
    };
}

impl SqliteStore {
    /// A customer's place by their session key, read inline ([`place_on`]).
    pub(crate) async fn do_place_by_session(
        &self,
        tenant: TenantId,
        session_id: &str,
    ) -> StoreResult<Option<Place>> {
        let now = OffsetDateTime::now_utc();
        self.inline
            .with(|conn| place_on(conn, tenant, PlaceKey::Session, session_id, now))
    }

    pub(crate) async fn do_queue_entries(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        statuses: &[EntryStatus],
    ) -> StoreResult<Vec<QueueEntry>> {
        let (_, turn) = self
            .summary(tenant, queue_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut out = Vec::new();
        for status in statuses {
            out.extend(self.entries_in(tenant, queue_id, *status, turn).await?);
        }
        Ok(out)
    }

    pub(crate) async fn do_queue_board(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<QueueBoard>> {
        let Some((summary, turn)) = self.summary(tenant, queue_id).await? else {
            return Ok(None);
        };
        Ok(Some(QueueBoard {
            summary,
            waiting: self
                .entries_in(tenant, queue_id, EntryStatus::Waiting, turn)
                .await?,
            called: self
                .entries_in(tenant, queue_id, EntryStatus::Called, turn)
                .await?,
            seated: self
                .entries_in(tenant, queue_id, EntryStatus::Seated, turn)
                .await?,
        }))
    }

    /// A queue's entries in one status: waiting ones in line order with their places and
    /// estimates (`turn` minutes per turn), the others most recent first (at most 500).
    async fn entries_in(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        status: EntryStatus,
        turn: f64,
    ) -> StoreResult<Vec<QueueEntry>> {
        let params: &[(&str, &dyn ToSql)] = &[("$1", &tid(tenant)), ("$2", &id(queue_id))];
        if status == EntryStatus::Waiting {
            // Rows come in line order; the live place is their rank.
            let mut place = 0;
            return self.inline.rows(
                "SELECT e.*, 0 AS live_position FROM queue_entries e
                 WHERE e.tenant_id = $1 AND e.queue_id = $2 AND e.status = 'waiting'
                 ORDER BY e.position, e.id",
                params,
                |row| {
                    place += 1;
                    let mut e = rows::entry(row)?;
                    e.position = place;
                    e.estimated_wait_time = wait::estimate_minutes(place, turn);
                    Ok(e)
                },
            );
        }
        // The status is spelt out, not bound: compared with a parameter, `status` makes SQLite
        // re-prepare the statement on every new value (for its partial index on `waiting`).
        macro_rules! recent {
            ($status:literal) => {
                concat!(
                    "SELECT e.*, 0 AS live_position FROM queue_entries e
                     WHERE e.tenant_id = $1 AND e.queue_id = $2 AND e.status = '",
                    $status,
                    "' ORDER BY COALESCE(e.completed_at, e.served_at, e.called_at, e.joined_at) DESC,
                        e.id DESC
                     LIMIT 500"
                )
            };
        }
        let sql = match status {
            EntryStatus::Waiting => recent!("waiting"),
            EntryStatus::Called => recent!("called"),
            EntryStatus::Seated => recent!("seated"),
            EntryStatus::Completed => recent!("completed"),
            EntryStatus::Cancelled => recent!("cancelled"),
            EntryStatus::NoShow => recent!("no_show"),
        };
        self.inline.rows(sql, params, |row| rows::entry(row))
    }

    /// Joins on the engine's write connection (`writer::EngineWriter`): the whole transaction
    /// runs in one call there; the new place is then read inline.
    pub(crate) async fn do_join_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        new: NewEntry,
        actor: &Actor,
        now: OffsetDateTime,
    ) -> StoreResult<Joined> {
        let actor = actor.clone();
        self.engine
            .transact(move |tx| {
                Ok(match join_in(tx, tenant, queue_id, &new, &actor, now)? {
                    JoinStep::Created(made) => {
                        let (entry, queue) = *made;
                        Joined::Created(entry, Box::new(queue))
                    }
                    JoinStep::Replayed(e) => Joined::Replayed(entry_on(tx, tenant, e, now)?),
                    JoinStep::Existing(e) => Joined::Existing(entry_on(tx, tenant, e, now)?),
                })
            })
            .await
    }

    /// A move of the state machine on the engine's write connection, which then reads the
    /// entry as the move left it.
    pub(crate) async fn do_transition(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_id: Uuid,
        transition: Transition,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        let (actor, now) = (actor.clone(), OffsetDateTime::now_utc());
        self.engine
            .transact(move |c| {
                moves::apply_in(c, tenant, queue_id, entry_id, transition, &actor, now)?;
                entry_on(c, tenant, entry_id, now)
            })
            .await
    }

    pub(crate) async fn do_call_next(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        let (actor, now) = (actor.clone(), OffsetDateTime::now_utc());
        self.engine
            .transact(move |c| {
                let entry_id = moves::call_next_in(c, tenant, queue_id, &actor, now)?;
                entry_on(c, tenant, entry_id, now)
            })
            .await
    }

    pub(crate) async fn do_call_bulk(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        selection: BulkSelection,
        actor: &Actor,
    ) -> StoreResult<Vec<QueueEntry>> {
        let (actor, now) = (actor.clone(), OffsetDateTime::now_utc());
        self.engine
            .transact(move |c| {
                moves::call_bulk_in(c, tenant, queue_id, selection, &actor, now)?
                    .into_iter()
                    .map(|entry_id| entry_on(c, tenant, entry_id, now))
                    .collect()
            })
            .await
    }

    pub(crate) async fn do_reorder(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        entry_ids: &[Uuid],
        actor: &Actor,
    ) -> StoreResult<()> {
        let (actor, now, entry_ids) =
            (actor.clone(), OffsetDateTime::now_utc(), entry_ids.to_vec());
        self.engine
            .transact(move |c| moves::reorder_in(c, tenant, queue_id, &entry_ids, &actor, now))
            .await
    }

    pub(crate) async fn do_cancel_by_customer(
        &self,
        tenant: TenantId,
        session_id: &str,
        actor: &Actor,
    ) -> StoreResult<QueueEntry> {
        let (actor, now, session) = (
            actor.clone(),
            OffsetDateTime::now_utc(),
            session_id.to_string(),
        );
        self.engine
            .transact(move |c| {
                let entry_id = moves::cancel_by_customer_in(c, tenant, &session, &actor, now)?;
                entry_on(c, tenant, entry_id, now)
            })
            .await
    }

    pub(crate) async fn do_analytics_events(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Vec<AnalyticsEvent>> {
        let rows = sqlx::query(
            "SELECT * FROM queue_analytics_events WHERE tenant_id = $1 AND queue_id = $2
             ORDER BY timestamp, id",
        )
        .bind(tid(tenant))
        .bind(id(queue_id))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(AnalyticsEvent {
                    id: rows::uuid(r, "id")?,
                    queue_id: rows::uuid(r, "queue_id")?,
                    queue_entry_id: rows::opt_uuid(r, "queue_entry_id")?,
                    event_type: r.try_get("event_type").map_err(db_err)?,
                    timestamp: rows::time(r, "timestamp")?,
                })
            })
            .collect()
    }
}

fn parse_id(s: &str) -> StoreResult<Uuid> {
    Uuid::parse_str(s).map_err(StoreError::backend)
}

/// Which column [`place_on`] finds an entry by.
#[derive(Clone, Copy)]
enum PlaceKey {
    Id,
    Session,
}

/// One entry of the tenant by id or session, with its live place, estimate (from the queue's
/// pace as of `now`) and queue name, in one statement on `conn`: an inline reader's, or the
/// write connection's inside a change (whose page cache the change itself has just warmed;
/// a reader's is emptied by every commit).
fn place_on(
    conn: &rusqlite::Connection,
    tenant: TenantId,
    by: PlaceKey,
    value: &str,
    now: OffsetDateTime,
) -> StoreResult<Option<Place>> {
    let sql = match by {
        PlaceKey::Session => place_where!("WHERE e.tenant_id = $1 AND e.session_id = $2"),
        PlaceKey::Id => place_where!("WHERE e.tenant_id = $1 AND e.id = $2"),
    };
    let since = ms(now - wait::PACE_WINDOW);
    let params: &[(&str, &dyn ToSql)] = &[("$1", &tid(tenant)), ("$2", &value), ("$3", &since)];
    let mut places = inline::rows_on(conn, sql, params, |row| {
        let mut entry = rows::entry(row)?;
        if entry.status == EntryStatus::Waiting {
            let calls = rows::time_list(row, "recent_calls")?;
            let configured = row.int32("queue_average_service_time")?;
            let turn = wait::minutes_per_turn(&calls, now, configured);
            entry.estimated_wait_time = wait::estimate_minutes(entry.position, turn);
        }
        Ok(Place {
            entry,
            queue_name: row.text("queue_name")?,
        })
    })?;
    Ok(places.pop())
}

/// The entry a change just made or moved, read inside that change.
fn entry_on(
    conn: &rusqlite::Connection,
    tenant: TenantId,
    entry_id: Uuid,
    now: OffsetDateTime,
) -> StoreResult<QueueEntry> {
    place_on(conn, tenant, PlaceKey::Id, &id(entry_id), now)?
        .map(|p| p.entry)
        .ok_or(StoreError::NotFound)
}

/// What a join did: a new entry, or the id of the one it answers again.
enum JoinStep {
    /// The new entry, and its queue with the numbers the join left it with.
    Created(Box<(QueueEntry, QueueSummary)>),
    Replayed(Uuid),
    Existing(Uuid),
}

/// The join's transaction: everything it decides on in one statement (the queue, its
/// merchant's time zone, an earlier answer to the same `Idempotency-Key`, this phone's waiting
/// place, the line's length, end, called count and recent calls, whether the service type is
/// offered), then the day's ticket, the entry, its analytics event and its audit row.
fn join_in(
    tx: &rusqlite::Connection,
    tenant: TenantId,
    queue_id: Uuid,
    new: &NewEntry,
    actor: &Actor,
    now: OffsetDateTime,
) -> StoreResult<JoinStep> {
    let params: &[(&str, &dyn ToSql)] = &[
        ("$1", &tid(tenant)),
        ("$2", &id(queue_id)),
        ("$3", &new.idempotency_key),
        ("$4", &new.customer_phone),
        ("$5", &new.service_type_id.map(id)),
        ("$6", &ms(now - wait::PACE_WINDOW)),
    ];
    let facts = inline::rows_on(
        tx,
        concat!(
            "SELECT q.*, m.timezone AS merchant_timezone,
            (SELECT r.id FROM queue_entries r
             WHERE r.queue_id = q.id AND r.idempotency_key = $3) AS replay_id,
            (SELECT x.id FROM queue_entries x
             WHERE x.queue_id = q.id AND x.customer_phone = $4 AND x.status = 'waiting')
                AS existing_id,
            (SELECT COALESCE(MAX(w.position), 0) + 1 FROM queue_entries w
             WHERE w.queue_id = q.id AND w.status = 'waiting') AS next_position, ",
            recent_calls!("q.id", "$6"),
            " AS recent_calls,
            (SELECT COUNT(*) FROM service_types st
             WHERE st.tenant_id = q.tenant_id AND st.merchant_id = q.merchant_id
               AND st.id = $5 AND st.is_active = 1) AS service_type_found
         FROM queues q JOIN merchants m ON m.id = q.merchant_id
         WHERE q.tenant_id = $1 AND q.id = $2"
        ),
        params,
        |r| {
            Ok((
                rows::queue(r)?,
                r.text("merchant_timezone")?,
                r.opt_text("replay_id")?,
                r.opt_text("existing_id")?,
                r.int("waiting_count")?,
                r.int("next_position")?,
                r.int("called_count")?,
                rows::time_list(r, "recent_calls")?,
                r.int("service_type_found")?,
            ))
        },
    )?
    .into_iter()
    .next()
    .ok_or(StoreError::NotFound)?;
    let (queue, timezone, replay, existing, waiting, position, called, calls, service_type_found) =
        facts;
    if let Some(first) = replay {
        return Ok(JoinStep::Replayed(parse_id(&first)?));
    }
    if let Some(existing) = existing {
        return Ok(JoinStep::Existing(parse_id(&existing)?));
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
    if new.service_type_id.is_some() && service_type_found == 0 {
        return Err(StoreError::UnknownReference("serviceTypeId"));
    }

    let day = hours::local_date(&timezone, now);
    let seq: i64 = tx
        .prepare_cached(
            "INSERT INTO queue_ticket_counters (tenant_id, queue_id, day, last_number)
             VALUES ($1, $2, $3, 1)
             ON CONFLICT (queue_id, day) DO UPDATE SET last_number = last_number + 1
             RETURNING last_number",
        )
        .and_then(|mut st| {
            let p: &[(&str, &dyn ToSql)] =
                &[("$1", &tid(tenant)), ("$2", &id(queue_id)), ("$3", &day)];
            st.query_row(p, |r| r.get(0))
        })
        .map_err(crate::sqlite_err)?;
    let ticket = rules::ticket_number(rules::ticket_prefix(&s.name), seq);
    let entry_id = Uuid::now_v7();
    // The new entry is last in line, and the join calls nobody: its place, the pace and the
    // queue's numbers after it follow from what was read above, without reading the line again.
    let place = waiting + 1;
    let turn = wait::minutes_per_turn(&calls, now, s.average_service_time);
    let estimate = wait::estimate_minutes(place, turn);
    let p: &[(&str, &dyn ToSql)] = &[
        ("$1", &id(entry_id)),
        ("$2", &tid(tenant)),
        ("$3", &id(queue_id)),
        ("$4", &new.customer_phone),
        ("$5", &new.customer_name),
        ("$6", &new.customer_phone),
        ("$7", &new.platform.as_str()),
        ("$8", &position),
        ("$9", &estimate),
        ("$10", &new.service_type_id.map(id)),
        ("$11", &new.party_size),
        ("$12", &new.notes),
        ("$13", &new.special_requests),
        ("$14", &new.verification_code),
        ("$15", &new.session_id),
        ("$16", &day),
        ("$17", &seq),
        ("$18", &ticket),
        ("$19", &new.idempotency_key),
        ("$20", &ms(now)),
    ];
    let mut entry = inline::rows_on(
        tx,
        "INSERT INTO queue_entries (id, tenant_id, queue_id, customer_id, customer_name,
             customer_phone, platform, position, estimated_wait_time, status, service_type_id,
             party_size, notes, special_requests, verification_code, session_id, ticket_day,
             ticket_seq, ticket_number, idempotency_key, joined_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $11, $12, $13, $14, $15,
             $16, $17, $18, $19, $20)
         RETURNING *, 0 AS live_position",
        p,
        |r| rows::entry(r),
    )?
    .pop()
    .ok_or(StoreError::NotFound)?;
    entry.position = place;
    entry.estimated_wait_time = estimate;
    let data = serde_json::json!({"partySize": new.party_size, "platform": new.platform.as_str()});
    journal::event_on(
        tx,
        tenant,
        queue_id,
        Some(entry_id),
        "customer-joined",
        data,
        now,
    )?;
    let audit = Audit {
        action: "queue.join",
        resource: "queue_entry",
        resource_id: Some(entry_id.to_string()),
        details: Some(serde_json::json!({"queueId": queue_id, "ticketNumber": ticket})),
    };
    journal::audit_on(tx, tenant, actor, audit, now)?;
    let stats = QueueStats::from_counts(place, called, turn);
    Ok(JoinStep::Created(Box::new((
        entry,
        QueueSummary { queue, stats },
    ))))
}
