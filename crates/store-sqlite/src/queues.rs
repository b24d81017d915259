//! Queues with their live numbers, and service types.

use crate::journal::{self, Audit};
use crate::rows::Columns;
use crate::rows::{self, id, ms, recent_calls, tid};
use crate::{SqliteStore, db_err, inline};
use qms_domain::TenantId;
use qms_domain::queue::QueueSettings;
use qms_domain::wait;
use qms_store::{
    Actor, NewServiceType, Queue, QueueStats, QueueSummary, ServiceType, StoreError, StoreResult,
};
use rusqlite::ToSql;
use time::OffsetDateTime;
use uuid::Uuid;

impl SqliteStore {
    pub(crate) async fn do_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<Queue>> {
        let params: &[(&str, &dyn ToSql)] = &[("$1", &tid(tenant)), ("$2", &id(queue_id))];
        self.inline.row(
            "SELECT * FROM queues WHERE tenant_id = $1 AND id = $2",
            params,
            |r| rows::queue(r),
        )
    }

    async fn summaries(
        &self,
        tenant: TenantId,
        only: Option<Uuid>,
    ) -> StoreResult<Vec<(QueueSummary, f64)>> {
        let now = OffsetDateTime::now_utc();
        self.inline
            .with(|conn| summaries_on(conn, tenant, only, now))
    }

    /// One queue with its live numbers and pace.
    pub(crate) async fn summary(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<Option<(QueueSummary, f64)>> {
        Ok(self.summaries(tenant, Some(queue_id)).await?.pop())
    }

    pub(crate) async fn do_list_queues(&self, tenant: TenantId) -> StoreResult<Vec<QueueSummary>> {
        Ok(self
            .summaries(tenant, None)
            .await?
            .into_iter()
            .map(|(s, _)| s)
            .collect())
    }

    pub(crate) async fn do_queue_stats(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
    ) -> StoreResult<QueueStats> {
        let (summary, _) = self
            .summary(tenant, queue_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(summary.stats)
    }

    pub(crate) async fn do_create_queue(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        s: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        let now = OffsetDateTime::now_utc();
        let queue_id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let merchant = sqlx::query("SELECT id FROM merchants WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(merchant_id))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if merchant.is_none() {
            return Err(StoreError::NotFound);
        }
        let limit: i64 = sqlx::query_scalar(
            "SELECT max_queues_per_merchant FROM tenant_subscriptions WHERE tenant_id = $1",
        )
        .bind(tid(tenant))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .unwrap_or(0);
        let existing: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM queues WHERE tenant_id = $1 AND merchant_id = $2",
        )
        .bind(tid(tenant))
        .bind(id(merchant_id))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if existing >= limit {
            return Err(StoreError::PlanLimit(format!(
                "your plan allows {limit} queues per merchant"
            )));
        }
        sqlx::query(
            "INSERT INTO queues (id, tenant_id, merchant_id, name, description, is_active,
                 accepting_customers, max_capacity, average_service_time, auto_notifications,
                 notification_interval, allow_cancellation, require_confirmation,
                 business_hours_start, business_hours_end, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        )
        .bind(id(queue_id))
        .bind(tid(tenant))
        .bind(id(merchant_id))
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
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let audit = Audit {
            action: "queue.create",
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: Some(serde_json::json!({"name": s.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.do_queue(tenant, queue_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_update_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        s: QueueSettings,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE queues SET name = $3, description = $4, is_active = $5, accepting_customers = $6,
                 max_capacity = $7, average_service_time = $8, auto_notifications = $9,
                 notification_interval = $10, allow_cancellation = $11, require_confirmation = $12,
                 business_hours_start = $13, business_hours_end = $14, updated_at = $15
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(queue_id))
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
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let audit = Audit {
            action: "queue.update",
            resource: "queue",
            resource_id: Some(queue_id.to_string()),
            details: serde_json::to_value(&s).ok(),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.do_queue(tenant, queue_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_set_accepting(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        accepting: bool,
        actor: &Actor,
    ) -> StoreResult<Queue> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE queues SET accepting_customers = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(queue_id))
        .bind(accepting)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
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
        self.do_queue(tenant, queue_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(crate) async fn do_delete_queue(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let exists = sqlx::query("SELECT id FROM queues WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(queue_id))
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
        .bind(tid(tenant))
        .bind(id(queue_id))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if active > 0 {
            return Err(StoreError::QueueHasCustomers);
        }
        sqlx::query("DELETE FROM queues WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(queue_id))
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

    pub(crate) async fn do_service_types(&self, tenant: TenantId) -> StoreResult<Vec<ServiceType>> {
        let rows =
            sqlx::query("SELECT * FROM service_types WHERE tenant_id = $1 ORDER BY name, id")
                .bind(tid(tenant))
                .fetch_all(&self.reader)
                .await
                .map_err(db_err)?;
        rows.iter().map(rows::service_type).collect()
    }

    async fn service_type(&self, tenant: TenantId, st_id: Uuid) -> StoreResult<ServiceType> {
        let row = sqlx::query("SELECT * FROM service_types WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(st_id))
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        rows::service_type(&row)
    }

    pub(crate) async fn do_create_service_type(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType> {
        let now = OffsetDateTime::now_utc();
        let st_id = Uuid::now_v7();
        let mut tx = self.write().await?;
        let merchant = sqlx::query("SELECT id FROM merchants WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(merchant_id))
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if merchant.is_none() {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "INSERT INTO service_types (id, tenant_id, merchant_id, name, description,
                 estimated_duration, is_active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id(st_id))
        .bind(tid(tenant))
        .bind(id(merchant_id))
        .bind(&new.name)
        .bind(&new.description)
        .bind(new.estimated_duration)
        .bind(new.is_active)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let audit = Audit {
            action: "service_type.create",
            resource: "service_type",
            resource_id: Some(st_id.to_string()),
            details: Some(serde_json::json!({"name": new.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.service_type(tenant, st_id).await
    }

    pub(crate) async fn do_update_service_type(
        &self,
        tenant: TenantId,
        st_id: Uuid,
        new: NewServiceType,
        actor: &Actor,
    ) -> StoreResult<ServiceType> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE service_types SET name = $3, description = $4, estimated_duration = $5,
                 is_active = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(st_id))
        .bind(&new.name)
        .bind(&new.description)
        .bind(new.estimated_duration)
        .bind(new.is_active)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let audit = Audit {
            action: "service_type.update",
            resource: "service_type",
            resource_id: Some(st_id.to_string()),
            details: Some(serde_json::json!({"name": new.name})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        self.service_type(tenant, st_id).await
    }

    pub(crate) async fn do_delete_service_type(
        &self,
        tenant: TenantId,
        st_id: Uuid,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM service_types WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(st_id))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let audit = Audit {
            action: "service_type.delete",
            resource: "service_type",
            resource_id: Some(st_id.to_string()),
            details: None,
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)
    }
}

/// The tenant's queues (or the one queue `only`) with their live numbers and pace (minutes per
/// turn, as of `now`), in one statement on an inline reader's `conn`: the counts are the
/// queue's counters (migration 0008), the recent call times a subquery on `(queue_id,
/// called_at)` ([`rows::recent_calls!`]).
fn summaries_on(
    conn: &rusqlite::Connection,
    tenant: TenantId,
    only: Option<Uuid>,
    now: OffsetDateTime,
) -> StoreResult<Vec<(QueueSummary, f64)>> {
    let since = ms(now - wait::PACE_WINDOW);
    let only = only.map(id);
    let params: &[(&str, &dyn ToSql)] = &[("$1", &tid(tenant)), ("$2", &since), ("$3", &only)];
    inline::rows_on(
        conn,
        concat!(
            "SELECT q.*, ",
            recent_calls!("q.id", "$2"),
            " AS recent_calls
         FROM queues q
         WHERE q.tenant_id = $1 AND ($3 IS NULL OR q.id = $3)
         ORDER BY q.created_at, q.id"
        ),
        params,
        |r| {
            let queue = rows::queue(r)?;
            let calls = rows::time_list(r, "recent_calls")?;
            let turn = wait::minutes_per_turn(&calls, now, queue.settings.average_service_time);
            let stats =
                QueueStats::from_counts(r.int("waiting_count")?, r.int("called_count")?, turn);
            Ok((QueueSummary { queue, stats }, turn))
        },
    )
}
