//! The retention purge (TSD §10.3) on PostgreSQL: old finished entries and old analytics events
//! of every tenant, a batch per transaction.
//!
//! Rows another instance's purge is deleting right now are skipped (`SKIP LOCKED`): two purges
//! at once take different rows instead of waiting on, or deadlocking with, each other.

use crate::rows::ms;
use crate::{PgStore, db_err};
use qms_store::{Purged, StoreResult};
use sqlx::PgConnection;
use time::OffsetDateTime;

/// Finished entries that joined before the cutoff. Their chat messages, notification logs and
/// push subscriptions go with them (ON DELETE CASCADE); finished entries are in nobody's line
/// count, so the counters' trigger leaves the queues alone.
const OLD_ENTRIES: &str = "DELETE FROM queue_entries WHERE id IN (
    SELECT id FROM queue_entries
    WHERE joined_at < $1 AND status IN ('completed', 'cancelled', 'no_show')
    LIMIT $2 FOR UPDATE SKIP LOCKED)";

const OLD_EVENTS: &str = "DELETE FROM queue_analytics_events WHERE id IN (
    SELECT id FROM queue_analytics_events WHERE timestamp < $1
    LIMIT $2 FOR UPDATE SKIP LOCKED)";

impl PgStore {
    pub(crate) async fn do_purge_history(
        &self,
        cutoff: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Purged> {
        let mut tx = self.platform_tx().await?;
        let purged = Purged {
            queue_entries: delete_batch(&mut tx, OLD_ENTRIES, cutoff, limit).await?,
            analytics_events: delete_batch(&mut tx, OLD_EVENTS, cutoff, limit).await?,
        };
        tx.commit().await.map_err(db_err)?;
        Ok(purged)
    }
}

/// Runs one of the batch deletes above; answers how many rows it removed.
async fn delete_batch(
    conn: &mut PgConnection,
    sql: &'static str,
    cutoff: OffsetDateTime,
    limit: u32,
) -> StoreResult<u64> {
    let done = sqlx::query(sql)
        .bind(ms(cutoff))
        .bind(i64::from(limit))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(done.rows_affected())
}
