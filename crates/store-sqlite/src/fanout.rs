//! The realtime fan-out's read on SQLite ([`qms_store::Store::fanout_line`]): the waiting line
//! (id, session id, ticket), the number called and the recent call times, as one statement on
//! the reader pool. Rows are tagged by `k`: 0 a waiting customer (in line order), 1 the called
//! count, 2 a recent call.

use crate::rows::{at, id, ms, tid, uuid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_domain::wait;
use qms_store::{FanoutLine, LineSpot, StoreError, StoreResult};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

const LINE: &str = "
    SELECT 0 AS k, id, session_id, ticket_number, position AS n, NULL AS at
      FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'
    UNION ALL
    SELECT 1, NULL, NULL, NULL, COUNT(*), NULL
      FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'called'
    UNION ALL
    SELECT * FROM (
      SELECT 2, NULL, NULL, NULL, 0, called_at FROM queue_entries
       WHERE tenant_id = $1 AND queue_id = $2 AND called_at >= $3
       ORDER BY called_at DESC LIMIT $4)
    ORDER BY k, n";

impl SqliteStore {
    pub(crate) async fn do_fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<FanoutLine> {
        let rows = sqlx::query(LINE)
            .bind(tid(tenant))
            .bind(id(queue_id))
            .bind(ms(now - wait::PACE_WINDOW))
            .bind(wait::PACE_SAMPLE as i64)
            .fetch_all(&self.reader)
            .await
            .map_err(db_err)?;
        let mut line = FanoutLine::default();
        for row in &rows {
            let k: i64 = row.try_get("k").map_err(StoreError::backend)?;
            match k {
                0 => line.waiting.push(LineSpot {
                    id: uuid(row, "id")?,
                    session_id: row.try_get("session_id").map_err(StoreError::backend)?,
                    ticket_number: row.try_get("ticket_number").map_err(StoreError::backend)?,
                }),
                1 => line.called = row.try_get("n").map_err(StoreError::backend)?,
                _ => line
                    .recent_calls
                    .push(at(row.try_get("at").map_err(StoreError::backend)?)),
            }
        }
        Ok(line)
    }
}
