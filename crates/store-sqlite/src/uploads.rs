//! Uploaded images (merchants' logos) on SQLite: one row per tenant and content hash.

use crate::rows::{ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_store::StoreResult;
use time::OffsetDateTime;

impl SqliteStore {
    pub(crate) async fn do_save_upload(
        &self,
        tenant: TenantId,
        name: &str,
        bytes: &[u8],
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO uploads (tenant_id, name, bytes, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (tenant_id, name) DO NOTHING",
        )
        .bind(tid(tenant))
        .bind(name)
        .bind(bytes)
        .bind(ms(OffsetDateTime::now_utc()))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    pub(crate) async fn do_upload(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> StoreResult<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT bytes FROM uploads WHERE tenant_id = ? AND name = ?")
            .bind(tid(tenant))
            .bind(name)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_err)
    }
}
