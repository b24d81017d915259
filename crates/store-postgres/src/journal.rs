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
use time::OffsetDateTime;
use uuid::Uuid;

/// The analytics event of a queue move.
pub(crate) struct Event<'a> {
    pub queue_id: Uuid,
    pub entry_id: Option<Uuid>,
    pub event_type: &'a str,
    pub data: serde_json::Value,
}

/// The SQL of `change` (one data-modifying statement with a `RETURNING` list, whose parameters
/// are `$1` to `$params`) extended with the inserts of an analytics event and an audit row, whose
/// parameters follow (bound by [`bind_journal`]). The statement answers the change's rows. Built
/// once per call site (a `LazyLock`), so the text, and the prepared statement, stay the same.
pub(crate) fn journaled(change: &str, params: usize) -> String {
    let p = |i: usize| format!("${}", params + i);
    format!(
        "WITH changed AS ({change}),
         journal_event AS (
             INSERT INTO queue_analytics_events
                 (id, tenant_id, queue_id, queue_entry_id, event_type, data, timestamp)
             VALUES ({}, {}, {}, {}, {}, {}, {})),
         journal_audit AS (
             INSERT INTO audit_logs (id, tenant_id, user_id, user_type, action, resource,
                 resource_id, details, ip_address, user_agent, created_at)
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}))
         SELECT * FROM changed",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7),
        p(8),
        p(2),
        p(9),
        p(10),
        p(11),
        p(12),
        p(13),
        p(14),
        p(15),
        p(16),
        p(7),
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
    query
        .bind(Uuid::now_v7())
        .bind(tenant.0)
        .bind(event.queue_id)
        .bind(event.entry_id)
        .bind(event.event_type)
        .bind(Json(event.data))
        .bind(ms(now))
        .bind(Uuid::now_v7())
        .bind(actor.user_id)
        .bind(actor.user_type.as_str())
        .bind(audit.action)
        .bind(audit.resource)
        .bind(audit.resource_id)
        .bind(audit.details.map(Json))
        .bind(actor.ip_address.as_deref())
        .bind(actor.user_agent.as_deref())
}

/// One audit row.
pub(crate) struct Audit<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_id: Option<String>,
    pub details: Option<serde_json::Value>,
}

pub(crate) async fn audit(
    conn: &mut PgConnection,
    tenant: TenantId,
    actor: &Actor,
    audit: Audit<'_>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_logs (id, tenant_id, user_id, user_type, action, resource, resource_id,
             details, ip_address, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
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
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn event(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
    entry_id: Option<Uuid>,
    event_type: &str,
    data: serde_json::Value,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO queue_analytics_events (id, tenant_id, queue_id, queue_entry_id, event_type, data, timestamp)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(tenant.0)
    .bind(queue_id)
    .bind(entry_id)
    .bind(event_type)
    .bind(Json(data))
    .bind(ms(now))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}
