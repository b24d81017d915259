//! The realtime fan-out's read on SQLite ([`qms_store::Store::fanout_line`]): the waiting line
//! (id, session id, ticket), the number called and the recent call times, as one statement
//! answering one row. The line comes back as one string (a record per customer, in line
//! order), because every row sqlx hands over from SQLite's thread costs more than splitting
//! a string: a 10,000-customer line is read in one piece.

use crate::SqliteStore;
use crate::rows::Columns;
use crate::rows::{at, id, ms, tid};
use qms_domain::TenantId;
use qms_domain::wait;
use qms_store::{FanoutLine, LineSpot, StoreError, StoreResult};
use rusqlite::ToSql;
use time::OffsetDateTime;
use uuid::Uuid;

/// Between customers (ASCII record separator) and between their fields (unit separator):
/// neither occurs in ids, session ids or ticket numbers.
const RECORD: char = '\u{1e}';
const FIELD: char = '\u{1f}';

const LINE: &str = "
    SELECT
      (SELECT group_concat(id || char(31) || session_id || char(31) || ticket_number, char(30)
                           ORDER BY position, id)
         FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'waiting') AS line,
      (SELECT COUNT(*)
         FROM queue_entries WHERE tenant_id = $1 AND queue_id = $2 AND status = 'called') AS called,
      (SELECT group_concat(called_at, ',') FROM (
         SELECT called_at FROM queue_entries
          WHERE tenant_id = $1 AND queue_id = $2 AND called_at >= $3
          ORDER BY called_at DESC LIMIT 12)) AS calls";

fn bad(what: &str) -> StoreError {
    StoreError::Backend(format!("fan-out line: bad {what}"))
}

impl SqliteStore {
    pub(crate) async fn do_fanout_line(
        &self,
        tenant: TenantId,
        queue_id: Uuid,
        now: OffsetDateTime,
    ) -> StoreResult<FanoutLine> {
        // Inline (see `crate::inline`); the sample size is a literal, as in `entries.rs`.
        let since = ms(now - wait::PACE_WINDOW);
        let params: &[(&str, &dyn ToSql)] =
            &[("$1", &tid(tenant)), ("$2", &id(queue_id)), ("$3", &since)];
        let (line, called, calls) = self
            .inline
            .row(LINE, params, |r| {
                Ok((r.opt_text("line")?, r.int("called")?, r.opt_text("calls")?))
            })?
            .ok_or_else(|| bad("row"))?;
        let waiting = line
            .as_deref()
            .unwrap_or_default()
            .split(RECORD)
            .filter(|r| !r.is_empty())
            .map(|record| {
                let mut fields = record.split(FIELD);
                let (Some(id), Some(session_id), Some(ticket_number)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(bad("record"));
                };
                Ok(LineSpot {
                    id: Uuid::parse_str(id).map_err(|_| bad("id"))?,
                    session_id: session_id.to_string(),
                    ticket_number: ticket_number.to_string(),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let recent_calls = calls
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| c.parse::<i64>().map(at).map_err(|_| bad("call time")))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(FanoutLine {
            waiting,
            called,
            recent_calls,
        })
    }
}
