//! The realtime fan-out's read on PostgreSQL ([`qms_store::Store::fanout_line`]): the queue,
//! then its waiting line (id, session id, ticket), the number called and the recent call times
//! as one statement, in a tenant transaction (so row-level security applies) on the fan-out's
//! own connections (`PgStore::fanout_tx`). The line's rows are tagged by `k`: 0 a waiting
//! customer (in line order), 1 the called count, 2 a recent call, 3 the waiting count (when
//! only that is read).

use crate::queues::queue_in;
use crate::rows;
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::wait;
use qms_store::{FanoutLine, LineRead, LineSpot, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

/// The called count (the queue's counter, migration 0008) and the recent call times, after the
/// line's own rows.
macro_rules! with_numbers {
    ($line:literal) => {
        concat!(
            $line,
            "
    UNION ALL
    SELECT 1, NULL, NULL, NULL, called_count::bigint, NULL
      FROM queues WHERE tenant_id = $1 AND id = $2
    UNION ALL
    (SELECT 2, NULL, NULL, NULL, 0, called_at FROM queue_entries
      WHERE tenant_id = $1 AND queue_id = $2 AND called_at >= $3
      ORDER BY called_at DESC LIMIT $4)
    ORDER BY k, n, id"
        )
    };
}

/// Every waiting customer, in line order.
const LINE: &str = with_numbers!(
    "
    SELECT 0 AS k, id, session_id, ticket_number, position AS n, NULL::timestamptz AS at
      FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'"
);

/// Only how many are waiting (the queue's counter).
const COUNT: &str = with_numbers!(
    "
    SELECT 3 AS k, NULL::uuid AS id, NULL AS session_id, NULL AS ticket_number,
           waiting_count::bigint AS n, NULL::timestamptz AS at
      FROM queues WHERE tenant_id = $1 AND id = $2"
);

impl PgStore {
    pub(crate) async fn do_fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
        read: LineRead,
    ) -> StoreResult<Option<FanoutLine>> {
        let mut tx = self.fanout_tx(tenant).await?;
        let Some(queue) = queue_in(&mut tx, tenant, queue_id).await? else {
            tx.commit().await.map_err(db_err)?;
            return Ok(None);
        };
        let statement = match read {
            LineRead::Spots => LINE,
            LineRead::Count => COUNT,
        };
        let found = sqlx::query(statement)
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
            waiting_count: 0,
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
                2 => line.recent_calls.push(rows::get(row, "at")?),
                _ => line.waiting_count = rows::get(row, "n")?,
            }
        }
        if read == LineRead::Spots {
            line.waiting_count = line.waiting.len() as i64;
        }
        Ok(Some(line))
    }
}
