//! The realtime fan-out's read on PostgreSQL ([`qms_store::Store::fanout_line`]): the queue with
//! its counters, its waiting line (id, session id, ticket) when asked, and the recent call times,
//! in one statement, the PL/pgSQL function `qms_fanout_line` (migration 0013), which sets the
//! tenant for its own statement (so row-level security applies) and tags its rows by `k`: 0 the
//! queue, 1 a waiting customer (in line order), 2 a recent call. It runs on the fan-out's own
//! connections, so a flood of requests does not delay it.

use crate::rows;
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_domain::wait;
use qms_store::{FanoutLine, LineRead, LineSpot, StoreResult};
use time::OffsetDateTime;
use uuid::Uuid;

impl PgStore {
    pub(crate) async fn do_fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
        read: LineRead,
    ) -> StoreResult<Option<FanoutLine>> {
        let mut conn = self.fanout_connection().await?;
        let found = sqlx::query(
            "SELECT f.k, f.entry_id, f.entry_session, f.entry_ticket, f.called_at AS call_time,
                 (f.queue).*
             FROM qms_fanout_line($1, $2, $3, $4, $5) f",
        )
        .bind(tenant.0)
        .bind(queue_id)
        .bind(now - wait::PACE_WINDOW)
        .bind(wait::PACE_SAMPLE as i64)
        .bind(read == LineRead::Spots)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_err)?;
        let Some(first) = found.first() else {
            return Ok(None);
        };
        let mut line = FanoutLine {
            queue: rows::queue(first)?,
            waiting: Vec::new(),
            waiting_count: i64::from(rows::get::<i32>(first, "waiting_count")?),
            called: i64::from(rows::get::<i32>(first, "called_count")?),
            recent_calls: Vec::new(),
        };
        for row in &found[1..] {
            if rows::get::<i32>(row, "k")? == 1 {
                line.waiting.push(LineSpot {
                    id: rows::get(row, "entry_id")?,
                    session_id: rows::get(row, "entry_session")?,
                    ticket_number: rows::get(row, "entry_ticket")?,
                });
            } else {
                line.recent_calls.push(rows::get(row, "call_time")?);
            }
        }
        if read == LineRead::Spots {
            line.waiting_count = line.waiting.len() as i64;
        }
        Ok(Some(line))
    }
}
