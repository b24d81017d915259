//! The two rows every state change leaves behind, written inside the change's transaction:
//! the audit row (who did what) and, for queue moves, the analytics event.
//!
//! A queue move writes them in the same statement as its change ([`journaled`] and
//! [`bind_journal`]): a statement is a round trip to the database, and a move holds its queue's
//! lock until it commits, so every round trip it saves shortens the wait of the next move.

use crate::db_err;
use crate::rows::ms;
use qms_domain::TenantId;
use qms_store::{Actor, StoreResult};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{PgConnection, Postgres};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

/// The analytics event of a queue move.
pub(crate) struct Event<'a> {
    pub queue_id: Uuid,
    pub entry_id: Option<Uuid>,
    pub event_type: &'a str,
    pub data: serde_json::Value,
}

/// One audit row.
pub(crate) struct Audit<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_id: Option<String>,
    pub details: Option<serde_json::Value>,
}

/// Parameters of an event's insert ([`bind_event`]).
const EVENT_PARAMS: usize = 7;

/// Parameters of an audit row's insert ([`bind_audit`]).
const AUDIT_PARAMS: usize = 11;

/// `INSERT` of an analytics event whose parameters start after `$skip`.
fn insert_event(skip: usize) -> String {
    format!(
        "INSERT INTO queue_analytics_events
             (id, tenant_id, queue_id, queue_entry_id, event_type, data, timestamp)
         VALUES ({})",
        placeholders(skip, EVENT_PARAMS)
    )
}

/// `INSERT` of an audit row whose parameters start after `$skip`.
fn insert_audit(skip: usize) -> String {
    format!(
        "INSERT INTO audit_logs (id, tenant_id, user_id, user_type, action, resource, resource_id,
             details, ip_address, user_agent, created_at)
         VALUES ({})",
        placeholders(skip, AUDIT_PARAMS)
    )
}

/// `$skip+1, …, $skip+n`.
fn placeholders(skip: usize, n: usize) -> String {
    (skip + 1..=skip + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SQL of `change` (one data-modifying statement with a `RETURNING` list, whose parameters
/// are `$1` to `$params`) extended with the inserts of an analytics event and an audit row, whose
/// parameters follow (bound by [`bind_journal`]). The statement answers the change's rows. Built
/// once per call site (a `LazyLock`), so the text, and the prepared statement, stay the same.
pub(crate) fn journaled(change: &str, params: usize) -> String {
    format!(
        "WITH changed AS ({change}),
         journal_event AS ({}),
         journal_audit AS ({})
         SELECT * FROM changed",
        insert_event(params),
        insert_audit(params + EVENT_PARAMS),
    )
}

/// Binds the event's and the audit row's parameters of a [`journaled`] statement, after the
/// change's own.
pub(crate) fn bind_journal<'q>(
    query: Query<'q, Postgres, PgArguments>,
    tenant: TenantId,
    event: Event<'q>,
    actor: &'q Actor,
    audit: Audit<'q>,
    now: OffsetDateTime,
) -> Query<'q, Postgres, PgArguments> {
    bind_audit(
        bind_event(query, tenant, event, now),
        tenant,
        actor,
        audit,
        now,
    )
}

fn bind_event<'q>(
    query: Query<'q, Postgres, PgArguments>,
    tenant: TenantId,
    event: Event<'q>,
    now: OffsetDateTime,
) -> Query<'q, Postgres, PgArguments> {
    query
        .bind(Uuid::now_v7())
        .bind(tenant.0)
        .bind(event.queue_id)
        .bind(event.entry_id)
        .bind(event.event_type)
        .bind(Json(event.data))
        .bind(ms(now))
}

fn bind_audit<'q>(
    query: Query<'q, Postgres, PgArguments>,
    tenant: TenantId,
    actor: &'q Actor,
    audit: Audit<'q>,
    now: OffsetDateTime,
) -> Query<'q, Postgres, PgArguments> {
    query
        .bind(Uuid::now_v7())
        .bind(tenant.0)
        .bind(actor.user_id)
        .bind(actor.user_type.as_str())
        .bind(audit.action)
        .bind(audit.resource)
        .bind(audit.resource_id)
        .bind(audit.details.map(Json))
        .bind(actor.ip_address.as_deref())
        .bind(actor.user_agent.as_deref())
        .bind(ms(now))
}

/// An audit row alone, for changes that are not queue moves.
pub(crate) async fn audit(
    conn: &mut PgConnection,
    tenant: TenantId,
    actor: &Actor,
    audit: Audit<'_>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    static SQL: LazyLock<String> = LazyLock::new(|| insert_audit(0));
    bind_audit(sqlx::query(SQL.as_str()), tenant, actor, audit, now)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// An analytics event and an audit row in one statement, for a queue change that returns
/// nothing of its own (a reorder).
pub(crate) async fn record(
    conn: &mut PgConnection,
    tenant: TenantId,
    event: Event<'_>,
    actor: &Actor,
    audit: Audit<'_>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH journal_event AS ({}) {}",
            insert_event(0),
            insert_audit(EVENT_PARAMS)
        )
    });
    bind_journal(sqlx::query(SQL.as_str()), tenant, event, actor, audit, now)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}
