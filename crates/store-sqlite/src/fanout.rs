//! The realtime fan-out's read on SQLite ([`qms_store::Store::fanout_line`]): the queue, its
//! waiting line (id, session id, ticket) in line order or only its length, the number called
//! and the recent call times. Run inline (see [`crate::inline`]), where a row costs no hand-off
//! between threads: the line is read straight off the line index, which holds every column
//! read here (migration 0007), in order and without visiting the table.

use crate::SqliteStore;
use crate::inline::IndexedRow;
use crate::rows::{self, Columns, id, ms, tid};
use qms_domain::TenantId;
use qms_domain::wait;
use qms_store::{FanoutLine, LineRead, LineSpot, StoreError, StoreResult};
use rusqlite::ToSql;
use time::OffsetDateTime;
use uuid::Uuid;

const LINE: &str = "
    SELECT id, session_id, ticket_number FROM queue_entries
     WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting'
     ORDER BY position, id";

/// How many wait: the queue's counter (migration 0008).
const WAITING: &str =
    "SELECT waiting_count AS waiting FROM queues WHERE tenant_id = $1 AND id = $2";

/// The called count (the queue's counter) and the recent call times: [`rows::recent_calls!`]
/// with the tenant filtered as well, since no tenant-scoped row is joined here.
const NUMBERS: &str = "
    SELECT
      (SELECT called_count FROM queues WHERE tenant_id = $1 AND id = $2) AS called,
      (SELECT group_concat(called_at, ',') FROM (
         SELECT called_at FROM queue_entries
          WHERE tenant_id = $1 AND queue_id = $2 AND called_at >= $3
          ORDER BY called_at DESC LIMIT 12)) AS recent_calls";

fn spot(r: &IndexedRow<'_>) -> StoreResult<LineSpot> {
    Ok(LineSpot {
        id: r.uuid("id")?,
        session_id: r.text("session_id")?,
        ticket_number: r.text("ticket_number")?,
    })
}

impl SqliteStore {
    pub(crate) async fn do_fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
        read: LineRead,
    ) -> StoreResult<Option<FanoutLine>> {
        let Some(queue) = self.do_queue(tenant, queue_id).await? else {
            return Ok(None);
        };
        let (tenant, queue_key) = (tid(tenant), id(queue_id));
        let line: &[(&str, &dyn ToSql)] = &[("$1", &tenant), ("$2", &queue_key)];
        let (waiting, waiting_count) = match read {
            LineRead::Spots => {
                let spots = self.inline.rows(LINE, line, spot)?;
                let count = spots.len() as i64;
                (spots, count)
            }
            LineRead::Count => {
                let count = self.inline.row(WAITING, line, |r| r.int("waiting"))?;
                (Vec::new(), count.unwrap_or(0))
            }
        };
        let since = ms(now - wait::PACE_WINDOW);
        let numbers: &[(&str, &dyn ToSql)] = &[("$1", &tenant), ("$2", &queue_key), ("$3", &since)];
        let (called, recent_calls) = self
            .inline
            .row(NUMBERS, numbers, |r| {
                Ok((r.int("called")?, rows::time_list(r, "recent_calls")?))
            })?
            .ok_or_else(|| StoreError::Backend("fan-out numbers: no row".into()))?;
        Ok(Some(FanoutLine {
            queue,
            waiting,
            waiting_count,
            called,
            recent_calls,
        }))
    }
}
