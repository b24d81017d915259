//! Activity counts for reports: per queue, what became of the customers who joined in a period
//! (served, cancelled, no-show, still active) and how long they waited to be called.

use crate::rows::{get, ms};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::{QueueActivity, StoreResult};
use time::OffsetDateTime;

impl PgStore {
    pub(crate) async fn do_queue_activity(
        &self,
        tenant: TenantId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<QueueActivity>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let rows = sqlx::query(
            "SELECT q.id AS queue_id, q.name AS queue_name,
                 COUNT(e.id) AS joined,
                 COUNT(e.id) FILTER (WHERE e.called_at IS NOT NULL) AS called,
                 COUNT(e.id) FILTER (WHERE e.status IN ('seated', 'completed')) AS served,
                 COUNT(e.id) FILTER (WHERE e.status = 'cancelled') AS cancelled,
                 COUNT(e.id) FILTER (WHERE e.status = 'no_show') AS no_show,
                 COUNT(e.id) FILTER (WHERE e.status IN ('waiting', 'called')) AS active,
                 AVG(EXTRACT(EPOCH FROM (e.called_at - e.joined_at)))::float8 AS average_wait
             FROM queues q
             LEFT JOIN queue_entries e ON e.queue_id = q.id AND e.tenant_id = q.tenant_id
                 AND e.joined_at >= $2 AND e.joined_at < $3
             WHERE q.tenant_id = $1
             GROUP BY q.id, q.name, q.created_at
             ORDER BY q.created_at, q.id",
        )
        .bind(tenant.0)
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(QueueActivity {
                    queue_id: get(r, "queue_id")?,
                    queue_name: get(r, "queue_name")?,
                    joined: get(r, "joined")?,
                    called: get(r, "called")?,
                    served: get(r, "served")?,
                    cancelled: get(r, "cancelled")?,
                    no_show: get(r, "no_show")?,
                    active: get(r, "active")?,
                    average_wait_seconds: get(r, "average_wait")?,
                })
            })
            .collect()
    }
}
