//! Queues with their settings and live numbers.
//!
//! The `*_in` helpers run on a connection that is already inside a tenant transaction, so a
//! method can read a queue, its pace and its entries from one snapshot; the summaries (one
//! statement that sets the tenant itself) also run outside one.

use crate::journal::{self, Audit};
use crate::rows::{self, now};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::queue::QueueSettings;
use qms_domain::wait;
use qms_store::{Actor, Queue, QueueStats, QueueSummary, StoreError, StoreResult};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// The tenant's queues (or the one queue `only`) with their live numbers and pace (minutes
/// per turn), in one statement (`qms_queue_summaries`, migration 0006, which also sets the
/// tenant, so it may run outside a transaction): the counts come from the queue row's counters
/// (migration 0008), the recent call times from the `(tenant_id, queue_id, called_at)` index
/// (migration 0009).
pub(crate) async fn summaries_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    only: Option<Uuid>,
) -> StoreResult<Vec<(QueueSummary, f64)>> {
    let now = OffsetDateTime::now_utc();
    let rows = sqlx::query(
        "SELECT (s.queue).*, s.waiting_count, s.called_count, s.recent_calls
         FROM qms_queue_summaries($1, $2, $3, $4) s",
    )
    .bind(tenant.0)
    .bind(only)
    .bind(now - wait::PACE_WINDOW)
    .bind(wait::PACE_SAMPLE as i64)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let queue = rows::queue(r)?;
            let calls: Vec<OffsetDateTime> = rows::get(r, "recent_calls")?;
            let turn = wait::minutes_per_turn(&calls, now, queue.settings.average_service_time);
            let stats = QueueStats::from_counts(
                rows::get(r, "waiting_count")?,
                rows::get(r, "called_count")?,
                turn,
            );
            Ok((QueueSummary { queue, stats }, turn))
        })
        .collect()
}

/// One queue with its live numbers and pace.
pub(crate) async fn summary_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
) -> StoreResult<Option<(QueueSummary, f64)>> {
    Ok(summaries_in(conn, tenant, Some(queue_id)).await?.pop())
}

/// Checks the merchant belongs to the tenant and locks it, so that concurrent creations under
/// one merchant are counted one after the other.
pub(crate) async fn lock_merchant(
    conn: &mut PgConnection,
    tenant: TenantId,
    merchant_id: Uuid,
) -> StoreResult<()> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM merchants WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE",
    )
    .bind(tenant.0)
    .bind(merchant_id)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// One queue of the tenant, in one statement that sets the tenant itself (`qms_queue`,
/// migration 0006), so it runs inside a tenant transaction or outside any.
pub(crate) async fn queue_in(
    conn: &mut PgConnection,
    tenant: TenantId,
    queue_id: Uuid,
) -> StoreResult<Option<Queue>> {
    let row = sqlx::query("SELECT * FROM qms_queue($1, $2)")
        .bind(tenant.0)
        .bind(queue_id)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?;
    row.as_ref().map(rows::queue).transpose()
}

impl PgStore {
    pub(crate) async fn do_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<Queue>> {
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        queue_in(&mut conn, tenant, queue_id).await
    }

    pub(crate) async fn do_list_queues(&self, tenant: TenantId) -> StoreResult<Vec<QueueSummary>> {
        // Outside a transaction: the statement sets the tenant for itself.
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        let list = summaries_in(&mut conn, tenant, None).await?;
        Ok(list.into_iter().map(|(s, _)| s).collect())
    }

    pub(crate) async fn do_queue_stats(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<QueueStats> {
        let mut conn = self.pool().acquire().await.map_err(db_err)?;
        let summary = summary_in(&mut conn, tenant, queue_id).await?;
        summary.map(|(s, _)| s.stats).ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_create_queue(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        s: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        let now = now();
        let queue_id = Uuid::now_v7();
        let mut tx = self.tenant_tx(tenant).await?;
        lock_merchant(&mut tx, tenant, merchant_id).await?;
        let limit: i64 = sqlx::query_scalar::<_, i32>(
            "SELECT max_queues_per_merchant FROM tenant_subscriptions WHERE tenant_id = $1",
        )
        .bind(tenant.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .map_or(0, i64::from);
        let existing: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM queues WHERE tenant_id = $1 AND merchant_id = $2",
        )
        .bind(tenant.0)
        .bind(merchant_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if existing >= limit {
            return Err(StoreError::PlanLimit(format!(
                "your plan allows {limit} queues per merchant"
            )));
        }
        let row = sqlx::query(
            "INSERT INTO queues (id, tenant_id, merchant_id, name, description, is_active,
                 accepting_customers, max_capacity, average_service_time, auto_notifications,
                 notification_interval, allow_cancellation, require_confirmation,
                 business_hours_start, business_hours_end, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
             RETURNING *",
        )
        .bind(queue_id)
        .bind(tenant.0)
        .bind(merchant_id)
        .bind(&s.name)
        .bind(&s.description)
        .bind(s.is_active)
        .bind(s.accepting_customers)
        .bind(s.max_capacity)
        .bind(s.average_service_time)
        .bind(s.auto_notifications)
        .bind(s.notification_interval)
        .bind(s.allow_cancellation)
        .bind(s.require_confirmation)
        .bind(&s.business_hours_start)
        .bind(&s.business_hours_end)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let queue = rows::queue(&row)?;
        let audit = Audit {
            action: "queue.create",
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: Some(serde_json::json!({"name": s.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(queue)
    }

    pub(crate) async fn do_update_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        s: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "UPDATE queues SET name = $3, description = $4, is_active = $5, accepting_customers = $6,
                 max_capacity = $7, average_service_time = $8, auto_notifications = $9,
                 notification_interval = $10, allow_cancellation = $11, require_confirmation = $12,
                 business_hours_start = $13, business_hours_end = $14, updated_at = $15
             WHERE tenant_id = $1 AND id = $2
             RETURNING *",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .bind(&s.name)
        .bind(&s.description)
        .bind(s.is_active)
        .bind(s.accepting_customers)
        .bind(s.max_capacity)
        .bind(s.average_service_time)
        .bind(s.auto_notifications)
        .bind(s.notification_interval)
        .bind(s.allow_cancellation)
        .bind(s.require_confirmation)
        .bind(&s.business_hours_start)
        .bind(&s.business_hours_end)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let queue = rows::queue(&row)?;
        let audit = Audit {
            action: "queue.update",
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: serde_json::to_value(&s).ok(),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(queue)
    }

    pub(crate) async fn do_set_accepting(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        accepting: bool,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "UPDATE queues SET accepting_customers = $3, updated_at = $4
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .bind(accepting)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let queue = rows::queue(&row)?;
        let audit = Audit {
            action: if accepting {
                "queue.open"
            } else {
                "queue.pause"
            },
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(queue)
    }

    pub(crate) async fn do_delete_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        // Locked against joins and moves while we decide.
        let exists: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM queues WHERE tenant_id = $1 AND id = $2 FOR UPDATE")
                .bind(tenant.0)
                .bind(queue_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let active: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM queue_entries
             WHERE tenant_id = $1 AND queue_id = $2 AND status IN ('waiting', 'called')",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if active > 0 {
            return Err(StoreError::QueueHasCustomers);
        }
        sqlx::query("DELETE FROM queues WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(queue_id)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let audit = Audit {
            action: "queue.delete",
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }
}
