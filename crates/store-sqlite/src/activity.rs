//! Activity counts for reports: per queue, what became of the customers who joined in a period
//! (served, cancelled, no-show, still active) and how long they waited to be called.

use crate::rows::{ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_store::{QueueActivity, StoreError, StoreResult};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

impl SqliteStore {
    pub(crate) async fn do_queue_activity(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<QueueActivity>> {
        let rows = sqlx::query(
            "SELECT q.id AS queue_id, q.name AS queue_name,
                 COUNT(e.id) AS joined,
                 COALESCE(SUM(CASE WHEN e.called_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS called,
                 COALESCE(SUM(CASE WHEN e.status IN ('seated', 'completed') THEN 1 ELSE 0 END), 0) AS served,
                 COALESCE(SUM(CASE WHEN e.status = 'cancelled' THEN 1 ELSE 0 END), 0) AS cancelled,
                 COALESCE(SUM(CASE WHEN e.status = 'no_show' THEN 1 ELSE 0 END), 0) AS no_show,
                 COALESCE(SUM(CASE WHEN e.status IN ('waiting', 'called') THEN 1 ELSE 0 END), 0) AS active,
                 AVG(CASE WHEN e.called_at IS NOT NULL
                     THEN CAST(e.called_at - e.joined_at AS REAL) / 1000.0 END) AS average_wait
             FROM queues q
             LEFT JOIN queue_entries e ON e.queue_id = q.id AND e.tenant_id = q.tenant_id
                 AND e.joined_at >= $2 AND e.joined_at < $3
             WHERE q.tenant_id = $1
             GROUP BY q.id, q.name, q.created_at
             ORDER BY q.created_at, q.id",
        )
        .bind(tid(tenant))
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let get_i =
                    |c: &str| -> StoreResult<i64> { r.try_get(c).map_err(StoreError::backend) };
                let id: String = r.try_get("queue_id").map_err(StoreError::backend)?;
                Ok(QueueActivity {
                    queue_id: Uuid::parse_str(&id).map_err(StoreError::backend)?,
                    queue_name: r.try_get("queue_name").map_err(StoreError::backend)?,
                    joined: get_i("joined")?,
                    called: get_i("called")?,
                    served: get_i("served")?,
                    cancelled: get_i("cancelled")?,
                    no_show: get_i("no_show")?,
                    active: get_i("active")?,
                    average_wait_seconds: r
                        .try_get::<Option<f64>, _>("average_wait")
                        .map_err(StoreError::backend)?,
                })
            })
            .collect()
    }
}
