//! Uploaded images (merchants' logos) on PostgreSQL: one row per tenant and content hash.

use crate::rows::now;
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::{StoreResult, Upload};
use sqlx::Row;

impl PgStore {
    pub(crate) async fn do_save_upload(
        &self,
        tenant: TenantId,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> StoreResult<()> {
        let mut tx = self.tenant_tx(tenant).await?;
        sqlx::query(
            "INSERT INTO uploads (tenant_id, name, content_type, bytes, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, name) DO NOTHING",
        )
        .bind(tenant.0)
        .bind(name)
        .bind(content_type)
        .bind(bytes)
        .bind(now())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn do_upload(
        &self,
        tenant: TenantId,
        name: &str,
    ) -> StoreResult<Option<Upload>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "SELECT content_type, bytes FROM uploads WHERE tenant_id = $1 AND name = $2",
        )
        .bind(tenant.0)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        row.map(|r| {
            Ok(Upload {
                content_type: r.try_get("content_type").map_err(db_err)?,
                bytes: r.try_get("bytes").map_err(db_err)?,
            })
        })
        .transpose()
    }
}
