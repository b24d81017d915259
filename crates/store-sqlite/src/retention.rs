//! The retention purge (TSD §10.3) on SQLite: old finished entries and old analytics events
//! of every tenant, a batch per transaction.

use crate::rows::ms;
use crate::{SqliteStore, db_err};
use qms_store::{Purged, StoreResult};
use sqlx::SqliteConnection;
use time::OffsetDateTime;

/// Finished entries that joined before the cutoff. Their chat messages, notification logs and
/// push subscriptions go with them (ON DELETE CASCADE); finished entries are in nobody's line
/// count, so the counters' triggers leave the queues alone.
const OLD_ENTRIES: &str = "DELETE FROM queue_entries WHERE id IN (
    SELECT id FROM queue_entries
    WHERE joined_at < ? AND status IN ('completed', 'cancelled', 'no_show') LIMIT ?)";

const OLD_EVENTS: &str = "DELETE FROM queue_analytics_events WHERE id IN (
    SELECT id FROM queue_analytics_events WHERE timestamp < ? LIMIT ?)";

impl SqliteStore {
    pub(crate) async fn do_purge_history(
        &self,
        cutoff: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Purged> {
        let mut tx = self.write().await?;
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
    conn: &mut SqliteConnection,
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
