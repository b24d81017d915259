//! The two rows every state change leaves behind, written inside the change's transaction:
//! the audit row (who did what) and, for queue moves, the analytics event.

use crate::db_err;
use crate::rows::{id, ms, tid};
use qms_domain::TenantId;
use qms_store::{Actor, StoreResult};
use rusqlite::ToSql;
use sqlx::SqliteConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// The audit row's statement, for both connection kinds.
const INSERT_AUDIT: &str =
    "INSERT INTO audit_logs (id, tenant_id, user_id, user_type, action, resource, resource_id,
             details, ip_address, user_agent, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

/// The analytics event's statement, for both connection kinds.
const INSERT_EVENT: &str = "INSERT INTO queue_analytics_events (id, tenant_id, queue_id, queue_entry_id, event_type, data, timestamp)
         VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// One audit row.
pub(crate) struct Audit<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub resource_id: Option<String>,
    pub details: Option<serde_json::Value>,
}

pub(crate) async fn audit(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    actor: &Actor,
    audit: Audit<'_>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    sqlx::query(INSERT_AUDIT)
        .bind(id(Uuid::now_v7()))
        .bind(tid(tenant))
        .bind(actor.user_id.map(id))
        .bind(actor.user_type.as_str())
        .bind(audit.action)
        .bind(audit.resource)
        .bind(audit.resource_id)
        .bind(audit.details.map(|d| d.to_string()))
        .bind(actor.ip_address.as_deref())
        .bind(actor.user_agent.as_deref())
        .bind(ms(now))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// [`audit`] on a synchronous connection (the engine's writer, see `writer::EngineWriter`).
pub(crate) fn audit_on(
    conn: &rusqlite::Connection,
    tenant: TenantId,
    actor: &Actor,
    audit: Audit<'_>,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let details = audit.details.map(|d| d.to_string());
    let params: &[(&str, &dyn ToSql)] = &[
        ("$1", &id(Uuid::now_v7())),
        ("$2", &tid(tenant)),
        ("$3", &actor.user_id.map(id)),
        ("$4", &actor.user_type.as_str()),
        ("$5", &audit.action),
        ("$6", &audit.resource),
        ("$7", &audit.resource_id),
        ("$8", &details),
        ("$9", &actor.ip_address),
        ("$10", &actor.user_agent),
        ("$11", &ms(now)),
    ];
    conn.prepare_cached(INSERT_AUDIT)
        .and_then(|mut s| s.execute(params))
        .map_err(crate::sqlite_err)?;
    Ok(())
}

/// The analytics event on a synchronous connection (the engine's writer, see
/// `writer::EngineWriter`).
pub(crate) fn event_on(
    conn: &rusqlite::Connection,
    tenant: TenantId,
    queue_id: Uuid,
    entry_id: Option<Uuid>,
    event_type: &str,
    data: serde_json::Value,
    now: OffsetDateTime,
) -> StoreResult<()> {
    let params: &[(&str, &dyn ToSql)] = &[
        ("$1", &id(Uuid::now_v7())),
        ("$2", &tid(tenant)),
        ("$3", &id(queue_id)),
        ("$4", &entry_id.map(id)),
        ("$5", &event_type),
        ("$6", &data.to_string()),
        ("$7", &ms(now)),
    ];
    conn.prepare_cached(INSERT_EVENT)
        .and_then(|mut s| s.execute(params))
        .map_err(crate::sqlite_err)?;
    Ok(())
}
