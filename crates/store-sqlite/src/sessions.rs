//! Stored sessions, keyed by the SHA-256 of the cookie's id.

use crate::rows::{self, id, ms};
use crate::{SqliteStore, db_err};
use qms_store::{SessionRecord, StoreResult};
use sqlx::Row;
use time::OffsetDateTime;

impl SqliteStore {
    pub(crate) async fn do_session_load(
        &self,
        id_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT sid, sess, user_id, expire FROM sessions WHERE sid = $1 AND expire > $2",
        )
        .bind(id_hash)
        .bind(ms(now))
        .fetch_optional(&self.reader)
        .await
        .map_err(db_err)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionRecord {
            id_hash: row.try_get("sid").map_err(db_err)?,
            data: row.try_get("sess").map_err(db_err)?,
            user_id: rows::opt_uuid(&row, "user_id")?,
            expire: rows::time(&row, "expire")?,
        }))
    }

    pub(crate) async fn do_session_save(&self, r: &SessionRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (sid, sess, user_id, expire) VALUES ($1, $2, $3, $4)
             ON CONFLICT (sid) DO UPDATE SET sess = excluded.sess, user_id = excluded.user_id, expire = excluded.expire",
        )
        .bind(&r.id_hash)
        .bind(&r.data)
        .bind(r.user_id.map(id))
        .bind(ms(r.expire))
        .execute(&self.writer)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn do_session_delete(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE sid = $1")
            .bind(id_hash)
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn do_sessions_purge_expired(&self, now: OffsetDateTime) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expire <= $1")
            .bind(ms(now))
            .execute(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected())
    }
}
