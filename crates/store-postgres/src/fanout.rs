//! The realtime fan-out's read on PostgreSQL ([`qms_store::Store::fanout_line`]): the queue,
//! then its waiting line (id, session id, ticket), the number called and the recent call times
//! as one statement, in a tenant transaction (so row-level security applies) on the fan-out's
//! own connections (`PgStore::fanout_tx`). The line's rows are tagged by `k`: 0 a waiting
//! customer (in line order), 1 the called count, 2 a recent call.

use crate::queues::queue_in;
use crate::rows;
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::wait;
use qms_store::{FanoutLine, LineSpot, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

const LINE: &str = "
    SELECT 0 AS k, id, session_id, ticket_number, position AS n, NULL::timestamptz AS at
      FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'
    UNION ALL
    SELECT 1, NULL, NULL, NULL, COUNT(*), NULL
      FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'called'
    UNION ALL
    (SELECT 2, NULL, NULL, NULL, 0, called_at FROM queue_entries
      WHERE tenant_id = $1 AND queue_id = $2 AND called_at >= $3
      ORDER BY called_at DESC LIMIT $4)
    ORDER BY k, n, id";

impl PgStore {
    pub(crate) async fn do_fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<Option<FanoutLine>> {
        let mut tx = self.fanout_tx(tenant).await?;
        let Some(queue) = queue_in(&mut tx, tenant, queue_id).await? else {
            tx.commit().await.map_err(db_err)?;
            return Ok(None);
        };
        let found = sqlx::query(LINE)
            .bind(tenant.0)
            .bind(queue_id)
            .bind(now - wait::PACE_WINDOW)
            .bind(wait::PACE_SAMPLE as i64)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let mut line = FanoutLine {
            queue,
            waiting: Vec::new(),
            called: 0,
            recent_calls: Vec::new(),
        };
        for row in &found {
            let k: i32 = rows::get(row, "k")?;
            match k {
                0 => line.waiting.push(LineSpot {
                    id: rows::get(row, "id")?,
                    session_id: rows::get(row, "session_id")?,
                    ticket_number: rows::get(row, "ticket_number")?,
                }),
                1 => line.called = rows::get(row, "n")?,
                _ => line.recent_calls.push(rows::get(row, "at")?),
            }
        }
        Ok(Some(line))
    }
}
