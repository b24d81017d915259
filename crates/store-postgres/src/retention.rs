//! The retention purge (TSD §10.3) on PostgreSQL: old finished entries and old analytics events
//! of every tenant, a batch per transaction.

use crate::rows::ms;
use crate::{PgStore, db_err};
use qms_store::{Purged, StoreResult};
use time::OffsetDateTime;

impl PgStore {
    pub(crate) async fn do_purge_history(
        &self,
        cutoff: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Purged> {
        let mut tx = self.platform_tx().await?;
        // Chat messages, notification logs and push subscriptions go with their entry
        // (ON DELETE CASCADE); finished entries are in nobody's line count, so the counters'
        // trigger leaves the queues alone. Rows another instance's purge is deleting right now
        // are skipped (SKIP LOCKED): two purges at once take different rows instead of waiting
        // on, or deadlocking with, each other.
        let entries = sqlx::query(
            "DELETE FROM queue_entries WHERE id IN (
                 SELECT id FROM queue_entries
                 WHERE joined_at < $1 AND status IN ('completed', 'cancelled', 'no_show')
                 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(ms(cutoff))
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let events = sqlx::query(
            "DELETE FROM queue_analytics_events WHERE id IN (
                 SELECT id FROM queue_analytics_events WHERE timestamp < $1
                 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(ms(cutoff))
        .bind(i64::from(limit))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(Purged {
            queue_entries: entries.rows_affected(),
            analytics_events: events.rows_affected(),
        })
    }
}
